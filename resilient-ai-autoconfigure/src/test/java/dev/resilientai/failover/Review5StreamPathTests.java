package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.resilientai.routing.DataClassPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatOptions;

import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.provider;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fifth review of the stream path: the loser of a stream hedge is now cancelled
 * asynchronously ({@code cancelOn(Schedulers.boundedElastic())} around a raced attempt's
 * source, StreamPath#attempt, commit fdde347). Every test here fails against the reviewed
 * code for the reason its Javadoc gives.
 * <p>
 * The hop to {@code boundedElastic} is made deterministic by a Reactor schedule hook that
 * holds the loser's cancel task on its {@code boundedElastic} thread until the test lets it
 * go. In production the same window is as long as {@code boundedElastic} is busy: it is the
 * application's shared pool for blocking work ({@code 10 x cores} threads, then a queue), so
 * under load (the moment hedging is for) the loser's cancel may wait for seconds.
 */
class Review5StreamPathTests {

	private static final String HOOK = "review5-held-cancel";

	private FailoverExecutor executor;

	/** Whether a task run on a boundedElastic thread is held. */
	private final AtomicBoolean armed = new AtomicBoolean();

	/** A task is held on boundedElastic (the loser's cancel). */
	private final CountDownLatch held = new CountDownLatch(1);

	private final CountDownLatch release = new CountDownLatch(1);

	@AfterEach
	void close() {
		this.release.countDown();
		Schedulers.resetOnScheduleHook(HOOK);
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * Defect: the claim that keeps a queued HTTP call from being sent once its attempt is over
	 * ({@link StreamCancellation#claim}: OkHttp dispatches calls beyond its per-host limit
	 * later, and the interceptor asks first) now answers {@code RUNNING} for a hedge's loser
	 * that is already over: the race is decided, its permit (bulkhead slot and breaker
	 * permission) is given back, the hedging metrics counted it cancelled, but its
	 * {@code StreamCancellation} is marked over only when the deferred cancel runs on
	 * {@code boundedElastic}. A call dispatched in between is sent to the (browned-out)
	 * provider, beyond its bulkhead's limit, to be cancelled again later, if ever (a loser's
	 * cancel on a busy pool). Before fdde347 the cancel, and so the claim's answer, was
	 * synchronous.
	 * <p>
	 * Expected: once the loser's permit is given back, a claim of its tag is refused. Fix:
	 * mark the attempt's {@code StreamCancellation} over (and forget its tag) synchronously,
	 * on the race's cancel, and only run its cancellers on {@code boundedElastic}.
	 */
	@Test
	void aLosersQueuedHttpCallIsNotSentOnceTheRaceIsDecided() throws Exception {
		AtomicReference<String> aTag = new AtomicReference<>();
		Sinks.Many<ChatResponse> bChunks = Sinks.many().unicast().onBackpressureBuffer();
		CountDownLatch bSubscribed = new CountDownLatch(1);
		// a: an OpenAI model whose call waits in OkHttp's queue (the attempt tags it)
		Provider a = provider("a", 0, openAi((prompt) -> {
			aTag.set(((OpenAiChatOptions) prompt.getOptions()).getCustomHeaders().get(StreamCancellation.HEADER));
			return Flux.never();
		}));
		Provider b = provider("b", 1,
				streaming((prompt) -> bChunks.asFlux().doOnSubscribe((subscription) -> bSubscribed.countDown())));
		this.executor = executor(a, b);
		holdBoundedElastic();
		CountDownLatch first = new CountDownLatch(1);
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe((chunk) -> first.countDown());

		assertThat(bSubscribed.await(2, TimeUnit.SECONDS)).as("b was asked as a's hedge").isTrue();
		assertThat(aTag.get()).as("a's attempt tag").isNotNull();
		this.armed.set(true);
		bChunks.tryEmitNext(chunk("from b", null));
		assertThat(first.await(2, TimeUnit.SECONDS)).as("b's first chunk").isTrue();
		assertThat(this.held.await(2, TimeUnit.SECONDS)).as("a's cancel is on its way").isTrue();
		assertThat(a.getBulkhead().getMetrics().getAvailableConcurrentCalls())
			.as("a's bulkhead slot given back: the attempt is over")
			.isEqualTo(a.getBulkhead().getBulkheadConfig().getMaxConcurrentCalls());

		// OkHttp dispatches a's queued call now
		AtomicBoolean cancelled = new AtomicBoolean();
		StreamCancellation.Claim claim = StreamCancellation.claim(aTag.get(), () -> cancelled.set(true));

		this.release.countDown();
		assertThat(claim.mayProceed()).as("a's call may be sent (claim %s) though a lost the race", claim).isFalse();
	}

	/** Hold the first task run on a boundedElastic thread once armed (the loser's cancel). */
	private void holdBoundedElastic() {
		Schedulers.onScheduleHook(HOOK, (task) -> () -> {
			if (Thread.currentThread().getName().startsWith("boundedElastic") && this.armed.compareAndSet(true, false)) {
				this.held.countDown();
				Review4StreamPathTests.await(this.release, 2_000);
			}
			task.run();
		});
	}

	private static ChatModel openAi(java.util.function.Function<Prompt, Flux<ChatResponse>> stream) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return stream.apply(prompt);
			}

			@Override
			public ChatOptions getOptions() {
				return OpenAiChatOptions.builder().build();
			}

		};
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), (record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(30), 1.0));
		return executor;
	}

}
