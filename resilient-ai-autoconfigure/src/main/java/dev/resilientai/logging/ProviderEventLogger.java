package dev.resilientai.logging;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.resilientai.failover.Classification;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Writes what an operator needs to know about providers going bad and coming back, and no
 * more: a WARN when a provider's breaker opens, half-opens or closes, and a WARN on a
 * provider's first failure after an answer. Each line is rate limited per
 * provider and kind ({@link #QUIET_PERIOD}), never carries a stack trace, a prompt or a
 * provider's error text, only the error kind and HTTP status.
 * <p>
 * It listens to the Resilience4j events of each provider's breaker, so it sees exactly what
 * the breaker records; it does not listen to successes, which would make Resilience4j build
 * an event for every answer.
 */
public class ProviderEventLogger {

	/** The logger of every line the starter writes about its providers. */
	public static final String LOGGER_NAME = "dev.resilientai";

	/** Shortest time between two lines about the same provider and the same kind of event. */
	public static final Duration QUIET_PERIOD = Duration.ofSeconds(10);

	private static final Log logger = LogFactory.getLog(LOGGER_NAME);

	private final ErrorClassifier classifier;

	private final QuietPeriod quiet;


	/**
	 * Start listening to the providers' breakers.
	 * @param providers the providers
	 * @param classifier names the kind of a failure
	 * @param clock the clock of the quiet periods
	 */
	public ProviderEventLogger(List<Provider> providers, ErrorClassifier classifier, Clock clock) {
		this.classifier = classifier;
		this.quiet = new QuietPeriod(QUIET_PERIOD, clock);
		for (Provider provider : providers) {
			watch(provider);
		}
	}

	private void watch(Provider provider) {
		String name = provider.getName();
		CircuitBreaker breaker = provider.getCircuitBreaker();
		breaker.getEventPublisher()
			.onStateTransition((event) -> transition(name, breaker, event))
			.onError((event) -> {
				if (provider.noteFailure()) {
					failed(name, event.getThrowable());
				}
			});
	}

	private void transition(String name, CircuitBreaker breaker, CircuitBreakerOnStateTransitionEvent event) {
		CircuitBreaker.State from = event.getStateTransition().getFromState();
		CircuitBreaker.State to = event.getStateTransition().getToState();
		// forced and disabled states are an operator's doing, logged where it is done
		if (from == to || !isAutomatic(from) || !isAutomatic(to) || !logger.isWarnEnabled()) {
			return;
		}
		long held = this.quiet.admit(name + " breaker " + to);
		if (held == QuietPeriod.HOLD) {
			return;
		}
		String fleetOrigin = dev.resilientai.fleet.FleetSync.applyingFrom();
		if (fleetOrigin != null) {
			logger.warn("Provider '" + name + "': circuit breaker " + from + " -> " + to + ", shared by fleet instance '"
					+ fleetOrigin + "'" + QuietPeriod.heldNote(held));
			return;
		}
		CircuitBreaker.Metrics metrics = breaker.getMetrics();
		String what = switch (to) {
			case OPEN -> "OPEN (failure rate " + rate(metrics.getFailureRate()) + ", slow-call rate "
					+ rate(metrics.getSlowCallRate()) + "): skipped without a call until a probe after "
					+ RoutingSummary.duration(Duration.ofMillis(
							breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1)));
			case HALF_OPEN -> "HALF_OPEN: probing it with up to "
					+ breaker.getCircuitBreakerConfig().getPermittedNumberOfCallsInHalfOpenState() + " call(s)";
			default -> "CLOSED: back in rotation";
		};
		logger.warn("Provider '" + name + "': circuit breaker " + from + " -> " + what + QuietPeriod.heldNote(held));
	}

	private void failed(String name, Throwable failure) {
		if (!logger.isWarnEnabled()) {
			return;
		}
		long held = this.quiet.admit(name + " failed");
		if (held == QuietPeriod.HOLD) {
			return;
		}
		logger.warn("Provider '" + name + "' failed (" + describe(failure) + "); its next failures are counted in "
				+ "resilient.ai.attempts, not logged, until it answers again (the breaker's transitions are logged)" + QuietPeriod.heldNote(held));
	}

	/** The failure's kind and HTTP status; never its message, which may quote the request. */
	private String describe(Throwable failure) {
		try {
			// the failover loop's verdict when it records the failure (a timeout is a timeout,
			// whatever the cancelled HTTP call threw); the classifier's otherwise
			Classification recording = Classification.recording();
			Classification classification = (recording != null) ? recording : this.classifier.classify(failure);
			String kind = classification.kind().name().toLowerCase(Locale.ROOT).replace('_', '-');
			return (classification.httpStatus() != null) ? kind + ", HTTP " + classification.httpStatus() : kind;
		}
		catch (RuntimeException ex) {
			return failure.getClass().getSimpleName();
		}
	}

	private static boolean isAutomatic(CircuitBreaker.State state) {
		return state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.OPEN
				|| state == CircuitBreaker.State.HALF_OPEN;
	}

	private static String rate(float rate) {
		return (rate < 0) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", rate);
	}

}
