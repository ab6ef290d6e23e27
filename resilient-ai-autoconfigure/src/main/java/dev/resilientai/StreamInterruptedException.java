package dev.resilientai;

/**
 * A stream failed after its first chunk reached the caller. The starter never splices a
 * second provider's output onto a stream that has started, so the stream ends with this
 * exception instead of a clean-looking completion.
 */
public class StreamInterruptedException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final String provider;

	private final long chunksDelivered;

	public StreamInterruptedException(String provider, long chunksDelivered, ErrorKind errorKind) {
		super("Stream from provider '" + provider + "' was interrupted (" + errorKind + ") after " + chunksDelivered
				+ " chunk(s)");
		this.provider = provider;
		this.chunksDelivered = chunksDelivered;
	}

	/**
	 * Return the name of the provider whose stream broke.
	 * @return the provider name
	 */
	public String getProvider() {
		return this.provider;
	}

	/**
	 * Return how many chunks reached the caller before the stream broke.
	 * @return the number of delivered chunks
	 */
	public long getChunksDelivered() {
		return this.chunksDelivered;
	}

}
