package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;

import dev.resilientai.ErrorKind;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Turns a failed attempt into what the provider's state must learn from it: a breaker
 * failure or an unrecorded release of the permit, and a rest when the provider said when to
 * come back ({@code Retry-After} on a 429 or 503).
 */
final class FailureRecorder {

	private static final Log logger = LogFactory.getLog(FailureRecorder.class);

	private final ErrorClassifier classifier;

	private final FailoverSettings settings;

	private final Clock clock;

	FailureRecorder(ErrorClassifier classifier, FailoverSettings settings, Clock clock) {
		this.classifier = classifier;
		this.settings = settings;
		this.clock = clock;
	}

	Classification classify(Throwable failure) {
		return this.classifier.classify(failure);
	}

	/**
	 * Record a failed attempt.
	 * @param provider the provider
	 * @param permit the attempt's permit, completed here
	 * @param classification what the failure was
	 * @param failure the failure
	 * @param duration how long the attempt took
	 */
	void record(Provider provider, Permit permit, Classification classification, Throwable failure,
			Duration duration) {
		if (classification.recordsBreakerFailure()) {
			classification.recordFailure(permit, duration, failure);
		}
		else {
			permit.released();
		}
		Duration retryAfter = classification.retryAfter();
		if (retryAfter != null && retryAfter.compareTo(Duration.ZERO) > 0 && classification.kind().isProviderFailure()) {
			Duration rest = (retryAfter.compareTo(this.settings.maxRetryAfter()) > 0) ? this.settings.maxRetryAfter()
					: retryAfter;
			provider.rateLimitUntil(this.clock.instant().plus(rest));
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Provider '" + provider.getName() + "' failed: " + classification.kind()
					+ ((classification.httpStatus() != null) ? " (HTTP " + classification.httpStatus() + ")" : "")
					+ " after " + duration.toMillis() + " ms (" + failure.getClass().getName() + ")");
		}
	}

	static boolean isRetryable(ErrorKind kind) {
		return switch (kind) {
			case CONNECTION, TIMEOUT, SERVER_ERROR, OVERLOADED, INVALID_RESPONSE, UNKNOWN -> true;
			default -> false;
		};
	}

}
