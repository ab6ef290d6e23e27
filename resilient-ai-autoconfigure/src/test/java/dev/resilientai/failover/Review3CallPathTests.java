package dev.resilientai.failover;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.web.client.ResourceAccessException;

import static dev.resilientai.failover.HedgingLoopReviewTests.answering;
import static dev.resilientai.failover.HedgingLoopReviewTests.calling;
import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.sleep;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Third hostile review (commit 9ab0d58: hedge chosen on the pool, {@code acquireWithoutWaiting},
 * probes the pool refuses run on the caller's thread, stream probes counted,
 * {@code CallPath.AttemptTimeoutException}). Tests named plainly are defects and fail; tests
 * whose names start with {@code check} are properties that hold and pass. Hedging delay 50 ms.
 */
class Review3CallPathTests {

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
	 * Defect: {@code CallPath.attempt} ({@code CallPath.java:409-413}) now hands the breaker
	 * a {@code CallPath.AttemptTimeoutException} (a {@code java.util.concurrent.TimeoutException})
	 * in place of what the timed-out call threw. Resilience4j tests a user's
	 * {@code record-exceptions} / {@code ignore-exceptions} against the thrown class only (no
	 * cause walk), and counts an exception that matches neither list as a <em>success</em>.
	 * A user who records what a Spring {@code RestClient} throws when its call is cut short
	 * ({@code ResourceAccessException}, here wrapping the {@code IOException("Request was
	 * interrupted")} of Spring's JDK client) had every timeout counted as a failure before
	 * this change; now every timeout counts as a success: a provider that hangs on every
	 * request never opens its breaker (and a HALF_OPEN probe that times out closes it).
	 * Likewise an {@code ignore-exceptions} entry no longer matches a timeout.
	 * <p>
	 * Expected: two timeouts out of two calls open the breaker (50 % threshold, window 2),
	 * as before the change. Fix: keep passing the breaker the original failure (and mark the
	 * timeout for the event listeners some other way, e.g. a suppressed
	 * {@code AttemptTimeoutException} or a thread-local/side channel read by
	 * {@code ProviderEventLogger}), or pass the wrapper only when the call threw nothing.
	 */
	@Test
	void aTimeoutStillCountsAsAFailureUnderTheUsersRecordExceptions() {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom()
					.slidingWindowSize(2)
					.minimumNumberOfCalls(2)
					.failureRateThreshold(50)
					.recordExceptions(ResourceAccessException.class)
					.build());
		Provider a = new Provider("a", 0, Duration.ofMillis(80), true, calling((prompt) -> {
			try {
				Thread.sleep(5_000);
			}
			catch (InterruptedException ex) {
				// what Spring's JdkClientHttpRequest and RestClient throw on an interrupt
				Thread.currentThread().interrupt();
				throw new ResourceAccessException("I/O error on POST request: Request was interrupted",
						new IOException("Request was interrupted", ex));
			}
			return chunk("late", "STOP");
		}), breaker);
		this.executor = unhedged(Duration.ofSeconds(2), a);

		catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
		catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("timeouts recorded as failures").isEqualTo(2);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
	}

	/**
	 * Was a defect report: {@code Permit.acquireWithoutWaiting} reads the bulkhead's free
	 * slots and then calls {@code Bulkhead.tryAcquirePermission()}, which waits up to
	 * {@code max-wait-duration}: a caller that takes the last slot between the read and the
	 * take makes the hedge wait. Resilience4j has no non-waiting take for a bulkhead with a
	 * max wait, so the rule kept is: a hedge goes to a bulkhead only with a free slot, and in
	 * that rare race its wait (bounded by the bulkhead's own {@code max-wait-duration}, as any
	 * caller's) is on the hedge's pool thread, never the caller's, the timer's or one of
	 * Reactor's parallel threads. Here: the wait happens on a {@code resilient-ai-hedge}
	 * thread, and the caller has {@code a}'s answer at ~300 ms regardless.
	 */
	@Test
	void checkAHedgesRareWaitForABulkheadSlotIsOnTheHedgesOwnThread() {
		SnatchingBulkhead bBulkhead = new SnatchingBulkhead(
				Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(2)).build()),
				"resilient-ai-hedge", 700);
		Provider a = provider("a", 0, answering("from a", 300));
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 100),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = hedged(Duration.ofSeconds(5), a, b);

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		bBulkhead.awaitTake();

