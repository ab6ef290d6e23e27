package dev.resilientai.web;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ResilientAiException;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers every {@link ResilientAiException} that reaches a Spring MVC or WebFlux controller
 * with a problem detail ({@link ResilientAiProblemDetails}), and a {@code Retry-After} header
 * when every provider that could serve the request is out of rotation for a known time.
 * <p>
 * It has the lowest precedence: an application's own {@code @ControllerAdvice} that handles
 * these exceptions is asked first (advice beans of equal order keep their registration
 * order, and the application's beans are registered before any auto-configuration's).
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class ResilientAiExceptionHandler {

	private static final Log logger = LogFactory.getLog(ResilientAiExceptionHandler.class);

	private final Supplier<@Nullable FailoverExecutor> executor;

	private final Clock clock;

	private final boolean includeProviderDetails;

	/**
	 * Create a handler.
	 * @param executor supplies the failover executor whose providers tell when one comes
	 * back, or {@code null} when there is none
	 * @param clock the clock the executor times {@code Retry-After} rests with
	 */
	public ResilientAiExceptionHandler(Supplier<@Nullable FailoverExecutor> executor, Clock clock) {
		this(executor, clock, false);
	}

	/**
	 * Create a handler.
	 * @param executor supplies the failover executor whose providers tell when one comes
	 * back, or {@code null} when there is none
	 * @param clock the clock the executor times {@code Retry-After} rests with
	 * @param includeProviderDetails whether problem bodies name the server's providers and
	 * how each failed ({@code resilient-ai.web.problem-details.include-provider-details})
	 */
	public ResilientAiExceptionHandler(Supplier<@Nullable FailoverExecutor> executor, Clock clock,
			boolean includeProviderDetails) {
		this.executor = executor;
		this.clock = clock;
		this.includeProviderDetails = includeProviderDetails;
	}

	/**
	 * Answer one of the starter's exceptions.
	 * @param ex the exception
	 * @return the problem detail, with {@code Retry-After} when known
	 */
	@ExceptionHandler(ResilientAiException.class)
	public ResponseEntity<ProblemDetail> handleResilientAiException(ResilientAiException ex) {
		ProblemDetail problem = ResilientAiProblemDetails.forException(ex, this.includeProviderDetails);
		log(ex, problem);
		ResponseEntity.BodyBuilder response = ResponseEntity.status(problem.getStatus())
			.contentType(MediaType.APPLICATION_PROBLEM_JSON);
		Duration retryAfter = (ex instanceof AllProvidersFailedException failed) ? retryAfter(failed) : null;
		if (retryAfter != null) {
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(seconds(retryAfter)));
		}
		return response.body(problem);
	}

	/**
	 * Return how long until the first provider the request tried (or skipped) is back in
	 * rotation, if every one of them is out for a known time: resting after a
	 * {@code Retry-After} until a known instant, or behind an open breaker, which waits its
	 * configured wait in the open state before half-open probes (an upper bound: Resilience4j
	 * does not tell when the breaker opened). A provider that is available now (the request
	 * failed on errors or timeouts), disabled or forced open leaves nothing known to wait
	 * for, and so no header.
	 * @param ex the exception
	 * @return the time to wait, or {@code null} when not known
	 */
	protected @Nullable Duration retryAfter(AllProvidersFailedException ex) {
		FailoverExecutor executor = this.executor.get();
		if (executor == null) {
			return null;
		}
		Set<String> names = new LinkedHashSet<>();
		for (ProviderAttempt attempt : ex.getAttempts()) {
			names.add(attempt.provider());
		}
		Instant now = this.clock.instant();
		Duration earliest = null;
		for (Provider provider : executor.getProviders()) {
			if (!names.contains(provider.getName()) || !provider.isEnabled()) {
				continue;
			}
			Duration back = backIn(provider, now);
			if (back == null) {
				continue;
			}
			if (back.isZero()) {
				return null;
			}
			earliest = (earliest == null || back.compareTo(earliest) < 0) ? back : earliest;
		}
		return earliest;
	}

	private @Nullable Duration backIn(Provider provider, Instant now) {
		CircuitBreaker breaker = provider.getCircuitBreaker();
		CircuitBreaker.State state = breaker.getState();
		if (state == CircuitBreaker.State.FORCED_OPEN) {
			return null;
		}
		Duration back = Duration.ZERO;
		Instant restUntil = provider.getRateLimitedUntil();
		if (restUntil != null && now.isBefore(restUntil)) {
			back = Duration.between(now, restUntil);
		}
		if (state == CircuitBreaker.State.OPEN) {
			Long wait = breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1);
			if (wait != null && wait > 0 && Duration.ofMillis(wait).compareTo(back) > 0) {
				back = Duration.ofMillis(wait);
			}
		}
		return back;
	}

	private static long seconds(Duration duration) {
		// whole seconds, rounded up: a client that waits that long finds the provider back
		long millis = duration.toMillis();
		return Math.max(1, (millis + 999) / 1000);
	}

	private static void log(ResilientAiException ex, ProblemDetail problem) {
		if (ex instanceof DataClassNotEnforceableException) {
			// the developer's explanation stays on the server: the caller cannot act on it
			logger.warn(ex.getMessage());
		}
		else if (ResilientAiProblemDetails.REQUEST_FAILED.equals(problem.getType())) {
			// the message is safe by design; a cause may carry a provider's body, so only at debug
			logger.error("Answered a resilient-ai failure with 500: " + ex);
			logger.debug("Failure answered with 500", ex);
		}
	}

}
