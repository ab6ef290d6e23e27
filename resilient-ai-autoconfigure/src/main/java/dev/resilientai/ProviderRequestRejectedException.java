package dev.resilientai;

import org.jspecify.annotations.Nullable;

/**
 * A provider rejected the request as invalid (HTTP 400 and the like). The request is the
 * caller's to fix, so it is returned without trying the other providers and without counting
 * against the provider's circuit breaker. The cause carries the provider's own exception.
 */
public class ProviderRequestRejectedException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final String provider;

	private final @Nullable Integer httpStatus;

	public ProviderRequestRejectedException(String provider, @Nullable Integer httpStatus, Throwable cause) {
		super("Provider '" + provider + "' rejected the request as invalid"
				+ ((httpStatus != null) ? " (HTTP " + httpStatus + ")" : ""), cause);
		this.provider = provider;
		this.httpStatus = httpStatus;
	}

	/**
	 * Return the name of the provider that rejected the request.
	 * @return the provider name
	 */
	public String getProvider() {
		return this.provider;
	}

	/**
	 * Return the HTTP status the provider answered with, if known.
	 * @return the HTTP status or {@code null}
	 */
	public @Nullable Integer getHttpStatus() {
		return this.httpStatus;
	}

}
