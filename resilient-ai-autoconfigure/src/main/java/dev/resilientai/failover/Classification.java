package dev.resilientai.failover;

import java.time.Duration;

import dev.resilientai.ErrorKind;
import org.jspecify.annotations.Nullable;

/**
 * The classification of one failed attempt.
 *
 * @param kind what went wrong
 * @param httpStatus the HTTP status, if the provider answered with one
 * @param retryAfter how long the provider asked to be left alone, from {@code Retry-After}
 */
public record Classification(ErrorKind kind, @Nullable Integer httpStatus, @Nullable Duration retryAfter) {

	/**
	 * Whether the failure counts against the provider's circuit breaker. A 429 that says when
	 * to come back rests the provider instead.
	 * @return {@code true} to record it as a breaker failure
	 */
	public boolean recordsBreakerFailure() {
		return this.kind.isProviderFailure() && !(this.kind == ErrorKind.RATE_LIMITED && this.retryAfter != null);
	}

}
