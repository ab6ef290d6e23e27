package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.resilientai.ResilientChatClient;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attempt timer keeps a no-op task at the head of its queue, so that an attempt's timeout
 * queues behind it without waking the timer's thread; the timeouts still fire on time.
 */
class AttemptTimerTests {

	private FailoverExecutor executor;

	private ScheduledThreadPoolExecutor timer;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
		if (this.timer != null) {
			this.timer.shutdownNow();
		}
	}

	@Test
	void anAttemptTimeoutSecondsAwayQueuesBehindTheHead() {
		this.timer = new ScheduledThreadPoolExecutor(1);
		this.timer.setRemoveOnCancelPolicy(true);
		FailoverExecutor.keepHeadOfQueue(this.timer);

		ScheduledFuture<?> timeout = this.timer.schedule(() -> {
		}, 20, TimeUnit.SECONDS);

		RunnableScheduledFuture<?> head = (RunnableScheduledFuture<?>) this.timer.getQueue().peek();
		assertThat((Object) head).isNotSameAs(timeout);
		assertThat(head.isPeriodic()).isTrue();
		assertThat(head.getDelay(TimeUnit.MILLISECONDS)).isLessThanOrEqualTo(FailoverExecutor.TIMER_HEAD_PERIOD_MILLIS);
		timeout.cancel(false);
		assertThat(this.timer.getQueue()).containsExactly(head);
	}

	@Test
	void aHungCallQueuedBehindTheHeadEndsAtItsAttemptTimeout() {
		Duration attemptTimeout = Duration.ofMillis(1500);
		ChatModel hung = (prompt) -> {
			while (!Thread.currentThread().isInterrupted()) {
				LockSupport.parkNanos(1_000_000);
			}
			throw new IllegalStateException("interrupted by the attempt timeout");
		};
		ChatModel healthy = (prompt) -> new ChatResponse(List.of(new Generation(new AssistantMessage("secondary"))));
		this.executor = new FailoverExecutor(
				List.of(new Provider("hung", 1, attemptTimeout, true, hung, CircuitBreaker.ofDefaults("timer-hung")),
						new Provider("healthy", 2, Duration.ofSeconds(5), true, healthy,
								CircuitBreaker.ofDefaults("timer-healthy"))),
				FailoverSettings.of(Duration.ofSeconds(10)), new ErrorClassifier(), Clock.systemUTC());

		long start = System.nanoTime();
		ChatResponse response = this.executor.call(new Prompt("hello"), RoutingContext.DEFAULT);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("healthy");
		assertThat(elapsed).isGreaterThanOrEqualTo(attemptTimeout).isLessThan(attemptTimeout.plusMillis(500));
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

}
