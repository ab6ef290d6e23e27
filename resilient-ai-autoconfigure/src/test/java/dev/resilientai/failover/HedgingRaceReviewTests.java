package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.resilientai.ProviderAttempt;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.answering;
import static dev.resilientai.failover.HedgingLoopReviewTests.calling;
import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.deaf;
import static dev.resilientai.failover.HedgingLoopReviewTests.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Second hostile review of the hedged call race ({@code CallPath.HedgeRace}, commit
 * 830387f). Tests named {@code ...} plainly are defects and fail; tests whose names start
 * with {@code check} are properties that hold and pass. Hedging delay 50 ms; providers
 * {@code a}, {@code b} in that order.
 */
class HedgingRaceReviewTests {

	private static final Duration DELAY = Duration.ofMillis(50);

	private final List<AuditRecord> audits = new CopyOnWriteArrayList<>();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	// ------------------------------------------------------------------ defects

	/**
	 * Defect: the winner's pool thread runs the loser's cancellers <em>before</em> it
	 * completes its own outcome ({@code CallPath.java:644-650}: {@code other.cancel()} runs
	 * {@code AttemptGuard.stop}, which runs every registered canceller synchronously,
	 * {@code AttemptGuard.java:145}, then {@code result.complete(outcome)}). A canceller that
	 * blocks (closing an SSL socket whose peer does not read, a pooled client's
	 * {@code abort()} that waits for a lock) holds the caller although the hedge has
	 * answered: "the first answer returns at once without waiting for the loser" does not
	 * hold. Here {@code a}'s canceller takes 1.5 s, {@code b} answers at ~150 ms; the caller
	 * gets {@code b}'s answer only after ~1.65 s.
	 * <p>
	 * Expected: the caller has {@code b}'s answer within a few hundred ms. Fix: complete
	 * the winner's outcome first and cancel the loser afterwards (or hand the cancel to
	 * another thread); {@code awaitFirst} already treats {@code winner == HEDGE} as decided.
	 */
	@Test
	void theWinnersAnswerIsNotHeldBackByTheLosersSlowCanceller() {
		this.executor = executor(Duration.ofSeconds(5),
				provider("a", 0, calling((prompt) -> {
					AttemptGuard.registerCanceller(() -> sleep(1_500));
					return answering("from a", 4_000).call(prompt);
				})), provider("b", 1, answering("from b", 100)));

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from b");
		assertThat(tookMs).as("ms until the caller had b's answer").isLessThan(800);
	}

