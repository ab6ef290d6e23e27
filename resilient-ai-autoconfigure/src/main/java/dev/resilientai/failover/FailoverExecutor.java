package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.ErrorKind;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.SkipReason;
import dev.resilientai.StreamInterruptedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.util.Assert;

/**
 * The one retry loop of a request: walks the providers in order, skips those that are
 * disabled, resting after a 429 or behind an open breaker, bounds each attempt by its
 * timeout and the whole request by its deadline, and classifies each failure to decide
 * whether to move on.
 */
public class FailoverExecutor implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(FailoverExecutor.class);

	private static final Comparator<Provider> ORDER = Comparator.comparingInt(Provider::getPriority);

	private final List<Provider> providers;

	private final FailoverSettings settings;

	private final ErrorClassifier classifier;

	private final Clock clock;

	private final ScheduledThreadPoolExecutor timer;

	/**
	 * Create an executor over the given providers.
	 * @param providers the providers, in declaration order (a stable sort by priority keeps
	 * that order for ties)
	 * @param settings the deadline and retry settings
	 * @param classifier the error classifier
	 * @param clock the clock that times {@code Retry-After} rests
	 */
	public FailoverExecutor(List<Provider> providers, FailoverSettings settings, ErrorClassifier classifier,
			Clock clock) {
		Assert.notEmpty(providers, "'providers' must not be empty");
		List<Provider> ordered = new ArrayList<>(providers);
		ordered.sort(ORDER);
		this.providers = List.copyOf(ordered);
		this.settings = settings;
		this.classifier = classifier;
		this.clock = clock;
		this.timer = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory());
		this.timer.setRemoveOnCancelPolicy(true);
	}

	/**
	 * Return the providers in the order they are tried.
	 * @return the providers
	 */
	public List<Provider> getProviders() {
		return this.providers;
	}

	public FailoverSettings getSettings() {
		return this.settings;
	}

	/**
	 * Send a prompt to the first provider that answers.
	 * @param prompt the prompt
	 * @param context the request's routing context
	 * @return the response, with {@link ResilientChatClient#PROVIDER} and
	 * {@link ResilientChatClient#ATTEMPTS} in its metadata
	 */
	public ChatResponse call(Prompt prompt, RoutingContext context) {
		long deadline = System.nanoTime() + this.settings.timeout().toNanos();
		List<ProviderAttempt> attempts = new ArrayList<>();
		int calls = 0;
		boolean anyEnabled = false;
		for (Provider provider : this.providers) {
			if (!provider.isEnabled()) {
				attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.DISABLED));
				continue;
			}
			anyEnabled = true;
			if (provider.isRateLimited(this.clock)) {
				attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.RATE_LIMITED));
				continue;
			}
			for (int attempt = 1;; attempt++) {
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.DEADLINE_EXCEEDED));
					break;
				}
				if (!provider.getCircuitBreaker().tryAcquirePermission()) {
					attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.BREAKER_OPEN));
					break;
				}
				calls++;
				Outcome outcome = attempt(provider, prompt, Math.min(provider.getTimeout().toNanos(), remaining));
				if (outcome.response != null) {
					return withRoutingMetadata(outcome.response, provider.getName(), calls);
				}
				Classification classification = outcome.classification;
				Assert.state(classification != null && outcome.failure != null, "failed attempt without a failure");
				attempts.add(ProviderAttempt.failure(provider.getName(), classification.kind(),
						classification.httpStatus(), outcome.duration));
				if (!classification.kind().isFailover()) {
					throw new ProviderRequestRejectedException(provider.getName(), classification.httpStatus(),
							outcome.failure);
				}
				if (classification.kind() == ErrorKind.RATE_LIMITED || !isRetryable(classification.kind())
						|| attempt >= this.settings.maxAttemptsPerProvider() || !backOff(attempt, deadline)) {
					break;
				}
			}
		}
		if (!anyEnabled) {
			throw new NoEligibleProviderException(dataClassName(context), "every allowed provider is disabled");
		}
		boolean deadlineExceeded = attempts.stream().anyMatch((a) -> a.skipReason() == SkipReason.DEADLINE_EXCEEDED);
		String reason = deadlineExceeded
				? "The request deadline of " + this.settings.timeout() + " ran out before a provider answered"
				: "No eligible provider answered";
		throw new AllProvidersFailedException(reason, attempts);
	}

	/**
	 * Stream a prompt from the first provider that starts answering. Failures before the
	 * first chunk move on to the next provider; after it, the stream ends with
	 * {@link StreamInterruptedException} and nothing from another provider is spliced in.
	 * @param prompt the prompt
	 * @param context the request's routing context
	 * @return the chunks, each with {@link ResilientChatClient#PROVIDER} and
	 * {@link ResilientChatClient#ATTEMPTS} in its metadata
	 */
	public Flux<ChatResponse> stream(Prompt prompt, RoutingContext context) {
		return Flux.defer(() -> {
			StreamState state = new StreamState(System.nanoTime() + this.settings.timeout().toNanos());
			return streamFrom(0, prompt, context, state);
		});
	}

	private Flux<ChatResponse> streamFrom(int start, Prompt prompt, RoutingContext context, StreamState state) {
		for (int index = start; index < this.providers.size(); index++) {
			Provider provider = this.providers.get(index);
			if (!provider.isEnabled()) {
				state.attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.DISABLED));
				continue;
			}
			state.anyEnabled = true;
			if (provider.isRateLimited(this.clock)) {
				state.attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.RATE_LIMITED));
				continue;
			}
			long remaining = state.deadline - System.nanoTime();
			if (remaining <= 0) {
				state.attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.DEADLINE_EXCEEDED));
				continue;
			}
			if (!provider.getCircuitBreaker().tryAcquirePermission()) {
				state.attempts.add(ProviderAttempt.skipped(provider.getName(), SkipReason.BREAKER_OPEN));
				continue;
			}
			return streamAttempt(index, provider, prompt, context, state,
					Duration.ofNanos(Math.min(provider.getTimeout().toNanos(), remaining)));
		}
		if (!state.anyEnabled) {
			return Flux.error(new NoEligibleProviderException(dataClassName(context), "every allowed provider is disabled"));
		}
		return Flux.error(new AllProvidersFailedException("No eligible provider started a stream", state.attempts));
	}

	private Flux<ChatResponse> streamAttempt(int index, Provider provider, Prompt prompt, RoutingContext context,
			StreamState state, Duration firstChunkTimeout) {
		int attemptNumber = ++state.calls;
		long start = System.nanoTime();
		AtomicLong delivered = new AtomicLong();
		CircuitBreaker breaker = provider.getCircuitBreaker();
		return Flux.defer(() -> provider.getModel().stream(provider.promptFor(prompt)))
			.timeout(Mono.delay(firstChunkTimeout), (chunk) -> Mono.never())
			.map((chunk) -> {
				delivered.incrementAndGet();
				return withRoutingMetadata(chunk, provider.getName(), attemptNumber);
			})
			.doOnComplete(() -> {
				long elapsed = System.nanoTime() - start;
				if (delivered.get() == 0) {
					breaker.onError(elapsed, TimeUnit.NANOSECONDS,
							new ResilientAiException("Provider '" + provider.getName() + "' sent an empty stream"));
				}
				else {
					breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
				}
			})
			.doOnCancel(breaker::releasePermission)
			.onErrorResume((failure) -> {
				Duration duration = Duration.ofNanos(System.nanoTime() - start);
				Classification classification = this.classifier.classify(failure);
				if (delivered.get() > 0) {
					breaker.onError(duration.toNanos(), TimeUnit.NANOSECONDS, failure);
					return Flux.error(new StreamInterruptedException(provider.getName(), delivered.get(),
							classification.kind()));
				}
				recordFailure(provider, classification, failure, duration);
				state.attempts.add(ProviderAttempt.failure(provider.getName(), classification.kind(),
						classification.httpStatus(), duration));
				if (!classification.kind().isFailover()) {
					return Flux.error(new ProviderRequestRejectedException(provider.getName(),
							classification.httpStatus(), failure));
				}
				return streamFrom(index + 1, prompt, context, state);
			});
	}

	private Outcome attempt(Provider provider, Prompt prompt, long timeoutNanos) {
		long start = System.nanoTime();
		AttemptGuard guard = AttemptGuard.start(this.timer, timeoutNanos);
		ChatResponse response = null;
		RuntimeException failure = null;
		boolean timedOut;
		try {
			response = provider.getModel().call(provider.promptFor(prompt));
		}
		catch (RuntimeException ex) {
			failure = ex;
		}
		finally {
			timedOut = guard.finish();
		}
		Duration duration = Duration.ofNanos(System.nanoTime() - start);
		if (failure == null && (response == null || response.getResults().isEmpty())) {
			failure = new ResilientAiException("Provider '" + provider.getName() + "' returned no generations");
		}
		if (failure == null) {
			provider.getCircuitBreaker().onSuccess(duration.toNanos(), TimeUnit.NANOSECONDS);
			return new Outcome(response, null, null, duration);
		}
		Classification classification = timedOut ? new Classification(ErrorKind.TIMEOUT, null, null)
				: this.classifier.classify(failure);
		recordFailure(provider, classification, failure, duration);
		return new Outcome(null, failure, classification, duration);
	}

	private void recordFailure(Provider provider, Classification classification, Throwable failure,
			Duration duration) {
		if (classification.recordsBreakerFailure()) {
			provider.getCircuitBreaker().onError(duration.toNanos(), TimeUnit.NANOSECONDS, failure);
		}
		else {
			provider.getCircuitBreaker().releasePermission();
		}
		Duration retryAfter = classification.retryAfter();
		if (classification.kind() == ErrorKind.RATE_LIMITED && retryAfter != null) {
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

	private static boolean isRetryable(ErrorKind kind) {
		return switch (kind) {
			case CONNECTION, TIMEOUT, SERVER_ERROR, OVERLOADED, INVALID_RESPONSE, UNKNOWN -> true;
			default -> false;
		};
	}

	/**
	 * Sleep before a same-provider retry, unless the sleep would outlive the deadline.
	 */
	private boolean backOff(int attempt, long deadline) {
		Duration delay = this.settings.backoff(attempt, ThreadLocalRandom.current().nextDouble());
		if (System.nanoTime() + delay.toNanos() >= deadline) {
			return false;
		}
		try {
			TimeUnit.NANOSECONDS.sleep(delay.toNanos());
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ResilientAiException("Interrupted while backing off before a retry");
		}
	}

	private static String dataClassName(RoutingContext context) {
		return (context.dataClass() != null) ? context.dataClass() : "(default)";
	}

	static ChatResponse withRoutingMetadata(ChatResponse response, String provider, int attempts) {
		return ChatResponse.builder()
			.from(response)
			.metadata(ResilientChatClient.PROVIDER, provider)
			.metadata(ResilientChatClient.ATTEMPTS, attempts)
			.build();
	}

	@Override
	public void close() {
		this.timer.shutdownNow();
	}

	private record Outcome(@Nullable ChatResponse response, @Nullable RuntimeException failure,
			@Nullable Classification classification, Duration duration) {
	}

	private static final class StreamState {

		private final long deadline;

		private final List<ProviderAttempt> attempts = new ArrayList<>();

		private int calls;

		private boolean anyEnabled;

		StreamState(long deadline) {
			this.deadline = deadline;
		}

	}

	private static final class DaemonThreadFactory implements java.util.concurrent.ThreadFactory {

		private static final AtomicInteger COUNT = new AtomicInteger();

		@Override
		public Thread newThread(Runnable runnable) {
			Thread thread = new Thread(runnable, "resilient-ai-timeout-" + COUNT.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		}

	}

}
