package dev.resilientai.failover;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import dev.resilientai.RequestInterruptedException;
import dev.resilientai.StreamInterruptedException;
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
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Edge cases of an attempt: a caller's interrupt racing the attempt timeout, a timer that
 * refuses the attempt, a healthy stream cut by the request's deadline.
 */
class AttemptEdgeCaseTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * The caller interrupts its thread while the attempt runs on a client that does not react
	 * to interrupts (OkHttp on a platform thread: a blocking socket read ignores
	 * {@code Thread.interrupt()}, only the guard's canceller ends it). The attempt's timeout
	 * then fires too: the caller's interrupt survives the guard's, the request ends as
	 * interrupted, and no provider is blamed.
	 */
	@Test
	void aCallerInterruptIsNotSwallowedWhenTheAttemptTimeoutFiresToo() throws Exception {
		CircuitBreaker primaryBreaker = CircuitBreaker.ofDefaults("primary");
		AtomicInteger secondaryCalls = new AtomicInteger();
		ChatModel okHttpLike = calling((prompt) -> {
			CountDownLatch cancelled = new CountDownLatch(1);
			AttemptGuard.registerCanceller(cancelled::countDown);
			while (cancelled.getCount() > 0) {
				// a blocking socket read: Thread.interrupt() does not end it, call.cancel() does
				LockSupport.parkNanos(1_000_000);
			}
			throw new UncheckedIOException(new IOException("Canceled"));
		});
		ChatModel healthy = calling((prompt) -> {
			secondaryCalls.incrementAndGet();
			return response("from secondary");
		});
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("primary", 1, Duration.ofMillis(400), true, okHttpLike, primaryBreaker, bulkhead("primary"),
						null),
				new Provider("secondary", 2, Duration.ofSeconds(2), true, healthy, CircuitBreaker.ofDefaults("secondary"),
						bulkhead("secondary"), null));

		AtomicReference<Object> outcome = new AtomicReference<>();
		AtomicBoolean interruptedAfter = new AtomicBoolean();
		Thread caller = new Thread(() -> {
			try {
				outcome.set(this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
			}
			catch (RuntimeException ex) {
				outcome.set(ex);
			}
			interruptedAfter.set(Thread.currentThread().isInterrupted());
		});
		caller.start();
		Thread.sleep(100);
		caller.interrupt();
		caller.join(5000);

		assertThat(outcome.get()).as("the caller's interrupt must end the request")
			.isInstanceOf(RequestInterruptedException.class);
		assertThat(secondaryCalls).as("no attempt after the caller's interrupt").hasValue(0);
		assertThat(interruptedAfter).as("the caller's interrupt status must survive").isTrue();
		assertThat(primaryBreaker.getMetrics().getNumberOfFailedCalls())
			.as("a caller's interrupt is not the provider's failure")
			.isZero();
	}

	/**
	 * The executor is closed (application shutdown) while a request runs; its next attempt's
	 * {@code AttemptGuard.start} cannot schedule its timer: no guard is left on the (pooled)
	 * thread for later OkHttp calls or attempts to find.
	 */
	@Test
	void aRejectedTimerLeavesNoAttemptGuardOnTheThread() {
		Bulkhead secondaryBulkhead = bulkhead("secondary");
		AtomicReference<FailoverExecutor> self = new AtomicReference<>();
		ChatModel closesThenFails = calling((prompt) -> {
			self.get().close();
			throw new org.springframework.web.client.ResourceAccessException("I/O error",
					new ConnectException("Connection refused"));
		});
		this.executor = executor(Duration.ofSeconds(5),
				new Provider("primary", 1, Duration.ofSeconds(1), true, closesThenFails,
						CircuitBreaker.ofDefaults("primary"), bulkhead("primary"), null),
				new Provider("secondary", 2, Duration.ofSeconds(1), true, (p) -> response("x"),
						CircuitBreaker.ofDefaults("secondary"), secondaryBulkhead, null));
		self.set(this.executor);

		Throwable thrown = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(thrown).hasMessageContaining("closed");
		assertThat(secondaryBulkhead.getMetrics().getAvailableConcurrentCalls()).isEqualTo(25);
		assertThat(AttemptGuard.isActive()).as("no attempt runs on this thread any more").isFalse();
	}

	/**
	 * A healthy stream (first chunk at once, a chunk every 40 ms, never idle) that is longer
	 * than the request's deadline is cut at the deadline, but the cut is not recorded against
	 * the provider: long answers never open a healthy provider's breaker (behaviour 10).
	 */
	@Test
	void aHealthyStreamCutByTheRequestDeadlineIsNotAFailureOfItsProvider() {
		CircuitBreaker breaker = CircuitBreaker.of("p", CircuitBreakerConfig.custom()
			.slidingWindowSize(3)
			.minimumNumberOfCalls(3)
			.failureRateThreshold(50)
			.build());
		ChatModel longAnswer = streaming((prompt) -> Flux.range(0, 30)
			.delayElements(Duration.ofMillis(40))
			.map((i) -> chunk("part" + i, (i == 29) ? "STOP" : null))
			.startWith(chunk("first", null)));
		this.executor = executor(Duration.ofMillis(300), new Provider("p", 1, Duration.ofSeconds(5), true, longAnswer,
				breaker, bulkhead("p"), null));

		for (int i = 0; i < 3; i++) {
			Throwable thrown = catchThrowable(() -> this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
				.blockLast(Duration.ofSeconds(5)));
			assertThat(thrown).isInstanceOf(StreamInterruptedException.class);
		}

		assertThat(breaker.getMetrics().getNumberOfFailedCalls())
			.as("the caller's deadline cut a healthy stream: nothing to hold against the provider")
			.isZero();
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	private static FailoverExecutor executor(Duration timeout, Provider... providers) {
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(timeout), new ErrorClassifier(),
				java.time.Clock.systemUTC());
	}

	private static Bulkhead bulkhead(String name) {
		return Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(25).maxWaitDuration(Duration.ZERO).build());
	}

	private static ChatResponse response(String text) {
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text),
				ChatGenerationMetadata.builder().finishReason("STOP").build())));
	}

	private static ChatResponse chunk(String text, String finishReason) {
		ChatGenerationMetadata metadata = (finishReason != null)
				? ChatGenerationMetadata.builder().finishReason(finishReason).build() : ChatGenerationMetadata.NULL;
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), metadata)));
	}

	private static ChatModel calling(Function<Prompt, ChatResponse> behaviour) {
		return behaviour::apply;
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
