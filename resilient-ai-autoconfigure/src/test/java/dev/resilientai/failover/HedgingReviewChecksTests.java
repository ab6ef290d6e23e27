package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.ProviderAttempt;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.answering;
import static dev.resilientai.failover.HedgingLoopReviewTests.calling;
import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.serverError;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Review of hedged attempts (issue 16): what was checked and holds. These pass; they pin
 * behaviour the fixes for {@link HedgingLoopReviewTests} must keep.
 */
class HedgingReviewChecksTests {

	private final List<AuditRecord> audits = new CopyOnWriteArrayList<>();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void underConcurrencyTheBudgetHoldsRatioTimesNPlusTwo() throws Exception {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(5), 0.1),
				provider("a", 0, answering("from a", 30)), provider("b", 1, answering("from b", 300)));
		ExecutorService callers = Executors.newFixedThreadPool(8);
		List<Future<?>> done = new ArrayList<>();
		for (int i = 0; i < 200; i++) {
			done.add(callers.submit(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT)));
		}
		for (Future<?> future : done) {
			future.get();
		}
		callers.shutdown();

		long hedged = this.audits.stream().filter(AuditRecord::hedged).count();
		assertThat(hedged).isBetween(15L, (long) (0.1 * 200 + 2));
		assertThat(this.executor.getHedging().startedCount("b")).isEqualTo(hedged);
		assertThat(this.executor.getHedging().cancelledCount("a")).isZero();
	}

	@Test
	void aCancelledLoserIsNeitherAFailureNorASuccessOfItsBreakerAndItsSlotComesBack() {
		// closed: a half-open provider's first request is a probe beside the next provider,
		// which is never cut short (RecoveryOverHttpTests); this is the hedged loser's case
		CircuitBreaker aBreaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		Bulkhead aBulkhead = Bulkhead.of("a", BulkheadConfig.custom().maxConcurrentCalls(3).maxWaitDuration(Duration.ZERO).build());
		CircuitBreaker bBreaker = CircuitBreaker.ofDefaults("b");
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(50), 1),
				new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 3000), aBreaker, aBulkhead, null),
				new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 20), bBreaker,
						Bulkhead.of("b", BulkheadConfig.custom().maxWaitDuration(Duration.ZERO).build()), null));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from b");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		// the loser unwinds on its own thread, after the caller has its answer
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
		while (aBulkhead.getMetrics().getAvailableConcurrentCalls() < 3 && System.nanoTime() < until) {
			Thread.onSpinWait();
		}
		assertThat(aBulkhead.getMetrics().getAvailableConcurrentCalls()).as("a's slot given back").isEqualTo(3);
		assertThat(aBreaker.getMetrics().getNumberOfBufferedCalls()).isZero();
		assertThat(aBreaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(bBreaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
		assertThat(this.audits.get(0).steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome)
			.containsExactlyInAnyOrder(tuple("a", ProviderAttempt.Outcome.CANCELLED),
					tuple("b", ProviderAttempt.Outcome.SUCCESS));
		assertThat(this.executor.getHedging().wonCount("b")).isEqualTo(1);
		assertThat(this.executor.getHedging().cancelledCount("a")).isEqualTo(1);
	}

	@Test
	void aCallWhoseAttemptsBothFailGoesOnToAnUntriedProvider() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(50), 1),
				provider("a", 0, calling((prompt) -> {
					HedgingLoopReviewTests.sleep(200);
					throw serverError();
				})), provider("b", 1, calling((prompt) -> {
					throw serverError();
				})), provider("c", 2, answering("from c", 10)));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from c");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(3);
	}

	@Test
	void bothAttemptsFailingEndInTheFallbackResponder() {
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(List.of(provider("a", 0, calling((prompt) -> {
			HedgingLoopReviewTests.sleep(200);
			throw serverError();
		})), provider("b", 1, calling((prompt) -> {
			throw serverError();
		}))), FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), DataClassPolicy.unrestricted(),
				this.audits::add, (prompt, failure) -> "fallback", clock);
		this.executor.setHedging(Hedging.of(Duration.ofMillis(50), 1));

		assertThat(this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT).getResult().getOutput().getText())
			.isEqualTo("fallback");
		assertThat(this.audits.get(0).hedged()).isTrue();
	}

	@Test
	void aSingleEligibleProviderOrADelayBeyondTheAttemptTimeoutIsNeverHedged() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(10), 1),
				provider("a", 0, answering("from a", 100)));
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		this.executor.close();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofSeconds(5), 1),
				provider("a", 0, answering("from a", 100)), provider("b", 1, answering("from b", 10)));
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(this.audits).noneMatch(AuditRecord::hedged);
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
	}

	@Test
	void aHedgeThreadKeepsNoInterruptForItsNextTask() {
		List<Boolean> interruptedOnEntry = new CopyOnWriteArrayList<>();
		AtomicInteger calls = new AtomicInteger();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(30), 1),
				provider("a", 0, answering("from a", 150)), provider("b", 1, calling((prompt) -> {
					interruptedOnEntry.add(Thread.currentThread().isInterrupted());
					calls.incrementAndGet();
					HedgingLoopReviewTests.sleep(1000);
					return chunk("from b", "STOP");
				})));

		for (int i = 0; i < 2; i++) {
			assertThat(this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT).getResult().getOutput().getText())
				.isEqualTo("from a");
		}

		assertThat(interruptedOnEntry).containsExactly(false, false);
	}

	@Test
	void aStreamWhosePrimaryFailsBeforeTheDelayFailsOverPlainlyWithoutBudget() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(200), 0),
				provider("a", 0, streaming((prompt) -> Flux.error(serverError()))),
				provider("b", 1, streaming((prompt) -> Flux.just(chunk("from b", "STOP")))));
		this.executor.getHedging().tryTake();
		this.executor.getHedging().tryTake();

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(ResilientChatClient.PROVIDER)).containsOnly("b");
		assertThat(this.audits.get(0).hedged()).isFalse();
		assertThat(this.executor.getHedging().tryTake()).as("no token was left to spend, none was refunded twice").isFalse();
	}

	@Test
	void aStreamThatFailsAfterItsFirstChunkIsInterruptedAndNeverHedged() {
		AtomicInteger bCalls = new AtomicInteger();
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(50), 1),
				provider("a", 0, streaming((prompt) -> Flux.just(chunk("part", null))
					.concatWith(Mono.delay(Duration.ofMillis(200)).then(Mono.error(serverError()))))),
				provider("b", 1, streaming((prompt) -> {
					bCalls.incrementAndGet();
					return Flux.just(chunk("from b", "STOP"));
				})));

		Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5)));

		assertThat(failure).isInstanceOf(StreamInterruptedException.class);
		assertThat(bCalls).hasValue(0);
	}

	@Test
	void aHedgedStreamServedByTheHedgeNeverSplicesAndCountsBothAttempts() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), Hedging.of(Duration.ofMillis(50), 1),
				provider("a", 0, streaming((prompt) -> Mono.delay(Duration.ofMillis(300))
					.thenMany(Flux.just(chunk("a1", null), chunk("a2", "STOP"))))),
				provider("b", 1, streaming((prompt) -> Flux.just(chunk("b1", null), chunk("b2", "STOP"))
					.delayElements(Duration.ofMillis(150)))));

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getResult().getOutput().getText()).containsExactly("b1", "b2");
		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(ResilientChatClient.ATTEMPTS))
			.containsOnly(2);
		AuditRecord audit = this.audits.get(0);
		assertThat(audit.hedged()).isTrue();
		assertThat(audit.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome)
			.containsExactlyInAnyOrder(tuple("a", ProviderAttempt.Outcome.CANCELLED),
					tuple("b", ProviderAttempt.Outcome.SUCCESS));
		assertThat(this.executor.getHedging().wonCount("b")).isEqualTo(1);
		assertThat(this.executor.getHedging().cancelledCount("a")).isEqualTo(1);
	}

	@Test
	void aHedgeGoesOnlyToProvidersEligibleForTheRequestsClass() {
		Clock clock = Clock.systemUTC();
		AtomicInteger publicOnlyCalls = new AtomicInteger();
		DataClassPolicy policy = new DataClassPolicy(List.of("public", "phi"), "public", List.of());
		ChatModel slow = HedgingLoopReviewTests.model(answering("from a", 400)::call,
				(prompt) -> Mono.delay(Duration.ofMillis(400)).map((tick) -> chunk("from a", "STOP")).flux());
		this.executor = new FailoverExecutor(
				List.of(new Provider("a", 0, Duration.ofSeconds(5), true, slow, CircuitBreaker.ofDefaults("a"),
						Set.of("public", "phi")),
						new Provider("b", 1, Duration.ofSeconds(5), true, HedgingLoopReviewTests.model((prompt) -> {
							publicOnlyCalls.incrementAndGet();
							return chunk("from b", "STOP");
						}, (prompt) -> {
							publicOnlyCalls.incrementAndGet();
							return Flux.just(chunk("from b", "STOP"));
						}), CircuitBreaker.ofDefaults("b"), Set.of("public")),
						new Provider("c", 2, Duration.ofSeconds(5), true, HedgingLoopReviewTests.model(
								answering("from c", 10)::call, (prompt) -> Flux.just(chunk("from c", "STOP"))),
								CircuitBreaker.ofDefaults("c"), Set.of("public", "phi"))),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), policy, this.audits::add, null,
				clock);
		this.executor.setHedging(Hedging.of(Duration.ofMillis(50), 1));

		String call = this.executor.call(new Prompt("hi"), RoutingContext.of("phi")).getResult().getOutput().getText();
		List<ChatResponse> chunks = this.executor
			.stream(new Prompt("hi"), RoutingContext.of("phi"))
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(call).isEqualTo("from c");
		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(ResilientChatClient.PROVIDER)).containsOnly("c");
		assertThat(publicOnlyCalls).hasValue(0);
		assertThat(this.audits).allMatch(AuditRecord::hedged);
	}

	private FailoverExecutor executor(FailoverSettings settings, Hedging hedging, Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), settings, new ErrorClassifier(clock),
				DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		executor.setHedging(hedging);
		return executor;
	}

	private static Provider provider(String name, int priority, ChatModel model) {
		return HedgingLoopReviewTests.provider(name, priority, model);
	}

}