	/**
	 * Defect, the same root cause seen from the deadline: {@code b} answers at ~350 ms,
	 * well within the 1 s deadline, but its outcome is completed only after {@code a}'s
	 * canceller returns (1.8 s). The caller's {@code await} reaches the deadline first,
	 * {@code settle} returns {@code null} on {@code timedOut} and the request fails with
	 * every provider "failed" (a TIMEOUT step for {@code a}), although a provider answered
	 * in time; the audit record says FAILURE and {@code b}'s billed answer is thrown away.
	 * <p>
	 * Expected: {@code b}'s answer. Fix as above: {@code result.complete(outcome)} before
	 * {@code other.cancel()} in {@code HedgeRace.runAttempt} ({@code CallPath.java:644-650});
	 * also {@code awaitFirst}'s {@code winner == HEDGE} branch ignores {@code timedOut}
	 * ({@code CallPath.java:840-846}): were the caller ever woken in that window it would
	 * re-enter {@code await} and call {@code abort} (another CANCELLED step) on every turn.
	 */
	@Test
	void aHedgeThatAnsweredWithinTheDeadlineIsNotThrownAwayWhileTheLoserIsBeingCancelled() {
		this.executor = executor(Duration.ofSeconds(1),
				provider("a", 0, calling((prompt) -> {
					AttemptGuard.registerCanceller(() -> sleep(1_800));
					return answering("from a", 4_000).call(prompt);
				})), provider("b", 1, answering("from b", 300)));

		long start = System.nanoTime();
		AtomicReference<Object> result = new AtomicReference<>();
		Throwable failure = catchThrowable(() -> result
			.set(this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT).getResult().getOutput().getText()));
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(failure).as("b answered at ~350 ms of a 1 s deadline").isNull();
		assertThat(result.get()).isEqualTo("from b");
		assertThat(tookMs).isLessThan(800);
	}

	/**
	 * Defect: a permit leaks when the caller's context cannot be set on the pool thread.
	 * {@code HedgeRace.runAttempt} ({@code CallPath.java:639}) opens
	 * {@code snapshot.setThreadLocals()} in the try-with-resources header, <em>before</em>
	 * {@code attempt(...)} whose {@code finally} completes the permit; when a registered
	 * {@code ThreadLocalAccessor} throws (a security-context or MDC accessor failing), the
	 * catch at line 656 completes the outcome with the failure and the caller rethrows it,
	 * but the primary's bulkhead slot and breaker permission are never given back (contract
	 * item 10: "every permission a breaker hands out is recorded or released exactly once").
	 * {@code ProbeRun.launch} (lines 235-236) has the same shape.
	 * <p>
	 * Expected: whatever the request ends in, {@code a}'s bulkhead is full again. Fix:
	 * release the permit in {@code runAttempt}'s catch (and {@code ProbeRun}'s) when the
	 * attempt never ran, e.g. call {@code permit.released()} in a {@code finally} of
	 * {@code runAttempt} (a no-op once completed).
	 */
	@Test
	void aPermitIsGivenBackWhenTheCallersContextCannotBeSetOnThePoolThread() {
		ThreadLocal<String> tenant = new ThreadLocal<>();
		ContextRegistry.getInstance().registerThreadLocalAccessor(new ThreadLocalAccessor<String>() {

			@Override
			public Object key() {
				return "review.failing";
			}

			@Override
			public String getValue() {
				return tenant.get();
			}

			@Override
			public void setValue(String value) {
				if (Thread.currentThread().getName().startsWith("resilient-ai-hedge")) {
					throw new IllegalStateException("cannot restore the tenant here");
				}
				tenant.set(value);
			}

			@Override
			public void setValue() {
				tenant.remove();
			}

		});
		try {
			Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(5).build());
			Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 100),
					CircuitBreaker.ofDefaults("a"), aBulkhead, null);
			this.executor = executor(Duration.ofSeconds(5), a, provider("b", 1, answering("from b", 100)));

			tenant.set("acme");
			try {
				catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
			}
			finally {
				tenant.remove();
			}
			sleep(300);

			assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).as("a's free bulkhead slots")
				.isEqualTo(5);
		}
		finally {
			ContextRegistry.getInstance().removeThreadLocalAccessor("review.failing");
		}
	}

	/**
	 * Defect: the hedge is chosen on the executor's single timer thread, inside the race's
	 * monitor ({@code HedgeRace.run} is {@code synchronized}, {@code CallPath.java:682}),
	 * and {@code Permit.acquire} calls {@code Bulkhead.tryAcquirePermission()}, which
	 * <em>waits</em> up to the bulkhead's {@code max-wait-duration} (contract: "no waiting
	 * unless max-wait-duration says so"). With {@code b}'s bulkhead full and a 2 s max wait:
	 * {@code a} answers at 300 ms, but {@code settle} calls the synchronized {@code close()}
	 * and blocks until the timer thread gives up on {@code b} at ~2.05 s. Meanwhile the
	 * timer, which also fires every {@link AttemptGuard} timeout of the executor
	 * ({@code FailoverExecutor.java:101}, one thread), is stuck: no other request's attempt
	 * times out for those 2 s.
	 * <p>
	 * Expected: {@code a}'s answer reaches the caller at ~300 ms; a hedge never waits for a
	 * bulkhead slot. Fix: take a hedge's slot with a non-waiting acquire (e.g.
	 * {@code bulkhead.tryAcquirePermission()} only when {@code maxWaitDuration} is zero, or
	 * a {@code Semaphore}-like {@code tryAcquire} without wait), and choose/launch the hedge on
	 * the hedging pool, outside the race's monitor.
	 */
	@Test
	void aHedgeNeverWaitsForABulkheadSlotWhileTheFirstAttemptHasAnswered() {
		Bulkhead bBulkhead = Bulkhead.of("b",
				BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(2)).build());
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 50),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = executor(Duration.ofSeconds(5), provider("a", 0, answering("from a", 300)), b);
		// another request holds b's only slot
		assertThat(bBulkhead.tryAcquirePermission()).isTrue();
		try {
			long start = System.nanoTime();
			ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

			assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
			assertThat(tookMs).as("ms until the caller had a's answer (a answers at 300 ms)").isLessThan(1_000);
		}
		finally {
			bBulkhead.onComplete();
		}
	}

	/**
	 * Defect (audit completeness): a caller interrupted while both attempts of a hedged call
	 * run gets an audit record that lists the hedge (CANCELLED) but not the first attempt,
	 * which ran (and was billed) just as long: {@code HedgeRace.await}'s interrupt path
	 * ({@code CallPath.java:873-877}) calls {@code abort}, which records only the hedge
	 * ({@code CallPath.java:895-899}); the primary's attempt ends on the pool thread as
	 * cancelled and nothing records it. Issue 16: "attempts list both attempts".
	 * <p>
	 * Expected: the record lists a step for {@code a} and one for {@code b}. Fix: in
	 * {@code abort}, record the primary as cut short too ({@code trace.lost(primary, ...)}).
	 */
	@Test
	void anInterruptedHedgedCallListsBothAttemptsInItsAuditRecord() throws Exception {
		this.executor = executor(Duration.ofSeconds(5), provider("a", 0, answering("from a", 3_000)),
				provider("b", 1, answering("from b", 3_000)));
		CountDownLatch done = new CountDownLatch(1);
		Thread caller = new Thread(() -> {
			try {
				this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			}
			catch (Throwable ex) {
				// expected: RequestInterruptedException
			}
			done.countDown();
		});
		caller.start();
		Thread.sleep(250);
		caller.interrupt();
		assertThat(done.await(2, TimeUnit.SECONDS)).isTrue();

		AuditRecord record = lastAudit();
		assertThat(record.hedged()).isTrue();
		assertThat(record.steps()).extracting(ProviderAttempt::provider).as(summary(record)).contains("a", "b");
	}

	/**
	 * Defect (streams): the hedge of a stream takes its permit on a Reactor
	 * {@code parallel} thread ({@code StreamPath.hedge}, {@code Permit.acquire} at
	 * {@code StreamPath.java:192}, run from {@code flatMapMany} after {@code Mono.delay}),
	 * which <em>waits</em> when the bulkhead has a {@code max-wait-duration}: a non-blocking
	 * Reactor thread is blocked, and nothing re-checks the race once the wait ends. Here
	 * {@code a} streams its first chunk at ~150 ms and completes; {@code b}'s slot frees
	 * at 400 ms, the blocked hedge takes it, counts a started hedge, marks the trace
	 * hedged, and subscribes {@code b}'s stream (calling {@code b}) into a race that ended
	 * long ago; the subscription is cancelled at once. Issue 16: "a hedge decided against is
	 * never called".
	 * <p>
	 * Expected: no hedge started, {@code b} never called. Fix: never wait for a hedge's
	 * bulkhead slot (non-waiting acquire), and re-check {@code race.decided} after the
	 * permit is taken (release it if decided).
	 */
	@Test
	void aStreamHedgeThatGetsItsBulkheadSlotAfterTheRaceIsOverIsNotSent() throws Exception {
		java.util.concurrent.atomic.AtomicInteger bCalls = new java.util.concurrent.atomic.AtomicInteger();
		Bulkhead bBulkhead = Bulkhead.of("b",
				BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(1)).build());
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true,
				HedgingLoopReviewTests.streaming((prompt) -> {
					bCalls.incrementAndGet();
					return reactor.core.publisher.Flux.just(chunk("from b", "STOP"));
				}), CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = executor(Duration.ofSeconds(5),
				provider("a", 0, HedgingLoopReviewTests.streaming((prompt) -> reactor.core.publisher.Mono
					.delay(Duration.ofMillis(150))
					.map((tick) -> chunk("from a", "STOP"))
					.flux())),
				b);
		assertThat(bBulkhead.tryAcquirePermission()).isTrue();
		new Thread(() -> {
			sleep(400);
			bBulkhead.onComplete();
		}).start();

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));
		Thread.sleep(1_000);

		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(dev.resilientai.ResilientChatClient.PROVIDER))
			.containsOnly("a");
		assertThat(this.executor.getHedging().startedCount("b")).as("hedges started on b (b called %d times, b's free slots %d)", bCalls.get(),
				bBulkhead.getMetrics().getAvailableConcurrentCalls()).isZero();
		assertThat(bCalls).as("calls to b").hasValue(0);
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(1);
	}

	/**
	 * Defect: a half-open provider's probe that the pool refuses is silently dropped, and
	 * recorded as a failure of a provider that was never called. {@code ProbeRun.launch}
	 * ({@code CallPath.java:258-265}) catches {@code RejectedExecutionException}, releases
	 * the permit and completes the probe's outcome with an {@code UNKNOWN} failure; the loop
	 * has already {@code break}ed past the provider ({@code CallPath.java:121-124}), so the
	 * provider is not tried on the caller's thread, and when the other providers fail,
	 * {@code ProbeRun.await} adds an {@code a: UNKNOWN} step for a call that never happened.
	 * The race has the fallback ({@code HedgeRace.start} returns {@code false}: "run
	 * unhedged on the caller's thread"), the probe does not. The pool refuses when it is
	 * saturated (1024 threads held by deaf losers), i.e. during an outage, exactly when a
	 * recovering provider matters. Simulated here by a closed {@code Hedging}.
	 * <p>
	 * Expected: {@code a} is probed on the caller's thread and serves the request. Fix:
	 * make {@code launch} report the refusal (return {@code null}) so the loop runs the
	 * probe as an ordinary attempt with the same permit.
	 */
	@Test
	void aProbeThePoolRefusesRunsOnTheCallersThreadInsteadOfBeingDroppedAsAFailure() {
		CircuitBreaker aBreaker = CircuitBreaker.of("a", io.github.resilience4j.circuitbreaker.CircuitBreakerConfig
			.custom()
			.permittedNumberOfCallsInHalfOpenState(1)
			.build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 10), aBreaker);
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(
				List.of(a, provider("b", 1, calling((prompt) -> {
					throw HedgingLoopReviewTests.serverError();
				}))), FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock),
				DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		// the probes' pool refuses (as when saturated)
		this.executor.getHedging().close();
		aBreaker.transitionToOpenState();
		aBreaker.transitionToHalfOpenState();

		AtomicReference<String> answer = new AtomicReference<>();
		Throwable failure = catchThrowable(() -> answer
			.set(this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT).getResult().getOutput().getText()));

		assertThat(failure).as("a half-open and healthy, b down").isNull();
		assertThat(answer.get()).isEqualTo("from a");
	}

	// ------------------------------------------------------------------- checks

	/**
	 * Holds: a hedge that answers first goes to the caller at once, without waiting for a
	 * primary whose client ignores the interrupt; the loser's permit is completed when its
	 * call ends; metrics count one started, one won, one cancelled; the audit record is
	 * hedged with both steps; ATTEMPTS counts both.
	 */
	@Test
	void checkTheFirstAnswerReturnsAtOnceAndTheDeafLosersPermitIsCompletedLater() {
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(3).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, deaf("from a", 1_000),
				CircuitBreaker.ofDefaults("a"), aBulkhead, null);
		this.executor = executor(Duration.ofSeconds(5), a, provider("b", 1, answering("from b", 100)));

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from b");
		assertThat(tookMs).isLessThan(600);
		assertThat(response.getMetadata().<Integer>get(dev.resilientai.ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).as("a's call still runs").isEqualTo(2);
		AuditRecord record = lastAudit();
		assertThat(record.hedged()).isTrue();
		assertThat(record.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome)
			.containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("a", ProviderAttempt.Outcome.CANCELLED),
					org.assertj.core.groups.Tuple.tuple("b", ProviderAttempt.Outcome.SUCCESS));
		Hedging hedging = this.executor.getHedging();
		assertThat(hedging.startedCount("b")).isEqualTo(1);
		assertThat(hedging.wonCount("b")).isEqualTo(1);
		assertThat(hedging.cancelledCount("a")).isEqualTo(1);

		sleep(1_200);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).as("the loser's call ended").isEqualTo(3);
		assertThat(a.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls()
				+ a.getCircuitBreaker().getMetrics().getNumberOfNotPermittedCalls()).isLessThanOrEqualTo(1);
	}

	/**
	 * Holds: a caller interrupted while both attempts run gets
	 * {@link RequestInterruptedException} at once with its interrupt status kept; both
	 * permits come back; the pool threads keep no interrupt, no {@link AttemptGuard} and no
	 * routing context for their next task.
	 */
	@Test
	void checkACallerInterruptEndsTheRaceAndLeavesThePoolThreadsClean() throws Exception {
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(3).build());
		Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(3).build());
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 3_000),
						CircuitBreaker.ofDefaults("a"), aBulkhead, null),
				new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 3_000),
						CircuitBreaker.ofDefaults("b"), bBulkhead, null));
		AtomicReference<Throwable> failure = new AtomicReference<>();
		AtomicReference<Boolean> interruptKept = new AtomicReference<>();
		CountDownLatch done = new CountDownLatch(1);
		Thread caller = new Thread(() -> {
			try {
				this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			}
			catch (Throwable ex) {
				failure.set(ex);
			}
			interruptKept.set(Thread.currentThread().isInterrupted());
			done.countDown();
		});
		caller.start();
		Thread.sleep(250);
		long start = System.nanoTime();
		caller.interrupt();
		assertThat(done.await(2, TimeUnit.SECONDS)).isTrue();
		assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(300);
		assertThat(failure.get()).isInstanceOf(RequestInterruptedException.class);
		assertThat(interruptKept.get()).isTrue();
		sleep(200);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(3);
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(3);
		assertThat(lastAudit().hedged()).isTrue();

		// the pool's idle threads take the next tasks: nothing of the race is left on them
		for (int i = 0; i < 4; i++) {
			Future<String> state = this.executor.getHedging()
				.executor()
				.submit(() -> Thread.currentThread().isInterrupted() + "/" + AttemptGuard.isActive() + "/"
						+ (RoutingContext.current() == RoutingContext.DEFAULT || RoutingContext.current() == null));
			assertThat(state.get(2, TimeUnit.SECONDS)).isEqualTo("false/false/true");
		}
	}

	/**
	 * Holds: two hung attempts (interruptible) cannot hold the caller past the request's
	 * deadline; neither is held against its provider when the deadline (shorter than the
	 * attempt timeouts) cut it.
	 */
	@Test
	void checkTheDeadlineBoundsAHedgedCallWhoseAttemptsBothHang() {
		this.executor = executor(Duration.ofMillis(600), provider("a", 0, answering("from a", 10_000)),
				provider("b", 1, answering("from b", 10_000)));

		long start = System.nanoTime();
		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(failure).isNotNull();
		assertThat(tookMs).isBetween(550L, 900L);
		sleep(200);
		for (Provider provider : this.executor.getProviders()) {
			assertThat(provider.getCircuitBreaker().getMetrics().getNumberOfFailedCalls()).as(provider.getName())
				.isZero();
			assertThat(provider.getBulkhead().getMetrics().getAvailableConcurrentCalls()).as(provider.getName())
				.isEqualTo(provider.getBulkhead().getBulkheadConfig().getMaxConcurrentCalls());
		}
	}

	/**
	 * Holds: a caller that cancels a hedged stream while both attempts run cancels both
	 * providers' streams (their sources see the cancel, as an HTTP client closing its
	 * connection would), gives both permits back, and counts no lost hedge.
	 */
	@Test
	void checkACallersCancelOfAHedgedStreamCancelsBothSourcesAndCountsNoLostHedge() throws Exception {
		java.util.concurrent.atomic.AtomicInteger cancelled = new java.util.concurrent.atomic.AtomicInteger();
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(2).build());
		Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(2).build());
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("a", 0, Duration.ofSeconds(5), true,
						HedgingLoopReviewTests.streaming(
								(prompt) -> reactor.core.publisher.Flux.<ChatResponse>never().doOnCancel(cancelled::incrementAndGet)),
						CircuitBreaker.ofDefaults("a"), aBulkhead, null),
				new Provider("b", 1, Duration.ofSeconds(5), true,
						HedgingLoopReviewTests.streaming(
								(prompt) -> reactor.core.publisher.Flux.<ChatResponse>never().doOnCancel(cancelled::incrementAndGet)),
						CircuitBreaker.ofDefaults("b"), bBulkhead, null));

		reactor.core.Disposable subscription = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe();
		Thread.sleep(250);
		assertThat(this.executor.getHedging().startedCount("b")).isEqualTo(1);
		subscription.dispose();
		Thread.sleep(100);

		assertThat(cancelled).as("sources that saw the cancel").hasValue(2);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
		assertThat(this.executor.getHedging().cancelledCount("a")).isZero();
		assertThat(this.executor.getHedging().cancelledCount("b")).isZero();
	}

	/**
	 * Holds: the stream {@code FailoverExecutor.stream} returns is deferred: subscribed
	 * twice, it runs two independent hedged races (fresh permits, fresh race state), and
	 * both subscribers get the hedge's answer.
	 */
	@Test
	void checkAHedgedStreamSubscribedTwiceRunsTwoIndependentRaces() {
		this.executor = executor(Duration.ofSeconds(5),
				provider("a", 0, HedgingLoopReviewTests.streaming((prompt) -> reactor.core.publisher.Mono
					.delay(Duration.ofMillis(400))
					.map((tick) -> chunk("from a", "STOP"))
					.flux())),
				provider("b", 1, HedgingLoopReviewTests.streaming((prompt) -> reactor.core.publisher.Mono
					.delay(Duration.ofMillis(50))
					.map((tick) -> chunk("from b", "STOP"))
					.flux())));

		reactor.core.publisher.Flux<ChatResponse> stream = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT);
		List<ChatResponse> first = stream.collectList().block(Duration.ofSeconds(5));
		List<ChatResponse> second = stream.collectList().block(Duration.ofSeconds(5));

		assertThat(first).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("from b");
		assertThat(second).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("from b");
		assertThat(this.executor.getHedging().startedCount("b")).isEqualTo(2);
		assertThat(this.executor.getHedging().wonCount("b")).isEqualTo(2);
		for (Provider provider : this.executor.getProviders()) {
			assertThat(provider.getBulkhead().getMetrics().getAvailableConcurrentCalls())
				.isEqualTo(provider.getBulkhead().getBulkheadConfig().getMaxConcurrentCalls());
		}
	}

	/**
	 * Holds: a 400 of a stream's first attempt while its hedge runs ends the stream at once
	 * in the rejection; the hedge's source sees the cancel, its permit comes back, and no
	 * error is dropped to Reactor's {@code onErrorDropped} hook (no log noise).
	 */
	@Test
	void checkAStreamRejectionEndsTheRaceCleanlyWithoutDroppedErrors() throws Exception {
		List<Throwable> dropped = new CopyOnWriteArrayList<>();
		reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
		try {
			java.util.concurrent.atomic.AtomicInteger bCancelled = new java.util.concurrent.atomic.AtomicInteger();
			Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(2).build());
			this.executor = executor(Duration.ofSeconds(5),
					provider("a", 0, HedgingLoopReviewTests.streaming((prompt) -> reactor.core.publisher.Mono
						.delay(Duration.ofMillis(200))
						.flatMapMany((tick) -> reactor.core.publisher.Flux.<ChatResponse>error(HedgingLoopReviewTests.badRequest())))),
					new Provider("b", 1, Duration.ofSeconds(5), true,
							HedgingLoopReviewTests.streaming((prompt) -> reactor.core.publisher.Mono
								.delay(Duration.ofSeconds(3))
								.map((tick) -> chunk("from b", "STOP"))
								.flux()
								.doOnCancel(bCancelled::incrementAndGet)),
							CircuitBreaker.ofDefaults("b"), bBulkhead, null));

			long start = System.nanoTime();
			Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
				.collectList()
				.block(Duration.ofSeconds(5)));
			long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			Thread.sleep(200);

			assertThat(failure).isInstanceOf(dev.resilientai.ProviderRequestRejectedException.class);
			assertThat(tookMs).isLessThan(1_000);
			assertThat(bCancelled).hasValue(1);
			assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
			assertThat(dropped).isEmpty();
		}
		finally {
			reactor.core.publisher.Hooks.resetOnErrorDropped();
		}
	}

	// ------------------------------------------------------------------ support

	private FailoverExecutor executor(Duration deadline, Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(deadline),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		executor.setHedging(Hedging.of(DELAY, 1.0));
		return executor;
	}

	private static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	private AuditRecord lastAudit() {
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (this.audits.isEmpty() && System.nanoTime() < until) {
			sleep(10);
		}
		assertThat(this.audits).isNotEmpty();
		return this.audits.get(this.audits.size() - 1);
	}

	private static String summary(AuditRecord record) {
		List<ProviderAttempt> steps = record.steps();
		return steps.size() + " steps, first: " + steps.subList(0, Math.min(4, steps.size())) + ", outcome "
				+ record.outcome();
	}

}
