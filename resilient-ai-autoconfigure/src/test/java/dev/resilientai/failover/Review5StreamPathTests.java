package dev.resilientai.failover;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
import static dev.resilientai.failover.Review4StreamPathTests.executor;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fifth review of the stream path: the loser of a stream hedge is now cancelled
 * asynchronously ({@code cancelOn(Schedulers.boundedElastic())} around a raced attempt's
 * source, StreamPath#attempt, commit fdde347), and the sixth review of its mend (0872af5).
 * Every test here failed against the code it reviewed for the reason its Javadoc gives.
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

	/** The tag of a's attempt, as its HTTP call carries it. */
	private final AtomicReference<String> aTag = new AtomicReference<>();

	private final Sinks.Many<ChatResponse> bChunks = Sinks.many().unicast().onBackpressureBuffer();

	private final CountDownLatch bSubscribed = new CountDownLatch(1);

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
		Provider a = taggedA();
		Provider b = hedgeB();
		this.executor = executor(a, b);
		holdBoundedElastic();
		CountDownLatch first = new CountDownLatch(1);
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe((chunk) -> first.countDown());

		assertThat(this.bSubscribed.await(2, TimeUnit.SECONDS)).as("b was asked as a's hedge").isTrue();
		assertThat(this.aTag.get()).as("a's attempt tag").isNotNull();
		this.armed.set(true);
		this.bChunks.tryEmitNext(chunk("from b", null));
		assertThat(first.await(2, TimeUnit.SECONDS)).as("b's first chunk").isTrue();
		assertThat(this.held.await(2, TimeUnit.SECONDS)).as("a's cancel is on its way").isTrue();
		assertThat(a.getBulkhead().getMetrics().getAvailableConcurrentCalls())
			.as("a's bulkhead slot given back: the attempt is over")
			.isEqualTo(a.getBulkhead().getBulkheadConfig().getMaxConcurrentCalls());

		// OkHttp dispatches a's queued call now
		AtomicBoolean cancelled = new AtomicBoolean();
		StreamCancellation.Claim claim = StreamCancellation.claim(this.aTag.get(), () -> cancelled.set(true));

		this.release.countDown();
		assertThat(claim.mayProceed()).as("a's call may be sent (claim %s) though a lost the race", claim).isFalse();
	}

	/**
	 * Defect (low severity, an ordering window): 0872af5 refuses the loser's queued HTTP calls
	 * in a {@code doOnCancel} placed around the attempt's source, at the very top of the
	 * attempt's chain, while the attempt's permit is given back by the {@code doOnCancel}
	 * further down ({@code StreamPath#attempt}: {@code permit.released()}). Reactor runs a
	 * cancel hook before it passes the cancel upstream, so the permit (bulkhead slot and
	 * breaker permission) comes back first, and the tag is still claimable while the bulkhead's
	 * {@code CallFinished} listeners run and until the cancel has walked up through
	 * {@code doOnComplete}, {@code map}, both {@code concatWith}s, {@code takeUntilOther} (which
	 * also cancels the watchdog's expiry), {@code filter} and the routing context. A call that
	 * OkHttp dispatches in that window is sent to the provider that lost the race, beyond its
	 * bulkhead's limit (it is cancelled later, by the canceller it registered). The invariant
	 * that the fifth review asked for ("once the loser's permit is given back, a claim of its
	 * tag is refused") and that docs/failover.md now states ("while its permit comes back and
	 * its calls not sent yet are refused at once") does not hold at the moment the permit
	 * comes back.
	 * <p>
	 * Expected: when the loser's bulkhead slot is given back, a claim of its tag is refused.
	 * Fix: refuse the attempt's {@code StreamCancellation} in the attempt's own cancel hook,
	 * before {@code permit.released()} (keep the opened cancellation in a holder the outer
	 * {@code doOnCancel} can reach), and leave only the cancellers to {@code CANCELS}.
	 */
	@Test
	void aLosersTagIsRefusedWhenItsPermitComesBack() throws Exception {
		Provider a = taggedA();
		Provider b = hedgeB();
		// what OkHttp's interceptor would learn for a's queued call at the moment a's slot comes back
		AtomicReference<StreamCancellation.Claim> claimAtRelease = new AtomicReference<>();
		a.getBulkhead()
			.getEventPublisher()
			.onCallFinished((event) -> claimAtRelease.compareAndSet(null, StreamCancellation.claim(this.aTag.get(), () -> {
			})));
		this.executor = executor(a, b);
		CountDownLatch first = new CountDownLatch(1);
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe((chunk) -> first.countDown());

		assertThat(this.bSubscribed.await(2, TimeUnit.SECONDS)).as("b was asked as a's hedge").isTrue();
		assertThat(this.aTag.get()).as("a's attempt tag").isNotNull();
		this.bChunks.tryEmitNext(chunk("from b", null));
		assertThat(first.await(2, TimeUnit.SECONDS)).as("b's first chunk").isTrue();

		assertThat(claimAtRelease.get()).as("a's slot was given back (a lost the race)").isNotNull();
		assertThat(claimAtRelease.get().mayProceed())
			.as("a's queued call may be sent (claim %s) when a's bulkhead slot comes back", claimAtRelease.get())
			.isFalse();
	}

	/** a: an OpenAI model whose call waits in OkHttp's queue (the attempt tags it). */
	private Provider taggedA() {
		return provider("a", 0, openAi((prompt) -> {
			this.aTag.set(((OpenAiChatOptions) prompt.getOptions()).getCustomHeaders().get(StreamCancellation.HEADER));
			return Flux.never();
		}));
	}

	/** b: the hedge, sending the chunks the test emits. */
	private Provider hedgeB() {
		return provider("b", 1,
				streaming((prompt) -> this.bChunks.asFlux().doOnSubscribe((subscription) -> this.bSubscribed.countDown())));
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

}
