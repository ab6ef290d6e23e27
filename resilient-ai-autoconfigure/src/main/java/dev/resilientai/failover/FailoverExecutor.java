package dev.resilientai.failover;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.FallbackResponder;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.UnknownDataClassException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.util.Assert;

/**
 * The failover loop's entry point: settles each request's data class and eligible providers
 * ({@link ProviderOrder}), runs the call or stream loop ({@link CallPath},
 * {@link StreamPath}) with one {@link Permit} per attempt, falls back to the last resort
 * when configured, and publishes one audit record per request.
 */
public class FailoverExecutor implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(FailoverExecutor.class);

	/** How often the no-op task that keeps the head of the timer's queue runs. */
	static final long TIMER_HEAD_PERIOD_MILLIS = 1000;

	private final ProviderOrder order;

	private final List<String> providerNames;

	private final FailoverSettings settings;

	private final DataClassPolicy policy;

	private final Consumer<AuditRecord> auditSink;

	private final @Nullable FallbackResponder fallback;

	private final ScheduledThreadPoolExecutor timer;

	private final CallPath callPath;

	private final StreamPath streamPath;

	private volatile boolean closed;

	private volatile Hedging hedging = Hedging.off();

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
		this.order = new ProviderOrder(providers, policy);
		this.providerNames = this.order.providers().stream().map(Provider::getName).toList();
		this.settings = settings;
		this.timer = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory());
		this.timer.setRemoveOnCancelPolicy(true);
		keepHeadOfQueue(this.timer);
		FailureRecorder failures = new FailureRecorder(classifier, settings, clock);
		this.callPath = new CallPath(settings, failures, clock, this.timer);
		this.streamPath = new StreamPath(settings, failures, clock, this.timer);
		// one Hedging (and its threads) for both paths, closed with this executor
		this.callPath.setHedging(this.hedging);
		this.streamPath.setHedging(this.hedging);
	}

	/**
	 * Return the providers in the order they are tried.
	 * @return the providers
	 */
	public List<Provider> getProviders() {
		return this.order.providers();
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
	 * @throws RequestInterruptedException if the caller interrupted the request's thread
	 */
	public ChatResponse call(Prompt prompt, RoutingContext context) {
		checkOpen();
		RequestTrace trace = new RequestTrace(false);
		try {
			List<Provider> eligible = this.order.eligible(prompt, context, trace);
			// requests made while this one runs (tools, advisors, models that call back) inherit its class
			RoutingContext previous = this.order.inherited(trace).enter();
			try {
				return this.callPath.call(prompt, eligible, trace);
			}
			catch (CallPath.NoAnswerException ex) {
				AllProvidersFailedException failure = allFailed(trace);
				if (this.fallback == null) {
					throw failure;
				}
				return fallBack(prompt, failure, trace);
			}
			finally {
				RoutingContext.restore(previous);
			}
		}
		catch (RuntimeException | Error ex) {
			trace.ended(ex);
			throw ex;
		}
		finally {
			audit(trace);
		}
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
			checkOpen();
			RequestTrace trace = new RequestTrace(true);
			List<Provider> eligible;
			try {
				eligible = this.order.eligible(prompt, context, trace);
			}
			catch (RuntimeException ex) {
				trace.ended(ex);
				audit(trace);
				return Flux.error(ex);
			}
			return this.streamPath
				.stream(prompt, eligible, trace, this.order.inherited(trace), FailoverExecutor::withRoutingMetadata,
						(ended) -> noAnswer(prompt, ended))
				.doOnError(trace::ended)
				// audited before the stream's end reaches the subscriber: whoever sees the end
				// finds the request's record published
				.doOnTerminate(() -> audit(trace))
				.doOnCancel(() -> {
					trace.cancelled();
					audit(trace);
				});
		});
	}

	private Flux<ChatResponse> noAnswer(Prompt prompt, RequestTrace trace) {
		AllProvidersFailedException failure = allFailed(trace);
		if (this.fallback == null) {
			return Flux.error(failure);
		}
		// requests the last resort makes inherit the request's class, as on calls
		return Flux.defer(() -> Flux.just(this.order.inherited(trace).apply(() -> fallBack(prompt, failure, trace))));
	}

	private AllProvidersFailedException allFailed(RequestTrace trace) {
		String reason = trace.deadlineExceeded()
				? "The request deadline of " + this.settings.timeout() + " ran out before a provider answered"
				: "No provider allowed for data class '" + trace.dataClass() + "' answered";
		return new AllProvidersFailedException(reason, trace.eligibleSteps());
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
	 * Keep a no-op task at the head of the timer's queue: it runs every
	 * {@value #TIMER_HEAD_PERIOD_MILLIS} ms, so an attempt's timeout, seconds away, queues
	 * behind it. A task that becomes the head of a {@link ScheduledThreadPoolExecutor}'s queue
	 * wakes the timer's thread (a futex wake and a context switch on every call, about 4 us of
	 * a call in the full runtime); one queued behind the head does not. The timeouts fire
	 * exactly when they did: the thread still runs each task at its time, and an attempt
	 * whose timeout is shorter than the time to the no-op's next run takes the head and wakes
	 * the thread as before.
	 */
	static void keepHeadOfQueue(ScheduledThreadPoolExecutor timer) {
		timer.scheduleAtFixedRate(FailoverExecutor::noOp, TIMER_HEAD_PERIOD_MILLIS, TIMER_HEAD_PERIOD_MILLIS,
				TimeUnit.MILLISECONDS);
	}

	private static void noOp() {
	}

	private void audit(RequestTrace trace) {
		try {
			this.auditSink.accept(trace.toRecord(this.providerNames));
		}
		catch (RuntimeException ex) {
			logger.warn("Publishing an audit record failed", ex);
		}
	}

	private void checkOpen() {
		if (this.closed) {
			throw new ResilientAiException("The failover executor is closed: the application is shutting down");
		}
	}

	/**
	 * The response with {@link ResilientChatClient#PROVIDER} and
	 * {@link ResilientChatClient#ATTEMPTS} added to its metadata: a copy, since a model may
	 * hand out one response object more than once. Runs for every answer and stream chunk,
	 * so it copies the metadata directly rather than through {@code ChatResponse.builder()},
	 * and walks the metadata's entries only when it has some.
	 */
	static ChatResponse withRoutingMetadata(ChatResponse response, String provider, int attempts) {
		ChatResponseMetadata from = response.getMetadata();
		ChatResponseMetadata.Builder metadata = ChatResponseMetadata.builder()
			.id(from.getId())
			.model(from.getModel())
			.rateLimit(from.getRateLimit())
			.usage(from.getUsage())
			.promptMetadata(from.getPromptMetadata());
		if (!from.isEmpty()) {
			for (Map.Entry<String, Object> entry : from.entrySet()) {
				metadata.keyValue(entry.getKey(), entry.getValue());
			}
		}
		metadata.keyValue(ResilientChatClient.PROVIDER, provider);
		metadata.keyValue(ResilientChatClient.ATTEMPTS, attempts);
		return new ChatResponse(response.getResults(), metadata.build());
	}

	@Override
	public void close() {
		this.closed = true;
		this.timer.shutdownNow();
		this.hedging.close();
	}

	/**
	 * Hedge attempts: see {@link Hedging}. Off unless set.
	 * @param hedging the hedging
	 */
	public void setHedging(Hedging hedging) {
		this.hedging.close();
		this.hedging = hedging;
		this.callPath.setHedging(hedging);
		this.streamPath.setHedging(hedging);
	}

	public Hedging getHedging() {
		return this.hedging;
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
