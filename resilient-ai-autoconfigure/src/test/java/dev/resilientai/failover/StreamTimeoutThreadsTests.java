package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.StreamInterruptedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
 * Stream timeouts are timed by the failover executor's timer but fire on Reactor's parallel
 * scheduler, as they did when Reactor timed them: what follows a timeout (the next provider's
 * stream, the stream's error) never runs on the timer's thread, and they still fire on time.
 */
class StreamTimeoutThreadsTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void aSilentFirstProviderFailsOverAtItsTimeoutOffTheTimersThread() {
		List<String> subscribedOn = new CopyOnWriteArrayList<>();
		ChatModel silent = streaming(() -> Flux.never());
		ChatModel healthy = streaming(() -> Flux.defer(() -> {
			subscribedOn.add(Thread.currentThread().getName());
			return Flux.just(chunk("a", null), chunk("b", "STOP"));
		}));
		this.executor = executor(Duration.ofSeconds(30),
				new Provider("silent", 1, Duration.ofMillis(1200), true, silent, CircuitBreaker.ofDefaults("t-silent")),
				new Provider("healthy", 2, Duration.ofSeconds(5), true, healthy, CircuitBreaker.ofDefaults("t-healthy")));

		long start = System.nanoTime();
		List<ChatResponse> chunks = this.executor.stream(new Prompt("hello"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(10));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(chunks).hasSize(2)
			.allSatisfy((chunk) -> assertThat(chunk.getMetadata().<String>get(ResilientChatClient.PROVIDER))
				.isEqualTo("healthy"));
		assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(1200)).isLessThan(Duration.ofMillis(1700));
		assertThat(subscribedOn).singleElement().asString().startsWith("parallel-");
	}

	@Test
	void aStreamSilentAfterItsFirstChunkEndsAtTheIdleTimeoutOffTheTimersThread() {
		List<String> failedOn = new CopyOnWriteArrayList<>();
		ChatModel stalls = streaming(() -> Flux.concat(Flux.just(chunk("a", null)), Flux.never()));
		this.executor = new FailoverExecutor(
				List.of(new Provider("stalls", 1, Duration.ofSeconds(5), true, stalls, CircuitBreaker.ofDefaults("t-stalls"))),
				new FailoverSettings(Duration.ofSeconds(30), 1, Duration.ofMillis(100), Duration.ofSeconds(2),
						Duration.ofMinutes(5), Duration.ofMillis(1100)),
				new ErrorClassifier(), Clock.systemUTC());

		long start = System.nanoTime();
		Throwable failure = catchThrowable(() -> this.executor.stream(new Prompt("hello"), RoutingContext.DEFAULT)
			.doOnError((ex) -> failedOn.add(Thread.currentThread().getName()))
			.blockLast(Duration.ofSeconds(10)));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(failure).isInstanceOf(StreamInterruptedException.class);
		assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(1100)).isLessThan(Duration.ofMillis(1600));
		assertThat(failedOn).singleElement().asString().startsWith("parallel-");
	}

	@Test
	void aStreamThatSentItsEndMarkerButKeepsItsConnectionOpenHasAnswered() {
		// the last chunk carries the finish reason; the provider then never closes the stream
		ChatModel lingers = streaming(() -> Flux.concat(Flux.just(chunk("a", null), chunk("b", "STOP")), Flux.never()));
		CircuitBreaker breaker = CircuitBreaker.ofDefaults("t-lingers");
		this.executor = new FailoverExecutor(
				List.of(new Provider("lingers", 1, Duration.ofSeconds(5), true, lingers, breaker)),
				new FailoverSettings(Duration.ofSeconds(30), 1, Duration.ofMillis(100), Duration.ofSeconds(2),
						Duration.ofMinutes(5), Duration.ofMillis(100)),
				new ErrorClassifier(), Clock.systemUTC());

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hello"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).hasSize(2);
		assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("answers the breaker heard").isEqualTo(1);
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("failures the breaker heard").isZero();
	}

	@Test
	void aClosedTimerLeavesTheTimingToReactorsParallelScheduler() {
		ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
		TimeoutScheduler timeouts = new TimeoutScheduler(timer);
		timer.shutdownNow();

		StreamWatchdog watchdog = new StreamWatchdog(timeouts, Duration.ofMillis(20), Duration.ofSeconds(5),
				System.nanoTime() + Duration.ofSeconds(10).toNanos());
		watchdog.start();

		assertThat(watchdog.expiry().thenReturn(Boolean.TRUE).block(Duration.ofSeconds(5))).isTrue();
	}

	private FailoverExecutor executor(Duration timeout, Provider... providers) {
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(timeout), new ErrorClassifier(),
				Clock.systemUTC());
	}

	private static ChatResponse chunk(String text, String finishReason) {
		ChatGenerationMetadata metadata = (finishReason != null)
				? ChatGenerationMetadata.builder().finishReason(finishReason).build() : ChatGenerationMetadata.NULL;
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), metadata)));
	}

	private static ChatModel streaming(java.util.function.Supplier<Flux<ChatResponse>> stream) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return stream.get();
			}

		};
	}

}
