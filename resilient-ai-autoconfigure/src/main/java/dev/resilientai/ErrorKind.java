package dev.resilientai;

/**
 * What went wrong in one provider attempt, as the failover loop classifies it. Each kind says
 * whether the request moves on to the next provider and whether the failure counts against
 * the provider's circuit breaker.
 */
public enum ErrorKind {

	/** The connection could not be made or broke before a full response arrived. */
	CONNECTION(true, true),

	/** The attempt ran past its timeout (or the request's deadline) and was cancelled. */
	TIMEOUT(true, true),

	/** HTTP 5xx other than an overload signal. */
	SERVER_ERROR(true, true),

	/** HTTP 503 or Anthropic's 529: the provider is overloaded. */
	OVERLOADED(true, true),

	/** HTTP 429. With {@code Retry-After} the provider rests until then instead of counting a failure. */
	RATE_LIMITED(true, true),

	/** HTTP 401 or 403: this provider is misconfigured (key, permissions). */
	AUTHENTICATION(true, true),

	/** HTTP 404: the provider does not know the model or endpoint it was configured with. */
	NOT_FOUND(true, true),

	/** A response arrived but could not be read (malformed JSON, garbage, empty body). */
	INVALID_RESPONSE(true, true),

	/**
	 * A stream ended without its provider's end marker (a finish reason): it was cut, not
	 * completed.
	 */
	TRUNCATED(true, true),

	/** The prompt is longer than this provider accepts; another provider may take it. */
	CONTEXT_LENGTH(true, false),

	/** The caller's request is invalid (HTTP 400, 422): returned to the caller as is. */
	INVALID_REQUEST(false, false),

	/** Any other failure raised by the provider's model. */
	UNKNOWN(true, true);

	private final boolean failover;

	private final boolean providerFailure;

	ErrorKind(boolean failover, boolean providerFailure) {
		this.failover = failover;
		this.providerFailure = providerFailure;
	}

	/**
	 * Whether a failure of this kind moves the request on to the next eligible provider.
	 * @return {@code true} to fail over
	 */
	public boolean isFailover() {
		return this.failover;
	}

	/**
	 * Whether a failure of this kind is recorded against the provider's circuit breaker.
	 * @return {@code true} when it counts as a provider failure
	 */
	public boolean isProviderFailure() {
		return this.providerFailure;
	}

}
