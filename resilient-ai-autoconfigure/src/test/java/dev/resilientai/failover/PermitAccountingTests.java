package dev.resilientai.failover;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.SkipReason;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every breaker permission and bulkhead slot the loop takes is given back exactly once,
 * whatever the attempt ends in; streams are judged slow by their first chunk; a caller's
 * interrupt ends the loop without blaming a provider.
 */
class PermitAccountingTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void longHealthyStreamsDoNotOpenTheBreaker() {
		CircuitBreaker breaker = CircuitBreaker.of("p", CircuitBreakerConfig.custom()
			.slidingWindowSize(5)
			.minimumNumberOfCalls(5)
			.slowCallRateThreshold(80)
			.slowCallDurationThreshold(Duration.ofMillis(80))
			.build());
		// the first chunk at once, then an answer that takes 4 times the slow-call threshold
		ChatModel longAnswers = streaming((prompt) -> Flux.range(0, 8)
			.delayElements(Duration.ofMillis(40))
			.map((i) -> chunk("part" + i, (i == 7) ? "STOP" : null))
			.startWith(chunk("first", null)));
		this.executor = executor(Duration.ofSeconds(5), provider("p", longAnswers, breaker, 25));

		for (int i = 0; i < 6; i++) {
			List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
				.collectList()
				.block(Duration.ofSeconds(5));
			assertThat(chunks).hasSize(9);
		}

		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(5);
		assertThat(breaker.getMetrics().getNumberOfSlowCalls()).isZero();
	}

	@Test
	void aStreamOfACustomModelWithoutAFinishReasonCompletesNormally() {
		CircuitBreaker breaker = CircuitBreaker.ofDefaults("p");
		ChatModel custom = streaming((prompt) -> Flux.just(chunk("Hello ", null), chunk("world", null)));
		this.executor = executor(Duration.ofSeconds(5), provider("p", custom, breaker, 25));

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).hasSize(2);
		assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
	}

	@Test
	void aProviderThatRequiresAnEndMarkerFailsAStreamWithoutOne() {
		ChatModel custom = streaming((prompt) -> Flux.just(chunk("Hello ", null), chunk("world", null)));
		Provider provider = provider("p", custom, CircuitBreaker.ofDefaults("p"), 25);
		provider.setEndMarkerRequired(true);
		this.executor = executor(Duration.ofSeconds(5), provider);

		Throwable failure = catchThrowable(
				() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast(Duration.ofSeconds(5)));

		assertThat(failure).isInstanceOf(dev.resilientai.StreamInterruptedException.class)
			.hasMessageContaining("TRUNCATED");
	}

	@Test
	void aSlowFirstChunkCountsAsSlow() {
		CircuitBreaker breaker = CircuitBreaker.of("p", CircuitBreakerConfig.custom()
			.slowCallDurationThreshold(Duration.ofMillis(50))
			.build());
		ChatModel slowStart = streaming((prompt) -> Flux.just(chunk("late", "STOP")).delaySubscription(Duration.ofMillis(80)));
		this.executor = executor(Duration.ofSeconds(5), provider("p", slowStart, breaker, 25));

		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast(Duration.ofSeconds(5));

		assertThat(breaker.getMetrics().getNumberOfSlowSuccessfulCalls()).isEqualTo(1);
	}

	@Test
	void anErrorFromAProviderCompletesItsPermissionOnCalls() {
		CircuitBreaker breaker = halfOpen("p");
		Bulkhead bulkhead = bulkhead("p", 4);
		ChatModel broken = calling((prompt) -> {
			throw new AssertionError("a broken client");
		});
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofSeconds(5), true, broken, breaker, bulkhead, null));

		for (int i = 0; i < 2; i++) {
			assertThat(catchThrowable(this::call)).isInstanceOf(AssertionError.class);
		}

		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
		assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(4);
	}

	@Test
	void anErrorFromAProviderCompletesItsPermissionOnStreams() {
		CircuitBreaker breaker = halfOpen("p");
		Bulkhead bulkhead = bulkhead("p", 4);
		ChatModel broken = streaming((prompt) -> {
			throw new NoSuchMethodError("a client built against another version");
		});
		ChatModel erroring = streaming((prompt) -> Flux.error(new StackOverflowError()));
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofSeconds(5), true, broken, breaker, bulkhead, null));

		catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast());
		this.executor.close();
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofSeconds(5), true, erroring, breaker, bulkhead, null));
		catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast());

		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
		assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(4);
	}

	@Test
	void aCancelledStreamGivesItsPermitBackOnce() {
		CircuitBreaker breaker = halfOpen("p");
		Bulkhead bulkhead = bulkhead("p", 4);
		ChatModel endless = streaming((prompt) -> Flux.interval(Duration.ofMillis(5)).map((i) -> chunk("c" + i, null)));
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofSeconds(5), true, endless, breaker, bulkhead, null));

		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).take(3).blockLast(Duration.ofSeconds(5));
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).take(3).blockLast(Duration.ofSeconds(5));

		// both half-open probes came back unrecorded: a third request may probe again
		assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).isZero();
		assertThat(breaker.tryAcquirePermission()).isTrue();
		assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(4);
	}

	@Test
	void aFullBulkheadSkipsTheProviderWithoutWaiting() throws Exception {
		CountDownLatch entered = new CountDownLatch(2);
		CountDownLatch release = new CountDownLatch(1);
		ChatModel blocking = calling((prompt) -> {
			entered.countDown();
			await(release);
			return answer("p");
		});
		Bulkhead bulkhead = bulkhead("p", 2);
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofSeconds(5), true, blocking, CircuitBreaker.ofDefaults("p"), bulkhead,
						null),
				provider("s", calling((prompt) -> answer("s")), CircuitBreaker.ofDefaults("s"), 25));
		Thread first = new Thread(this::call);
		Thread second = new Thread(this::call);
		first.start();
		second.start();
		assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

		ChatResponse third = call();
		release.countDown();
		first.join(5_000);
		second.join(5_000);

		assertThat((String) third.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("s");
		assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(2);
	}

	@Test
	void aFullBulkheadIsRecordedAsASkip() {
		Bulkhead bulkhead = bulkhead("p", 1);
		bulkhead.tryAcquirePermission();
		this.executor = executor(Duration.ofSeconds(5), new Provider("p", 0, Duration.ofSeconds(5), true,
				calling((prompt) -> answer("p")), CircuitBreaker.ofDefaults("p"), bulkhead, null));

		AllProvidersFailedException failure = (AllProvidersFailedException) catchThrowable(this::call);

		assertThat(failure.getAttempts()).singleElement()
			.satisfies((attempt) -> assertThat(attempt.skipReason()).isEqualTo(SkipReason.BULKHEAD_FULL));
	}

	@Test
	void aCallerInterruptEndsTheLoopWithoutBreakerFailuresAndKeepsTheInterrupt() throws Exception {
		CountDownLatch entered = new CountDownLatch(1);
		ChatModel hung = calling((prompt) -> {
			entered.countDown();
			try {
				Thread.sleep(10_000);
			}
			catch (InterruptedException ex) {
				throw new RuntimeException(new java.io.InterruptedIOException("interrupted"));
			}
			return answer("p");
		});
		AtomicInteger secondary = new AtomicInteger();
		CircuitBreaker breaker = CircuitBreaker.ofDefaults("p");
		this.executor = executor(Duration.ofSeconds(20),
				provider("p", hung, breaker, 25),
				provider("s", calling((prompt) -> {
					secondary.incrementAndGet();
					return answer("s");
				}), CircuitBreaker.ofDefaults("s"), 25));
		AtomicReference<Throwable> thrown = new AtomicReference<>();
		AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
		Thread caller = new Thread(() -> {
			thrown.set(catchThrowable(this::call));
			interruptedAfter.set(Thread.currentThread().isInterrupted());
		});
		caller.start();
		assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
		caller.interrupt();
		caller.join(5_000);

		assertThat(thrown.get()).isInstanceOf(RequestInterruptedException.class);
		assertThat(interruptedAfter.get()).isTrue();
		assertThat(secondary.get()).isZero();
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
		assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).isZero();
	}

	@Test
	void anAnswerAfterTheAttemptTimeoutIsATimeoutAndTheNextProviderServes() {
		CircuitBreaker breaker = CircuitBreaker.ofDefaults("p");
		ChatModel ignoresInterrupts = calling((prompt) -> {
			long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
			while (System.nanoTime() < until) {
				Thread.onSpinWait();
			}
			return answer("late");
		});
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("p", 0, Duration.ofMillis(100), true, ignoresInterrupts, breaker, bulkhead("p", 4), null),
				provider("s", calling((prompt) -> answer("s")), CircuitBreaker.ofDefaults("s"), 25));

		ChatResponse response = call();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("s");
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@Test
	void anInterruptedCallerCallsNoProvider() {
		AtomicInteger calls = new AtomicInteger();
		this.executor = executor(Duration.ofSeconds(5), provider("p", calling((prompt) -> {
			calls.incrementAndGet();
			return answer("p");
		}), CircuitBreaker.ofDefaults("p"), 25));

		Thread.currentThread().interrupt();
		Throwable thrown;
		boolean stillInterrupted;
		try {
			thrown = catchThrowable(this::call);
		}
		finally {
			stillInterrupted = Thread.interrupted();
		}

		assertThat(thrown).isInstanceOf(RequestInterruptedException.class);
		assertThat(stillInterrupted).isTrue();
		assertThat(calls.get()).isZero();
	}

	@Test
	void aClosedExecutorRefusesBeforeTakingAPermit() {
		CircuitBreaker breaker = halfOpen("p");
		this.executor = executor(Duration.ofSeconds(5),
				provider("p", calling((prompt) -> answer("p")), breaker, 25));
		this.executor.close();

		assertThatExceptionOfType(ResilientAiException.class).isThrownBy(this::call).withMessageContaining("closed");
		assertThat(catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast()))
			.isInstanceOf(ResilientAiException.class);

		assertThat(breaker.tryAcquirePermission()).isTrue();
		assertThat(breaker.tryAcquirePermission()).isTrue();
	}

	private ChatResponse call() {
		return this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
	}

	private static FailoverExecutor executor(Duration timeout, Provider... providers) {
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(timeout), new ErrorClassifier(),
				java.time.Clock.systemUTC());
	}

	private static Provider provider(String name, ChatModel model, CircuitBreaker breaker, int bulkhead) {
		return new Provider(name, 0, Duration.ofSeconds(5), true, model, breaker, bulkhead(name, bulkhead), null);
	}

	private static Bulkhead bulkhead(String name, int size) {
		return Bulkhead.of(name,
				BulkheadConfig.custom().maxConcurrentCalls(size).maxWaitDuration(Duration.ZERO).build());
	}

	private static CircuitBreaker halfOpen(String name) {
		CircuitBreaker breaker = CircuitBreaker.of(name,
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2).build());
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		return breaker;
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static ChatResponse answer(String text) {
		return chunk(text, "STOP");
	}

	private static ChatResponse chunk(String text, String finishReason) {
		ChatGenerationMetadata metadata = (finishReason != null)
				? ChatGenerationMetadata.builder().finishReason(finishReason).build() : ChatGenerationMetadata.NULL;
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), metadata)));
	}

	private static ChatModel calling(Function<Prompt, ChatResponse> behaviour) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return behaviour.apply(prompt);
			}

		};
	}

	private static ChatModel streaming(Function<Prompt, Flux<ChatResponse>> behaviour) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return behaviour.apply(prompt);
			}

		};
	}

}
