package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.ErrorKind;
import dev.resilientai.FallbackResponder;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.SkipReason;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.UnknownDataClassException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
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

	private final List<String> providerNames;

	private final FailoverSettings settings;

	private final DataClassPolicy policy;

	private final Consumer<AuditRecord> auditSink;

	private final @Nullable FallbackResponder fallback;

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
		this(providers, settings, classifier, DataClassPolicy.unrestricted(), (record) -> {
		}, null, clock);
	}

	/**
	 * Create an executor over the given providers.
	 * @param providers the providers, in declaration order (a stable sort by priority keeps
	 * that order for ties)
	 * @param settings the deadline and retry settings
	 * @param classifier the error classifier
	 * @param policy the data classes and their escalation
	 * @param auditSink receives one record per request
	 * @param fallback the last resort when every eligible provider failed, or {@code null}
	 * @param clock the clock that times {@code Retry-After} rests
	 */
	public FailoverExecutor(List<Provider> providers, FailoverSettings settings, ErrorClassifier classifier,
			DataClassPolicy policy, Consumer<AuditRecord> auditSink, @Nullable FallbackResponder fallback,
			Clock clock) {
		Assert.notEmpty(providers, "'providers' must not be empty");
		this.policy = policy;
		this.auditSink = auditSink;
		this.fallback = fallback;
		List<Provider> ordered = new ArrayList<>(providers);
		ordered.sort(ORDER);
		this.providers = List.copyOf(ordered);
		this.providerNames = this.providers.stream().map(Provider::getName).toList();
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

	public DataClassPolicy getPolicy() {
		return this.policy;
	}

	/**
	 * Send a prompt to the first eligible provider that answers.
	 * @param prompt the prompt
	 * @param context the request's routing context
	 * @return the response, with {@link ResilientChatClient#PROVIDER} and
	 * {@link ResilientChatClient#ATTEMPTS} in its metadata
	 * @throws UnknownDataClassException if the request's data class is unknown
	 * @throws NoEligibleProviderException if no provider is allowed and enabled for it
	 * @throws AllProvidersFailedException if every eligible provider failed or was skipped
	 * @throws ProviderRequestRejectedException if a provider rejected the request as invalid
	 */
	public ChatResponse call(Prompt prompt, RoutingContext context) {
		RequestTrace trace = new RequestTrace(context, false);
		try {
			List<Provider> eligible = eligibleProviders(prompt, context, trace);
			// requests made while this one runs (tools, advisors, models that call back) inherit its class
			return inherited(trace).apply(() -> {
				try {
					return callEligible(prompt, eligible, trace);
				}
				catch (AllProvidersFailedException ex) {
					if (this.fallback == null) {
						throw ex;
					}
					return fallBack(prompt, ex, trace);
				}
			});
		}
		catch (RuntimeException ex) {
			trace.ended(ex);
			throw ex;
		}
		finally {
			audit(trace);
		}
	}

	/**
	 * The providers allowed for the request's data class and enabled, in routing order. The
	 * class is settled first (the most sensitive class named for the request, or the
	 * default; then raised by the classifiers), and the set is computed before any health is
	 * looked at, so nothing downstream can reach a provider outside it.
	 */
	private List<Provider> eligibleProviders(Prompt prompt, RoutingContext context, RequestTrace trace) {
		String resolved = this.policy.resolve(context.dataClasses());
		trace.requested(context.dataClasses().isEmpty() ? null : resolved);
		String dataClass = this.policy.escalate(prompt, resolved);
		trace.classified(resolved, dataClass);
		if (context.advisorParamsUnread() && !this.policy.isMostSensitive(dataClass)) {
			throw new DataClassNotEnforceableException(dataClass);
		}
		List<Provider> eligible = new ArrayList<>(this.providers.size());
		boolean anyAllowed = false;
		for (Provider provider : this.providers) {
			if (!provider.isAllowed(dataClass)) {
				trace.skip(provider, SkipReason.NOT_ALLOWED);
			}
			else if (!provider.isEnabled()) {
				anyAllowed = true;
				trace.skip(provider, SkipReason.DISABLED);
			}
			else {
				anyAllowed = true;
				eligible.add(provider);
			}
		}
		if (eligible.isEmpty()) {
			throw new NoEligibleProviderException(dataClass,
					anyAllowed ? "every provider allowed for it is disabled" : "no provider is allowed for it");
		}
		return eligible;
	}

	/**
	 * What requests made inside this one inherit: its class, once settled.
	 */
	private RoutingContext inherited(RequestTrace trace) {
		return this.policy.isEnforced() ? RoutingContext.of(trace.dataClass()) : RoutingContext.DEFAULT;
	}

	private ChatResponse callEligible(Prompt prompt, List<Provider> eligible, RequestTrace trace) {
		long deadline = System.nanoTime() + this.settings.timeout().toNanos();
		for (Provider provider : eligible) {
			if (provider.isRateLimited(this.clock)) {
				trace.skip(provider, SkipReason.RATE_LIMITED);
				continue;
			}
			for (int attempt = 1;; attempt++) {
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					trace.skip(provider, SkipReason.DEADLINE_EXCEEDED);
					break;
				}
				if (!provider.getCircuitBreaker().tryAcquirePermission()) {
					trace.skip(provider, SkipReason.BREAKER_OPEN);
					break;
				}
				int calls = trace.startCall();
				Outcome outcome = attempt(provider, prompt, Math.min(provider.getTimeout().toNanos(), remaining));
				if (outcome.response != null) {
					trace.succeeded(provider.getName(), outcome.duration);
					return withRoutingMetadata(outcome.response, provider.getName(), calls);
				}
				Classification classification = outcome.classification;
				Assert.state(classification != null && outcome.failure != null, "failed attempt without a failure");
				trace.failed(ProviderAttempt.failure(provider.getName(), classification.kind(),
						classification.httpStatus(), outcome.duration));
				if (!classification.kind().isFailover()) {
					throw new ProviderRequestRejectedException(provider.getName(), classification.httpStatus(),
							outcome.failure);
				}
				if (!isRetryable(classification.kind()) || attempt >= this.settings.maxAttemptsPerProvider()
						|| !backOff(attempt, deadline)) {
					break;
				}
			}
		}
		throw allFailed(trace);
	}

	private AllProvidersFailedException allFailed(RequestTrace trace) {
		String reason = trace.deadlineExceeded()
				? "The request deadline of " + this.settings.timeout() + " ran out before a provider answered"
				: "No provider allowed for data class '" + trace.dataClass() + "' answered";
		return new AllProvidersFailedException(reason, trace.eligibleSteps());
	}

	/**
	 * Stream a prompt from the first eligible provider that starts answering. Failures
	 * before the first chunk move on to the next provider; after it, the stream ends with
	 * {@link StreamInterruptedException} and nothing from another provider is spliced in.
	 * @param prompt the prompt
	 * @param context the request's routing context
	 * @return the chunks, each with {@link ResilientChatClient#PROVIDER} and
	 * {@link ResilientChatClient#ATTEMPTS} in its metadata
	 */
	public Flux<ChatResponse> stream(Prompt prompt, RoutingContext context) {
		return Flux.defer(() -> {
			RequestTrace trace = new RequestTrace(context, true);
			List<Provider> eligible;
			try {
				eligible = eligibleProviders(prompt, context, trace);
			}
			catch (RuntimeException ex) {
				trace.ended(ex);
				audit(trace);
				return Flux.error(ex);
			}
			StreamState state = new StreamState(eligible, System.nanoTime() + this.settings.timeout().toNanos(),
					trace);
			return streamFrom(0, prompt, state).doOnError(trace::ended).doFinally((signal) -> {
				if (signal == SignalType.CANCEL) {
					trace.cancelled();
				}
				audit(trace);
			});
		});
	}

	private Flux<ChatResponse> streamFrom(int start, Prompt prompt, StreamState state) {
		for (int index = start; index < state.eligible.size(); index++) {
			Provider provider = state.eligible.get(index);
			if (provider.isRateLimited(this.clock)) {
				state.trace.skip(provider, SkipReason.RATE_LIMITED);
				continue;
			}
			long remaining = state.deadline - System.nanoTime();
			if (remaining <= 0) {
				state.trace.skip(provider, SkipReason.DEADLINE_EXCEEDED);
				continue;
			}
			if (!provider.getCircuitBreaker().tryAcquirePermission()) {
				state.trace.skip(provider, SkipReason.BREAKER_OPEN);
				continue;
			}
			return streamAttempt(index, provider, prompt, state,
					Duration.ofNanos(Math.min(provider.getTimeout().toNanos(), remaining)));
		}
		AllProvidersFailedException failure = allFailed(state.trace);
		if (this.fallback == null) {
			return Flux.error(failure);
		}
		return Flux.defer(() -> Flux.just(fallBack(prompt, failure, state.trace)));
	}

	/**
	 * Answer with the last resort, marked as provider {@value FallbackResponder#PROVIDER_NAME}.
	 */
	private ChatResponse fallBack(Prompt prompt, AllProvidersFailedException failure, RequestTrace trace) {
		Assert.state(this.fallback != null, "no fallback");
		String text;
		try {
			text = this.fallback.respond(prompt, failure);
		}
		catch (RuntimeException ex) {
			failure.addSuppressed(ex);
			throw failure;
		}
		trace.fellBack();
		ChatResponse response = new ChatResponse(List.of(new Generation(new AssistantMessage(text),
				ChatGenerationMetadata.builder().finishReason("STOP").build())));
		return withRoutingMetadata(response, FallbackResponder.PROVIDER_NAME, trace.calls());
	}

	/**
	 * One stream attempt. The attempt timeout bounds the wait for the first chunk, the idle
	 * timeout each later silence, the request deadline the whole stream. A stream that completes without a chunk, or without a
	 * finish reason, did not complete. Before the first chunk every failure moves on to the
	 * next provider; after it the stream ends in {@link StreamInterruptedException}.
	 */
	private Flux<ChatResponse> streamAttempt(int index, Provider provider, Prompt prompt, StreamState state,
			Duration firstChunkTimeout) {
		int attemptNumber = state.trace.startCall();
		long start = System.nanoTime();
		AtomicLong delivered = new AtomicLong();
		AtomicBoolean finished = new AtomicBoolean();
		CircuitBreaker breaker = provider.getCircuitBreaker();
		Duration idleTimeout = this.settings.streamIdleTimeout();
		RoutingContext inherited = inherited(state.trace);
		return inherited.within(Flux.using(StreamCancellation::open,
				(cancellation) -> inherited.apply(() -> provider.getModel()
					.stream(provider.promptFor(prompt, cancellation.tag()))
					.doOnCancel(cancellation::cancel)),
				StreamCancellation::close))
			.timeout(Mono.delay(firstChunkTimeout), (chunk) -> Mono.delay(untilNextChunk(idleTimeout, state.deadline)))
			.concatWith(Mono.defer(() -> (delivered.get() == 0)
					? Mono.error(new IncompleteStreamException(ErrorKind.INVALID_RESPONSE))
					: finished.get() ? Mono.empty() : Mono.error(new IncompleteStreamException(ErrorKind.TRUNCATED))))
			.map((chunk) -> {
				delivered.incrementAndGet();
				if (hasFinishReason(chunk)) {
					finished.set(true);
				}
				return withRoutingMetadata(chunk, provider.getName(), attemptNumber);
			})
			.doOnComplete(() -> {
				Duration duration = Duration.ofNanos(System.nanoTime() - start);
				breaker.onSuccess(duration.toNanos(), TimeUnit.NANOSECONDS);
				state.trace.succeeded(provider.getName(), duration);
			})
			.doOnCancel(breaker::releasePermission)
			.onErrorResume((failure) -> {
				Duration duration = Duration.ofNanos(System.nanoTime() - start);
				Classification classification = (failure instanceof IncompleteStreamException incomplete)
						? new Classification(incomplete.kind, null, null) : this.classifier.classify(failure);
				state.trace.failed(ProviderAttempt.failure(provider.getName(), classification.kind(),
						classification.httpStatus(), duration));
				if (delivered.get() > 0) {
					breaker.onError(duration.toNanos(), TimeUnit.NANOSECONDS, failure);
					return Flux.error(new StreamInterruptedException(provider.getName(), delivered.get(),
							classification.kind()));
				}
				recordFailure(provider, classification, failure, duration);
				if (!classification.kind().isFailover()) {
					return Flux.error(new ProviderRequestRejectedException(provider.getName(),
							classification.httpStatus(), failure));
				}
				return streamFrom(index + 1, prompt, state);
			});
	}

	/**
	 * The longest wait for the next chunk: the idle timeout, cut short by the request's
	 * deadline, which bounds the whole stream as it bounds a call.
	 */
	private static Duration untilNextChunk(Duration idleTimeout, long deadline) {
		long remaining = Math.max(0, deadline - System.nanoTime());
		return (remaining < idleTimeout.toNanos()) ? Duration.ofNanos(remaining) : idleTimeout;
	}

	/**
	 * Whether a chunk carries its provider's end marker as Spring AI exposes it: OpenAI's
	 * {@code finish_reason} (Spring AI reports a chunk without one as {@code _UNKNOWN}),
	 * Anthropic's {@code stop_reason} (from {@code message_delta}), Ollama's
	 * {@code done_reason}.
	 */
	private static boolean hasFinishReason(ChatResponse chunk) {
		for (Generation generation : chunk.getResults()) {
			String reason = generation.getMetadata().getFinishReason();
			if (reason != null && !reason.isBlank() && !"null".equalsIgnoreCase(reason)
					&& !"_UNKNOWN".equals(reason)) {
				return true;
			}
		}
		return false;
	}

	private void audit(RequestTrace trace) {
		try {
			this.auditSink.accept(trace.toRecord(this.providerNames));
		}
		catch (RuntimeException ex) {
			logger.warn("Publishing an audit record failed", ex);
		}
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

	/**
	 * A stream that completed without a chunk or without its end marker.
	 */
	private static final class IncompleteStreamException extends ResilientAiException {

		private static final long serialVersionUID = 1L;

		private final transient ErrorKind kind;

		IncompleteStreamException(ErrorKind kind) {
			super((kind == ErrorKind.TRUNCATED) ? "The stream ended without its end marker"
					: "The stream ended without a chunk");
			this.kind = kind;
		}

	}

	private record Outcome(@Nullable ChatResponse response, @Nullable RuntimeException failure,
			@Nullable Classification classification, Duration duration) {
	}

	private static final class StreamState {

		private final List<Provider> eligible;

		private final long deadline;

		private final RequestTrace trace;

		StreamState(List<Provider> eligible, long deadline, RequestTrace trace) {
			this.eligible = eligible;
			this.deadline = deadline;
			this.trace = trace;
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
