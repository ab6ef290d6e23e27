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

	private static final ThreadLocal<@Nullable Classification> RECORDING = new ThreadLocal<>();

	/**
	 * Return the classification of the failure a provider's circuit breaker is being told of
	 * on this thread, for the breaker's event consumers: the failover loop's own verdict (an
	 * attempt cut off by its timeout is a timeout, whatever its HTTP client threw when it was
	 * cancelled).
	 * @return the classification, or {@code null} outside the loop's recording of a failure
	 */
	public static @Nullable Classification recording() {
		return RECORDING.get();
	}

	/**
	 * Tell a permit's breaker of a failure, with its classification visible to the breaker's
	 * event consumers (see {@link #recording()}).
	 */
	void recordFailure(Permit permit, Duration duration, Throwable failure) {
		Classification previous = RECORDING.get();
		RECORDING.set(this);
		try {
			permit.failed(duration, failure);
		}
		finally {
			RECORDING.set(previous);
		}
	}

	/**
	 * Whether the failure counts against the provider's circuit breaker. A 429 that says when
	 * to come back rests the provider instead.
	 * @return {@code true} to record it as a breaker failure
	 */
	public boolean recordsBreakerFailure() {
		return this.kind.isProviderFailure() && !(this.kind == ErrorKind.RATE_LIMITED && this.retryAfter != null);
	}

}
