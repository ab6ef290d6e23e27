package dev.resilientai.failover;

import java.time.Duration;

import org.springframework.util.Assert;

/**
 * How the failover loop spends a request's time.
 *
 * @param timeout the deadline of one request, all attempts included
 * @param maxAttemptsPerProvider attempts on one provider before moving on (1: no same-provider
 * retry)
 * @param initialBackoff the base of the jittered exponential backoff between same-provider
 * attempts
 * @param maxBackoff the cap of that backoff
 * @param maxRetryAfter the longest rest a provider's {@code Retry-After} can impose
 * @param streamIdleTimeout the longest silence between two chunks of a stream
 */
public record FailoverSettings(Duration timeout, int maxAttemptsPerProvider, Duration initialBackoff,
		Duration maxBackoff, Duration maxRetryAfter, Duration streamIdleTimeout) {

	/** Default of {@link #streamIdleTimeout()}. */
	public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(30);

	public FailoverSettings {
		Assert.isTrue((timeout.compareTo(Duration.ZERO) > 0), "'timeout' must be positive");
		Assert.isTrue(maxAttemptsPerProvider >= 1, "'maxAttemptsPerProvider' must be at least 1");
		Assert.isTrue(!initialBackoff.isNegative(), "'initialBackoff' must not be negative");
		Assert.isTrue(!maxBackoff.isNegative(), "'maxBackoff' must not be negative");
		Assert.isTrue(!maxRetryAfter.isNegative(), "'maxRetryAfter' must not be negative");
		Assert.isTrue(streamIdleTimeout.compareTo(Duration.ZERO) > 0, "'streamIdleTimeout' must be positive");
	}

	/**
	 * Settings with the given deadline, no same-provider retries, a 5 minute cap on
	 * {@code Retry-After} and a 30 second stream idle timeout.
	 * @param timeout the request deadline
	 * @return the settings
	 */
	public static FailoverSettings of(Duration timeout) {
		return new FailoverSettings(timeout, 1, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMinutes(5),
				DEFAULT_STREAM_IDLE_TIMEOUT);
	}

	/**
	 * The full-jitter backoff before same-provider retry {@code retry} (1 for the first).
	 * @param retry the retry number, from 1
	 * @param random a uniform random number in [0, 1)
	 * @return the delay
	 */
	public Duration backoff(int retry, double random) {
		long base = this.initialBackoff.toNanos();
		long cap = this.maxBackoff.toNanos();
		long exponential = (retry >= 62 || base > (cap >> Math.min(retry - 1, 62))) ? cap
				: Math.min(cap, base << (retry - 1));
		return Duration.ofNanos((long) (exponential * random));
	}

}