		assertThat(bBulkhead.snatched).as("a caller took b's last slot between the hedge's check and take").isTrue();
		assertThat(bBulkhead.waitedMillis).as("ms the hedge's own thread waited in b's bulkhead")
			.isGreaterThanOrEqualTo(0);
		assertThat(tookMs).as("ms until the caller had a's answer (a answers at 300 ms)").isLessThan(600);
	}

	/**
	 * Was a defect: a stream's hedge was chosen on the thread of {@code Mono.delay}, a thread
	 * of Reactor's parallel scheduler (one per core), which a bulkhead's
	 * {@code max-wait-duration} could block. It is now chosen on the hedging pool: no
	 * parallel thread ever takes a slot of {@code b}'s bulkhead (the watched prefix), and the
	 * hedge's take happens on a {@code resilient-ai-hedge} thread.
	 */
	@Test
	void checkAStreamHedgeIsChosenOffReactorsParallelThreads() {
		SnatchingBulkhead onParallel = new SnatchingBulkhead(
				Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(2)).build()),
				"parallel", 700);
		java.util.List<String> takenOn = new java.util.concurrent.CopyOnWriteArrayList<>();
		Bulkhead bBulkhead = new Bulkhead() {

			@Override
			public boolean tryAcquirePermission() {
				takenOn.add(Thread.currentThread().getName());
				return onParallel.tryAcquirePermission();
			}

			@Override
			public void changeConfig(BulkheadConfig newConfig) {
				onParallel.changeConfig(newConfig);
			}

			@Override
			public void acquirePermission() {
				onParallel.acquirePermission();
			}

			@Override
			public void releasePermission() {
				onParallel.releasePermission();
			}

			@Override
			public void onComplete() {
				onParallel.onComplete();
			}

			@Override
			public String getName() {
				return onParallel.getName();
			}

			@Override
			public BulkheadConfig getBulkheadConfig() {
				return onParallel.getBulkheadConfig();
			}

			@Override
			public Metrics getMetrics() {
				return onParallel.getMetrics();
			}

			@Override
			public Map<String, String> getTags() {
				return onParallel.getTags();
			}

			@Override
			public EventPublisher getEventPublisher() {
				return onParallel.getEventPublisher();
			}

		};
		Provider a = provider("a", 0,
				streaming((prompt) -> Flux.just(chunk("from a", "STOP")).delaySubscription(Duration.ofMillis(300))));
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true,
				streaming((prompt) -> Flux.just(chunk("from b", "STOP")).delaySubscription(Duration.ofMillis(100))),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = hedged(Duration.ofSeconds(5), a, b);

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("from b");
		assertThat(takenOn).as("threads that took a slot of b's bulkhead").singleElement()
			.asString()
			.startsWith("resilient-ai-hedge");
		assertThat(onParallel.waitedMillis).as("a parallel thread's wait in b's bulkhead (-1: none)").isEqualTo(-1);
	}

	/**
	 * Defect: the mend that makes a hedged call's winner complete before the loser is
	 * cancelled was not carried over to {@code ProbeRun}. When the probe answers first, its
	 * pool thread runs {@code caller.cancel()} <em>before</em>
	 * {@code run.outcome.complete(result)} ({@code CallPath.java:257-264}), and
	 * {@code AttemptGuard.stop} runs every registered canceller synchronously before it
	 * interrupts the caller's thread ({@code AttemptGuard.java:145-146}), while the caller's
	 * {@code finish()} spins until that interrupt is delivered
	 * ({@code AttemptGuard.java:169-171}). A slow canceller of the caller's own attempt (1 s
	 * here: closing an SSL socket whose peer does not read) holds the caller although the
	 * probe answered at ~100 ms and the caller's own call would stop at the interrupt:
	 * "the first answer returns at once" does not hold for a probe.
	 * <p>
	 * Expected: the probe's answer within a few hundred ms. Fix: complete the probe's outcome
	 * first, cancel the caller's attempt off the probe thread, and in {@code AttemptGuard.stop}
	 * deliver the interrupt (and set {@code interruptDelivered}) before running the cancellers,
	 * so that {@code finish()} never waits for a canceller.
	 */
	@Test
	void aProbesAnswerIsNotHeldBackByTheCallersSlowCanceller() {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 100), breaker);
		Provider b = provider("b", 1, calling((prompt) -> {
			AttemptGuard.registerCanceller(() -> sleep(1_000));
			return answering("from b", 3_000).call(prompt);
		}));
		this.executor = unhedged(Duration.ofSeconds(5), a, b);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		assertThat(tookMs).as("ms until the caller had the probe's answer (probe answered at ~100 ms)")
			.isLessThan(500);
	}

	// ------------------------------------------------------------------ checks

	/**
	 * Holds: the hedge's answer reaches the caller at once, the primary whose canceller is
	 * slow is cancelled off the caller's thread, and both permits come back.
	 */
	@Test
	void checkAHedgesAnswerReturnsAtOnceAndBothPermitsComeBack() {
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(3).build());
		Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(3).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, calling((prompt) -> {
			AttemptGuard.registerCanceller(() -> sleep(600));
			return answering("from a", 3_000).call(prompt);
		}), CircuitBreaker.ofDefaults("a"), aBulkhead, null);
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 50),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = hedged(Duration.ofSeconds(5), a, b);

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from b");
		assertThat(tookMs).isLessThan(450);
		waitUntil(() -> aBulkhead.getMetrics().getAvailableConcurrentCalls() == 3);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(3);
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(3);
		assertThat(a.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls()).as("a's cancelled call unrecorded")
			.isZero();
	}

	/**
	 * Holds: a probe the hedging pool refuses (here: the pool is closed) runs on the caller's
	 * thread as an ordinary attempt with the same permit: it is counted, its answer closes
	 * the half-open breaker, and the bulkhead slot comes back.
	 */
	@Test
	void checkAProbeThePoolRefusesRunsOnTheCallersThread() {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(2).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 20), breaker, aBulkhead,
				null);
		this.executor = hedged(Duration.ofSeconds(5), a, provider("b", 1, answering("from b", 20)));
		this.executor.getHedging().close();
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		assertThat(a.getProbesSent()).isEqualTo(1);
		assertThat(a.getProbesAnswered()).isEqualTo(1);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
	}

	/**
	 * Holds: a stream's probe of a half-open provider is counted (sent and answered) and not
	 * hedged, however slow its first chunk.
	 */
	@Test
	void checkAStreamProbeIsCountedAndNeverHedged() {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true,
				streaming((prompt) -> Flux.just(chunk("from a", "STOP")).delaySubscription(Duration.ofMillis(200))),
				breaker);
		Provider b = provider("b", 1, streaming((prompt) -> Flux.just(chunk("from b", "STOP"))));
		this.executor = hedged(Duration.ofSeconds(5), a, b);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("from a");
		assertThat(a.getProbesSent()).isEqualTo(1);
		assertThat(a.getProbesAnswered()).isEqualTo(1);
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	/**
	 * Holds: the request's deadline cuts both attempts of a hedged call short, the caller
	 * returns at the deadline, and both permits come back unrecorded.
	 */
	@Test
	void checkADeadlineCutsAHedgedCallShortAndGivesBothPermitsBack() {
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(2).build());
		Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(2).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 3_000),
				CircuitBreaker.ofDefaults("a"), aBulkhead, null);
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 3_000),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = hedged(Duration.ofMillis(300), a, b);

		long start = System.nanoTime();
		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(failure).isNotNull();
		assertThat(tookMs).isLessThan(800);
		waitUntil(() -> aBulkhead.getMetrics().getAvailableConcurrentCalls() == 2
				&& bBulkhead.getMetrics().getAvailableConcurrentCalls() == 2);
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
		assertThat(a.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls()).isZero();
		assertThat(b.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls()).isZero();
	}

	// ------------------------------------------------------------------ support

	/**
	 * A bulkhead that, when a thread of the given name prefix reads its free slots, lets a
	 * concurrent caller take the last slot (held for the given time) before the reader goes
	 * on: the interleaving of a check-then-act race, forced. Records how long that thread's
	 * next {@code tryAcquirePermission} took.
	 */
	static final class SnatchingBulkhead implements Bulkhead {

		private final Bulkhead delegate;

		private final String threadPrefix;

		private final long holdMillis;

		private final AtomicBoolean armed = new AtomicBoolean(true);

		private final CountDownLatch took = new CountDownLatch(1);

		volatile boolean snatched;

		volatile long waitedMillis = -1;

		SnatchingBulkhead(Bulkhead delegate, String threadPrefix, long holdMillis) {
			this.delegate = delegate;
			this.threadPrefix = threadPrefix;
			this.holdMillis = holdMillis;
		}

		void awaitTake() {
			try {
				this.took.await(5, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		private boolean onWatchedThread() {
			return Thread.currentThread().getName().startsWith(this.threadPrefix);
		}

		@Override
		public Metrics getMetrics() {
			Metrics real = this.delegate.getMetrics();
			return new Metrics() {

				@Override
				public int getAvailableConcurrentCalls() {
					int available = real.getAvailableConcurrentCalls();
					if (available > 0 && onWatchedThread() && SnatchingBulkhead.this.armed.compareAndSet(true, false)) {
						snatch();
					}
					return available;
				}

				@Override
				public int getMaxAllowedConcurrentCalls() {
					return real.getMaxAllowedConcurrentCalls();
				}

			};
		}

		private void snatch() {
			CountDownLatch taken = new CountDownLatch(1);
			Thread caller = new Thread(() -> {
				if (this.delegate.tryAcquirePermission()) {
					this.snatched = true;
					taken.countDown();
					sleep(this.holdMillis);
					this.delegate.onComplete();
				}
				else {
					taken.countDown();
				}
			}, "review3-concurrent-caller");
			caller.setDaemon(true);
			caller.start();
			try {
				taken.await(2, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		@Override
		public boolean tryAcquirePermission() {
			if (!onWatchedThread()) {
				return this.delegate.tryAcquirePermission();
			}
			long start = System.nanoTime();
			try {
				return this.delegate.tryAcquirePermission();
			}
			finally {
				if (this.waitedMillis < 0) {
					this.waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
					this.took.countDown();
				}
			}
		}

		@Override
		public void changeConfig(BulkheadConfig newConfig) {
			this.delegate.changeConfig(newConfig);
		}

		@Override
		public void acquirePermission() {
			this.delegate.acquirePermission();
		}

		@Override
		public void releasePermission() {
			this.delegate.releasePermission();
		}

		@Override
		public void onComplete() {
			this.delegate.onComplete();
		}

		@Override
		public String getName() {
			return this.delegate.getName();
		}

		@Override
		public BulkheadConfig getBulkheadConfig() {
			return this.delegate.getBulkheadConfig();
		}

		@Override
		public Map<String, String> getTags() {
			return this.delegate.getTags();
		}

		@Override
		public EventPublisher getEventPublisher() {
			return this.delegate.getEventPublisher();
		}

	}

	private FailoverExecutor hedged(Duration deadline, Provider... providers) {
		FailoverExecutor executor = unhedged(deadline, providers);
		executor.setHedging(Hedging.of(DELAY, 1.0));
		return executor;
	}

	private FailoverExecutor unhedged(Duration deadline, Provider... providers) {
		Clock clock = Clock.systemUTC();
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(deadline), new ErrorClassifier(clock),
				DataClassPolicy.unrestricted(), this.audits::add, null, clock);
	}

	static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	static void waitUntil(java.util.function.BooleanSupplier condition) {
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
		while (!condition.getAsBoolean() && System.nanoTime() < until) {
			sleep(10);
		}
	}

}
