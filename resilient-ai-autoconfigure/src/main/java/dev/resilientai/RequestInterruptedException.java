package dev.resilientai;

/**
 * The caller interrupted the thread of a request (for example with
 * {@code Future.cancel(true)} or an asynchronous request timeout): the failover loop stopped
 * at once, recorded no failure against any provider, and left the thread's interrupt status
 * set.
 */
public class RequestInterruptedException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	public RequestInterruptedException(String message) {
		super(message);
	}

}
