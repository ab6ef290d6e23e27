package dev.resilientai;

/**
 * Why the failover loop passed over a provider without calling it.
 */
public enum SkipReason {

	/** The provider is not allowed for the request's data class. */
	NOT_ALLOWED,

	/** The provider's circuit breaker is open (or its half-open probes are taken). */
	BREAKER_OPEN,

	/** The provider's bulkhead is full: as many requests as it allows are waiting on it already. */
	BULKHEAD_FULL,

	/**
	 * The provider answered 429 (or 503) with {@code Retry-After} and is resting until then.
	 */
	RATE_LIMITED,

	/** The provider is disabled. */
	DISABLED,

	/** The request's overall deadline ran out before the provider's turn. */
	DEADLINE_EXCEEDED

}
