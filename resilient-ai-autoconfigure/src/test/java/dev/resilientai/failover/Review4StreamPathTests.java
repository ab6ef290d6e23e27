package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.provider;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fourth review of the stream path (StreamPath, StreamWatchdog). Every test here fails
 * against the reviewed code for the reason its Javadoc gives.
 */
class Review4StreamPathTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * Defect: a stream hedge's winner waits for the loser's canceller. The call path was
	 * mended in 1572db8 ("the answer reaches the caller first; then the loser is cancelled"),
	 * the stream path was not: {@code Flux.firstWithValue(first, second)}
	 * (StreamPath#hedged) cancels the losing attempt, synchronously, on the winner's thread
	 * and before the winner's first chunk goes downstream, so an HTTP client whose cancel is
	 * slow (closing a connection, a TLS close_notify to a browned-out provider) holds the
	 * caller's first chunk, the very thing hedging exists to bring early.
	 */
	@Test
	void aStreamHedgesFirstChunkDoesNotWaitForTheLosersSlowCanceller() throws Exception {
		CountDownLatch cancelling = new CountDownLatch(1);
		CountDownLatch releaseCanceller = new CountDownLatch(1);
		CountDownLatch firstChunk = new CountDownLatch(1);
		// a: browned out, never answers in time; its HTTP client's cancel is slow
		Provider a = provider("a", 0, streaming((prompt) -> Flux.<ChatResponse>never().doOnCancel(() -> {
			cancelling.countDown();
			await(releaseCanceller, 2_000);
		})));
		// b: the hedge, answers at once
		Provider b = provider("b", 1, streaming((prompt) -> Mono.delay(Duration.ofMillis(5))
			.thenMany(Flux.just(chunk("from ", null), chunk("b", "STOP")))));
		this.executor = executor(a, b);

		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.subscribe((chunk) -> firstChunk.countDown());

		assertThat(cancelling.await(2, TimeUnit.SECONDS)).as("a's canceller runs").isTrue();
		boolean delivered = firstChunk.await(300, TimeUnit.MILLISECONDS);
		releaseCanceller.countDown();
		assertThat(firstChunk.await(2, TimeUnit.SECONDS)).as("b's first chunk once a's canceller returned").isTrue();
		assertThat(delivered).as("b's first chunk delivered while a's canceller still runs").isTrue();
	}

	/**
	 * Defect: the watchdog decides an expiry on the timer's thread ({@code expired = true},
	 * StreamWatchdog#run) and only later, after a hop to Reactor's parallel scheduler,
	 * signals it ({@code timeouts.schedule(expiry::tryEmitEmpty)}). Chunks and the
	 * completion that arrive in between still pass {@code takeUntilOther(expiry)}: the caller
	 * gets the provider's whole answer, and then {@code Mono.defer(watchdog::end)} sees
	 * {@code expired} and turns the completed stream into a TimeoutException, which
	 * {@code failed(...)} with {@code delivered > 0} makes a StreamInterruptedException and
	 * records as a breaker failure. A caller ends with a complete answer <em>and</em> an
	 * error (and the provider is blamed). The hop is made deterministic here by holding the
	 * expiry's signal (a Reactor schedule hook) until the provider has answered; under load the
	 * parallel threads are busy and the window is real.
	 * <p>
	 * Expected: one consistent outcome: either the expiry wins (a's late chunk is not
	 * delivered, failover to b) or the answer wins (no error after a's complete stream).
	 */
	@Test
	void aStreamThatCompletedIsNotTurnedIntoATimeoutByAnExpirySignalledLate() throws Exception {
		Sinks.Many<ChatResponse> aChunks = Sinks.many().unicast().onBackpressureBuffer();
		Provider a = new Provider("a", 0, Duration.ofMillis(50), true, streaming((prompt) -> aChunks.asFlux()),
				CircuitBreaker.ofDefaults("a"));
		Provider b = provider("b", 1, streaming((prompt) -> Flux.just(chunk("from b", "STOP"))));
		this.executor = executor(a, b);
		this.executor.setHedging(Hedging.off());
		CountDownLatch decided = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		Schedulers.onScheduleHook(HOOK, (task) -> {
			if (!Thread.currentThread().getName().startsWith("resilient-ai-timeout-")) {
				return task;
			}
			// the watchdog's expiry signal, handed by the timer to Reactor's parallel threads
			return () -> {
				decided.countDown();
				await(release, 2_000);
				task.run();
			};
		});
		try {
			List<String> served = new CopyOnWriteArrayList<>();
			AtomicReference<Throwable> error = new AtomicReference<>();
			CountDownLatch done = new CountDownLatch(1);
			this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe(
					(chunk) -> served.add(chunk.getMetadata().get(ResilientChatClient.PROVIDER)), (ex) -> {
						error.set(ex);
						done.countDown();
					}, done::countDown);

			assertThat(decided.await(2, TimeUnit.SECONDS)).as("the watchdog expired the first attempt").isTrue();
			// a's whole answer arrives while the expiry's signal is on its way
			aChunks.tryEmitNext(chunk("from a", "STOP"));
			aChunks.tryEmitComplete();
			release.countDown();
			assertThat(done.await(2, TimeUnit.SECONDS)).as("stream ended").isTrue();

			assertThat(served).as("providers whose chunks the caller got").isNotEmpty();
			if (served.contains("a")) {
				assertThat(error.get()).as("error after a's complete answer (%s)", served).isNull();
			}
		}
		finally {
			release.countDown();
			Schedulers.resetOnScheduleHook(HOOK);
		}
	}

	private static final String HOOK = "review4-late-expiry";

	/**
	 * Defect: an attempt's watchdog is stopped in the attempt's {@code doFinally}
	 * (StreamPath#attempt), which sits <em>after</em> {@code onErrorResume(... failed(...)
	 * -> onFailover.get())}: when an attempt fails before its first chunk, its
	 * {@code doFinally} waits for the whole failover stream that replaced it (the next
	 * providers' answers) to end. Meanwhile the dead attempt's timer task stays queued and,
	 * at the first-chunk timeout, fires: it marks the finished attempt expired and hops an
	 * expiry signal to Reactor's parallel threads. During an outage every stream that fails
	 * over leaves such a task behind for its whole length (overhead target of issue 19; one
	 * timer task per live attempt is the watchdog's promise).
	 * <p>
	 * Here a fails at once (503), b answers over 300 ms; a's first-chunk timeout is 50 ms.
	 * Expected: nothing of a's watchdog runs after a failed. Fix: stop the watchdog (and
	 * complete the permit) in a {@code doFinally} placed before {@code onErrorResume}, or in
	 * {@code failed(...)}.
	 */
	@Test
	void aFailedAttemptsWatchdogDoesNotFireWhileTheNextProviderStreams() throws Exception {
		Provider a = new Provider("a", 0, Duration.ofMillis(50), true,
				streaming((prompt) -> Flux.error(HedgingLoopReviewTests.serverError())), CircuitBreaker.ofDefaults("a"));
		Provider b = provider("b", 1, streaming((prompt) -> Flux.interval(Duration.ofMillis(30))
			.take(10)
			.map((i) -> chunk("b" + i + " ", (i == 9) ? "STOP" : null))));
		this.executor = executor(a, b);
		this.executor.setHedging(Hedging.off());
		java.util.concurrent.atomic.AtomicInteger fromTimer = new java.util.concurrent.atomic.AtomicInteger();
		Schedulers.onScheduleHook(HOOK, (task) -> {
			if (Thread.currentThread().getName().startsWith("resilient-ai-timeout-")) {
				// a watchdog's task at work on the timer: its expiry signal or its next check
				fromTimer.incrementAndGet();
			}
			return task;
		});
		try {
			List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
				.collectList()
				.block(Duration.ofSeconds(5));

			assertThat(chunks).hasSize(10)
				.allSatisfy((chunk) -> assertThat(chunk.getMetadata().<String>get(ResilientChatClient.PROVIDER))
					.isEqualTo("b"));
			assertThat(fromTimer).as("watchdog tasks of the failed attempt a that ran while b streamed").hasValue(0);
		}
		finally {
			Schedulers.resetOnScheduleHook(HOOK);
		}
	}

	/**
	 * Defect: {@code Flux.defer(() -> hedge(...)).subscribeOn(hedging.scheduler())}
	 * (StreamPath#hedged) does more than choose the hedge on the pool: Reactor's
	 * {@code Flux.subscribeOn} also dispatches every later {@code request(n)} of the winning
	 * stream to that worker ({@code requestOnSeparateThread}), for the stream's whole life. A
	 * consumer that asks for chunks one at a time (Spring MVC's SSE writer asks for the next
	 * chunk after each write; {@code limitRate}, {@code publishOn}, {@code toIterable}
	 * replenish too) makes each request a task on the bounded hedging pool (a
	 * {@code SynchronousQueue}, {@value Hedging#MAX_THREADS} threads), whose threads then deliver
	 * the chunks and run the consumer's code. When the pool is saturated (hedged calls and
	 * probes blocked on a browned-out provider: the moment hedging is for) the request is
	 * refused and the stream that already won never gets its next chunk: here the request
	 * throws a {@code RejectedExecutionException} into the consumer and the stream stalls.
	 * <p>
	 * Expected: the hedge's second chunk arrives once asked for. Fix: choose the hedge on
	 * the pool but subscribe the chosen attempt without {@code subscribeOn} (e.g.
	 * {@code Mono.fromCallable(choose).subscribeOn(pool).flatMapMany(attempt)}) or use
	 * {@code subscribeOn(scheduler, false)}.
	 */
	@Test
	void aStreamHedgeThatWonStillGetsItsNextChunkWhenTheHedgingPoolIsBusy() throws Exception {
		Provider a = provider("a", 0, streaming((prompt) -> Flux.never()));
		Provider b = provider("b", 1,
				streaming((prompt) -> Flux.just(chunk("one ", null), chunk("two ", null), chunk("three", "STOP"))));
		this.executor = executor(a, b);
		List<ChatResponse> received = new CopyOnWriteArrayList<>();
		List<String> threads = new CopyOnWriteArrayList<>();
		CountDownLatch first = new CountDownLatch(1);
		CountDownLatch second = new CountDownLatch(1);
		org.reactivestreams.Subscription[] subscription = new org.reactivestreams.Subscription[1];
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.subscribe(new reactor.core.publisher.BaseSubscriber<ChatResponse>() {

				@Override
				protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
					subscription[0] = s;
					s.request(1);
				}

				@Override
				protected void hookOnNext(ChatResponse chunk) {
					received.add(chunk);
					threads.add(Thread.currentThread().getName());
					if (received.size() == 1) {
						first.countDown();
					}
					else {
						second.countDown();
					}
				}

			});
		assertThat(first.await(2, TimeUnit.SECONDS)).as("b's first chunk (the hedge won)").isTrue();
		assertThat(received.get(0).getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("b");

		// a brownout: the hedging pool's threads are all busy with hedged calls and probes
		CountDownLatch unblock = new CountDownLatch(1);
		java.util.concurrent.ExecutorService pool = this.executor.getHedging().executor();
		try {
			for (int i = 0; i < Hedging.MAX_THREADS; i++) {
				pool.execute(() -> await(unblock, 5_000));
			}
			Throwable thrown = null;
			try {
				// the consumer asks for the next chunk from its own thread
				subscription[0].request(1);
			}
			catch (Throwable ex) {
				thrown = ex;
			}
			boolean delivered = second.await(500, TimeUnit.MILLISECONDS);
			assertThat(thrown).as("thrown by the consumer's request(1)").isNull();
			assertThat(delivered).as("b's second chunk delivered (chunks so far on %s)", threads).isTrue();
		}
		finally {
			unblock.countDown();
		}
	}

	/** An executor hedging after 30 ms, every request within the budget. */
	static FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), (record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(30), 1.0));
		return executor;
	}

	static boolean await(CountDownLatch latch, long millis) {
		try {
			return latch.await(millis, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

}
