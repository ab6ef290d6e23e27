package dev.resilientai;

/**
 * No provider is allowed for the request's data class, or every allowed one is disabled.
 * Thrown before any network call.
 */
public class NoEligibleProviderException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final String dataClass;

	public NoEligibleProviderException(String dataClass, String reason) {
		super("No eligible provider for data class '" + dataClass + "': " + reason);
		this.dataClass = dataClass;
	}

	/**
	 * Return the data class that could not be served.
	 * @return the data class
	 */
	public String getDataClass() {
		return this.dataClass;
	}

}
