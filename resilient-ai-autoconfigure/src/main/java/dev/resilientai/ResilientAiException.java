package dev.resilientai;

/**
 * Base of every exception the resilient-ai starter throws.
 */
public class ResilientAiException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public ResilientAiException(String message) {
		super(message);
	}

	public ResilientAiException(String message, Throwable cause) {
		super(message, cause);
	}

}
