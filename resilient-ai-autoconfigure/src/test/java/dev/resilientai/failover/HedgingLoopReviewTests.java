package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.context.ContextRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Review of hedged attempts (issue 16) at the loop level, with in-memory models. Every test
 * here failed when written: each names a defect. Hedging delay 50 ms unless said otherwise;
 * providers {@code a}, {@code b}, {@code c} in that order.
 */
class HedgingLoopReviewTests {

	private static final Duration DELAY = Duration.ofMillis(50);

	private final List<AuditRecord> audits = new CopyOnWriteArrayList<>();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	// ---------------------------------------------------------------- streams

	/**
	 * A 400 on the first attempt of a stream, before the delay, ends a stream without hedging
	 * (as it does with hedging off, and as it does on the call path). Here the error does not
	 * signal {@code firstFailed}, so {@code Flux.firstWithValue} keeps waiting for the delayed
	 * hedge, which is sent after the delay and answers: the rejection is masked, a token and a
	 * billed call spent.
	 */
	@Test
	void aStreamRejectedBeforeTheDelayIsNeitherHedgedNorServedByAnotherProvider() {
		AtomicInteger bCalls = new AtomicInteger();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, streaming((prompt) -> Flux.error(badRequest()))),
				provider("b", 1, streaming((prompt) -> {
					bCalls.incrementAndGet();
					return Flux.just(chunk("from b", "STOP"));
				})));

		Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5)));

		assertThat(failure).as("as with hedging off: the 400 ends the stream").isInstanceOf(ProviderRequestRejectedException.class);
		assertThat(bCalls).as("no hedge after a rejection").hasValue(0);
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
	}

	/**
	 * When both attempts of a hedged stream fail, {@code ownFailure} is meant to find a
	 * rejection (or an {@code Error}) among them and end the stream with it. But
	 * {@code Flux.firstWithValue} signals {@code NoSuchElementException} whose <em>cause</em>
	 * is a {@code CompositeException} carrying the attempts' errors as suppressed; the
	 * {@code NoSuchElementException} itself has no suppressed exceptions, so the rejection is
	 * swallowed and failover goes on to {@code c}.
	 */
	@Test
	void aStreamRejectedWhileItsHedgeFailsEndsInTheRejection() {
		AtomicInteger cCalls = new AtomicInteger();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, streaming((prompt) -> Mono.delay(Duration.ofMillis(250))
					.flatMapMany((tick) -> Flux.<ChatResponse>error(badRequest())))),
				provider("b", 1, streaming((prompt) -> Mono.delay(Duration.ofMillis(30))
					.flatMapMany((tick) -> Flux.<ChatResponse>error(serverError())))),
				provider("c", 2, streaming((prompt) -> {
					cCalls.incrementAndGet();
					return Flux.just(chunk("from c", "STOP"));
				})));

		Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5)));

		assertThat(failure).isInstanceOf(ProviderRequestRejectedException.class);
		assertThat(cCalls).hasValue(0);
	}

	/**
	 * The same aggregation hides an {@code Error} of one attempt (contract item 10: an
	 * {@code Error} ends the request as it is).
	 */
	@Test
	void anErrorOfAHedgedStreamAttemptIsNotSwallowedWhenTheOtherAttemptFailsToo() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, streaming((prompt) -> Mono.delay(Duration.ofMillis(250))
					.flatMapMany((tick) -> Flux.<ChatResponse>error(new AssertionError("boom"))))),
				provider("b", 1, streaming((prompt) -> Mono.delay(Duration.ofMillis(30))
					.flatMapMany((tick) -> Flux.<ChatResponse>error(serverError())))),
				provider("c", 2, streaming((prompt) -> Flux.just(chunk("from c", "STOP")))));

		Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5)));

		assertThat(reactor.core.Exceptions.unwrap(failure)).isInstanceOf(AssertionError.class);
	}

	/**
	 * A caller cancelling a stream before any hedge was sent is not a hedge cancellation:
	 * {@code doOnCancel} of a raced attempt counts {@code hedging.cancelled} (and records a
	 * CANCELLED "lost" step) whenever the attempt had no chunk, whoever cancelled it.
	 */
	@Test
	void aStreamCancelledByItsCallerBeforeTheDelayCountsNoCancelledHedge() throws Exception {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(500), 1.0),
				provider("a", 0, streaming((prompt) -> Flux.never())),
				provider("b", 1, streaming((prompt) -> Flux.just(chunk("from b", "STOP")))));

		Disposable subscription = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe();
		Thread.sleep(100);
		subscription.dispose();
		Thread.sleep(50);

		assertThat(this.executor.getHedging().startedCount("b")).isZero();
		assertThat(this.executor.getHedging().cancelledCount("a")).as("no hedge ran, so none was cancelled").isZero();
		assertThat(lastAudit().hedged()).isFalse();
	}

	/**
	 * A 400 on the first attempt while the hedge of a stream runs: the call path cancels the
	 * hedge and throws {@link ProviderRequestRejectedException} (as hedging off does); the
	 * stream path keeps waiting and serves the hedge. The two paths disagree (judgement call:
	 * this test takes the call path's and hedging-off's side).
	 */
	@Test
	void aStreamRejectedWhileItsHedgeRunsEndsInTheRejectionAsACallDoes() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, model((prompt) -> {
					sleep(150);
					throw badRequest();
				}, (prompt) -> Mono.delay(Duration.ofMillis(150)).flatMapMany((tick) -> Flux.<ChatResponse>error(badRequest())))),
				provider("b", 1, model((prompt) -> {
					sleep(400);
					return chunk("from b", "STOP");
				}, (prompt) -> Mono.delay(Duration.ofMillis(400)).map((tick) -> chunk("from b", "STOP")).flux())));

		Throwable callFailure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
		Throwable streamFailure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5)));

		assertThat(callFailure).isInstanceOf(ProviderRequestRejectedException.class);
		assertThat(streamFailure).isInstanceOf(ProviderRequestRejectedException.class);
	}

	/**
	 * A stream to a half-open provider is its breaker's probe: a hedge that won would cut
	 * it short unjudged (permission released), and the breaker would stay half-open for as
	 * long as the provider is slower than the delay. Probes of streams are not hedged.
	 */
	@Test
	void aStreamProbeOfAHalfOpenProviderIsNotHedgedSoItsOutcomeDecidesTheBreaker() {
		CircuitBreaker aBreaker = CircuitBreaker.of("a", io.github.resilience4j.circuitbreaker.CircuitBreakerConfig
			.custom()
			.permittedNumberOfCallsInHalfOpenState(1)
			.build());
		aBreaker.transitionToOpenState();
		aBreaker.transitionToHalfOpenState();
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true, streaming((prompt) -> Mono
			.delay(Duration.ofMillis(200)).map((tick) -> chunk("from a", "STOP")).flux()), aBreaker);
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), a,
				provider("b", 1, streaming((prompt) -> Flux.just(chunk("from b", "STOP")))));

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("from a");
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
		assertThat(aBreaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	// ------------------------------------------------------------------ calls

	/**
	 * {@link Hedging#cancelledCount} is documented as counting the cancelled attempt "the
	 * primary's or the hedge's", and the stream path counts both; the call path counts only a
	 * cancelled primary: {@code settle} never calls {@code hedging.cancelled(hedge)}.
	 */
	@Test
	void aHedgeCancelledBecauseTheFirstAttemptAnsweredIsCounted() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, answering("from a", 250)), provider("b", 1, answering("from b", 3000)));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		assertThat(lastAudit().steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome)
			.contains(tuple("b", ProviderAttempt.Outcome.CANCELLED));
		assertThat(this.executor.getHedging().cancelledCount("b")).isEqualTo(1);
	}

	/**
	 * The winner's answer waits for the loser to wind down: {@code settle} calls
	 * {@code awaitHedge(deadline)} after cancelling the hedge. A hedge whose I/O ignores the
	 * interrupt (docs/failover.md: Apache HttpClient, Jetty, a tool running in the model) holds
	 * the first attempt's answer until it ends, up to the request's deadline.
	 */
	@Test
	void theFirstAttemptsAnswerDoesNotWaitForTheCancelledHedgeToUnwind() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, answering("from a", 250)), provider("b", 1, deaf("from b", 2500)));

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		assertThat(elapsed).as("a's answer at 250 ms, not when b's uncancellable call ends").isLessThan(Duration.ofMillis(1200));
	}

	/**
	 * A 400 from the first attempt while the hedge runs: the hedge (sent, probably billed, then
	 * cancelled) is missing from the audit steps; contract: "attempts list both attempts".
	 */
	@Test
	void aRejectionWhileTheHedgeRunsListsTheCancelledHedgeInTheAudit() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), provider("a", 0, calling((prompt) -> {
			sleep(200);
			throw badRequest();
		})), provider("b", 1, answering("from b", 3000)));

		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(failure).isInstanceOf(ProviderRequestRejectedException.class);
		AuditRecord audit = lastAudit();
		assertThat(audit.hedged()).isTrue();
		assertThat(audit.steps()).extracting(ProviderAttempt::provider).contains("b");
	}

	/**
	 * The caller interrupts a call while its hedge runs: the request was hedged (a second
	 * provider was called) but the audit record says it was not and lists no hedge attempt:
	 * the interrupt path ({@code catch (RuntimeException | Error ex)} in {@code call}) cancels
	 * the hedge without {@code trace.hedged()} or a step.
	 */
	@Test
	void aCallInterruptedWhileItsHedgeRunsIsAuditedAsHedged() throws Exception {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("a", 0, answering("from a", 3000)), provider("b", 1, answering("from b", 3000)));
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread caller = new Thread(() -> {
			try {
				this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			}
			catch (Throwable ex) {
				failure.set(ex);
			}
		});
		caller.start();
		Thread.sleep(300);
		assertThat(this.executor.getHedging().startedCount("b")).isEqualTo(1);
		caller.interrupt();
		caller.join(5000);

		assertThat(failure.get()).isInstanceOf(dev.resilientai.RequestInterruptedException.class);
		AuditRecord audit = lastAudit();
		assertThat(audit.hedged()).isTrue();
		assertThat(audit.steps()).extracting(ProviderAttempt::provider).contains("b");
	}

	/**
	 * Hedging off, {@code max-attempts-per-provider: 2}: a's transient 503 is retried and a
	 * answers. Hedging on, the same request ends in {@code AllProvidersFailedException}: when a
	 * hedged race fails on both sides, {@code call} {@code break}s out of a's retries, and b
	 * is skipped for good because it is in {@code hedged}. "Hedging off changes nothing" is
	 * kept, but hedging on makes requests fail that would have succeeded.
	 */
	@Test
	void aHedgedRaceThatFailsOnBothSidesKeepsTheSameProviderRetries() {
		AtomicInteger aCalls = new AtomicInteger();
		ChatModel a = calling((prompt) -> {
			if (aCalls.incrementAndGet() == 1) {
				sleep(150);
				throw serverError();
			}
			return chunk("from a", "STOP");
		});
		ChatModel b = calling((prompt) -> {
			sleep(30);
			throw serverError();
		});
		FailoverSettings settings = new FailoverSettings(Duration.ofSeconds(5), 2, Duration.ofMillis(10),
				Duration.ofMillis(20), Duration.ofMinutes(5), FailoverSettings.DEFAULT_STREAM_IDLE_TIMEOUT);
		this.executor = executor(settings, provider("a", 0, a), provider("b", 1, b));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
	}

	/**
	 * The first attempt answers while a pool thread is still choosing the hedge (once the
	 * timer's thread, holding the race's lock, so {@code close()} waited). The hedge is then sent after the
	 * answer, and since the primary claims the race only in {@code settle}, after
	 * {@code close()}, {@code trace.hedged()} and {@code hedgeProvider()}, a quick hedge claims
	 * it first: the answer that came first is discarded (recorded as a cancelled loser), a
	 * later one from another provider is served, and a provider is called (and billed) for a
	 * request that had its answer. Even when the primary does claim first,
	 * {@code hedgeStarted} cancels the guard but {@code attempt} still calls the model.
	 * Forced here by a clock that is slow on the hedge's thread while it checks b's (expired)
	 * rest.
	 */
	@Test
	void anAnswerThatCameBeforeTheHedgeWasSentWinsAndTheHedgeIsNotCalled() {
		CountDownLatch timerChoosing = new CountDownLatch(1);
		AtomicBoolean aCalled = new AtomicBoolean();
		Clock clock = new Clock() {

			@Override
			public Instant instant() {
				// the hedge is chosen on a pool thread (not the timer's) while a's call runs
				if (aCalled.get() && Thread.currentThread().getName().startsWith("resilient-ai-hedge")
						&& timerChoosing.getCount() > 0) {
					timerChoosing.countDown();
					sleep(300);
				}
				return Instant.now();
			}

			@Override
			public ZoneId getZone() {
				return ZoneId.systemDefault();
			}

			@Override
			public Clock withZone(ZoneId zone) {
				return this;
			}

		};
		AtomicInteger bCalls = new AtomicInteger();
		Provider b = provider("b", 1, calling((prompt) -> {
			bCalls.incrementAndGet();
			return chunk("from b", "STOP");
		}));
		b.rateLimitUntil(Instant.now().minusSeconds(60));
		Provider a = provider("a", 0, calling((prompt) -> {
			aCalled.set(true);
			await(timerChoosing);
			return chunk("from a", "STOP");
		}));
		this.executor = new FailoverExecutor(List.of(a, b), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		this.executor.setHedging(Hedging.of(DELAY, 1.0));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		sleep(200);
		assertThat(bCalls).as("the race was won before the hedge's call started").hasValue(0);
	}

	/**
	 * A hedge whose thread cannot be started with an {@code Error} (the pool is unbounded:
	 * under a brownout with uncancellable hedges, "unable to create native thread" is an
	 * {@code OutOfMemoryError}) leaks b's permit (its bulkhead slot and breaker permission;
	 * contract item 10: "an Error too"), and leaves {@code hedgeOutcome} incomplete, so the
	 * first attempt's answer waits for the whole deadline. {@code run()} only catches
	 * {@code RejectedExecutionException}.
	 */
	@Test
	void aHedgeWhoseThreadCannotStartLeaksNoPermitAndHoldsNoAnswer() throws Exception {
		Bulkhead bBulkhead = Bulkhead.of("b", BulkheadConfig.custom().maxConcurrentCalls(5).maxWaitDuration(Duration.ZERO).build());
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 10),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(4)), provider("a", 0, answering("from a", 250)), b);
		java.lang.reflect.Field pool = Hedging.class.getDeclaredField("executor");
		pool.setAccessible(true);
		pool.set(this.executor.getHedging(), new java.util.concurrent.AbstractExecutorService() {

			@Override
			public void execute(Runnable command) {
				throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
			}

			@Override
			public void shutdown() {
			}

			@Override
			public List<Runnable> shutdownNow() {
				return List.of();
			}

			@Override
			public boolean isShutdown() {
				return false;
			}

			@Override
			public boolean isTerminated() {
				return false;
			}

			@Override
			public boolean awaitTermination(long timeout, TimeUnit unit) {
				return true;
			}

		});

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from a");
		assertThat(bBulkhead.getMetrics().getAvailableConcurrentCalls()).as("b's slot given back").isEqualTo(5);
		assertThat(elapsed).as("not the 4 s deadline").isLessThan(Duration.ofMillis(1500));
	}

	/**
	 * A hedge that could not be sent (its pool refused it) is not a hedge: here it is counted
	 * as started, b is marked {@code hedged} so the loop never calls it, and a fake UNKNOWN
	 * failure of b is recorded. a fails after the delay; b, healthy, is never called and the
	 * request fails. (Forced by closing the hedge pool alone; in production the pool only
	 * refuses once the executor closes.)
	 */
	@Test
	void aHedgeRefusedByItsPoolLeavesItsProviderToTheLoop() {
		AtomicInteger bCalls = new AtomicInteger();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), provider("a", 0, calling((prompt) -> {
			sleep(200);
			throw serverError();
		})), provider("b", 1, calling((prompt) -> {
			bCalls.incrementAndGet();
			return chunk("from b", "STOP");
		})));
		this.executor.getHedging().executor();
		this.executor.getHedging().close();

		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(failure).isNull();
		assertThat(bCalls).hasValue(1);
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
	}

	/**
	 * The hedge thread does not carry the caller's thread-local context: anything registered
	 * with Micrometer's context-propagation (the mechanism Spring Boot uses to carry tracing
	 * observations, MDC and Spring Security's context across threads) is missing from a hedge,
	 * while the first attempt, on the calling thread, sees it. Tools a model calls in the hedge
	 * then run without the caller's security context, and the hedge's Spring AI observation
	 * has no parent span. Only {@link RoutingContext} is carried.
	 */
	@Test
	void aHedgeSeesTheCallersPropagatedContextAsTheFirstAttemptDoes() {
		ThreadLocal<String> user = new ThreadLocal<>();
		ContextRegistry.getInstance().registerThreadLocalAccessor("review.user", user);
		try {
			List<String> seen = new CopyOnWriteArrayList<>();
			this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), provider("a", 0, calling((prompt) -> {
				seen.add("a:" + user.get());
				return answering("from a", 3000).call(prompt);
			})), provider("b", 1, calling((prompt) -> {
				seen.add("b:" + user.get());
				return chunk("from b", "STOP");
			})));

			user.set("alice");
			ChatResponse response;
			try {
				response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			}
			finally {
				user.remove();
			}

			assertThat(response.getResult().getOutput().getText()).isEqualTo("from b");
			assertThat(seen).containsExactly("a:alice", "b:alice");
		}
		finally {
			ContextRegistry.getInstance().removeThreadLocalAccessor("review.user");
		}
	}

	// ---------------------------------------------------------------- helpers

	private FailoverExecutor executor(FailoverSettings settings, Provider... providers) {
		return executor(settings, Hedging.of(DELAY, 1.0), providers);
	}

	private FailoverExecutor executor(FailoverSettings settings, Hedging hedging, Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), settings, new ErrorClassifier(clock),
				DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		executor.setHedging(hedging);
		return executor;
	}

	private AuditRecord lastAudit() {
		assertThat(this.audits).isNotEmpty();
		return this.audits.get(this.audits.size() - 1);
	}

	static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	static HttpClientErrorException badRequest() {
		return HttpClientErrorException.create(HttpStatus.BAD_REQUEST, "Bad Request", null, null, null);
	}

	static HttpServerErrorException serverError() {
		return HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE, "Unavailable", null, null, null);
	}

	static ChatResponse chunk(String text, String finishReason) {
		ChatGenerationMetadata metadata = (finishReason != null)
				? ChatGenerationMetadata.builder().finishReason(finishReason).build() : ChatGenerationMetadata.NULL;
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), metadata)));
	}

	/** Answers after a pause; an interrupt ends the pause with a failure, as an aborted call does. */
	static ChatModel answering(String text, long millis) {
		return calling((prompt) -> {
			try {
				Thread.sleep(millis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("cancelled", ex);
			}
			return chunk(text, "STOP");
		});
	}

	/** Answers after a pause that no interrupt shortens, as blocking socket I/O does. */
	static ChatModel deaf(String text, long millis) {
		return calling((prompt) -> {
			sleep(millis);
			return chunk(text, "STOP");
		});
	}

	static ChatModel calling(Function<Prompt, ChatResponse> behaviour) {
		return model(behaviour, (prompt) -> {
			throw new UnsupportedOperationException();
		});
	}

	static ChatModel streaming(Function<Prompt, Flux<ChatResponse>> behaviour) {
		return model((prompt) -> {
			throw new UnsupportedOperationException();
		}, behaviour);
	}

	static ChatModel model(Function<Prompt, ChatResponse> call, Function<Prompt, Flux<ChatResponse>> stream) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return call.apply(prompt);
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return stream.apply(prompt);
			}

		};
	}

	/** Sleeps the whole time, an interrupt or not; keeps the interrupt. */
	static void sleep(long millis) {
		long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
		boolean interrupted = false;
		for (long left; (left = end - System.nanoTime()) > 0;) {
			try {
				TimeUnit.NANOSECONDS.sleep(left);
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	static void await(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
