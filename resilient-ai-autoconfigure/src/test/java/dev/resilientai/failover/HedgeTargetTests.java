package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which provider a hedge goes to: never one whose breaker is half-open (its calls are
 * probes, which a losing hedge would cut short unjudged), never one whose bulkhead has no
 * free slot now, even with a {@code max-wait-duration}. Providers {@code a} (slow),
 * {@code b}, {@code c}; hedging delay 50 ms.
 */
class HedgeTargetTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void aCallsHedgeSkipsAHalfOpenProvider() {
		AtomicInteger bCalls = new AtomicInteger();
		Provider b = provider("b", 1, counting(bCalls, answering("from b", 10)));
		b.getCircuitBreaker().transitionToOpenState();
		b.getCircuitBreaker().transitionToHalfOpenState();
		this.executor = executor(provider("a", 0, answering("from a", 600)), b,
				provider("c", 2, answering("from c", 10)));

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("c");
		assertThat(bCalls).as("calls to the half-open b").hasValue(0);
		assertThat(this.executor.getHedging().startedCount("c")).isEqualTo(1);
	}

	@Test
	void aStreamsHedgeSkipsAHalfOpenProvider() {
		AtomicInteger bCalls = new AtomicInteger();
		Provider b = provider("b", 1, streaming((prompt) -> {
			bCalls.incrementAndGet();
			return Flux.just(chunk("from b", "STOP"));
		}));
		b.getCircuitBreaker().transitionToOpenState();
		b.getCircuitBreaker().transitionToHalfOpenState();
		this.executor = executor(
				provider("a", 0,
						streaming((prompt) -> Mono.delay(Duration.ofMillis(600))
							.map((tick) -> chunk("from a", "STOP"))
							.flux())),
				b, provider("c", 2, streaming((prompt) -> Flux.just(chunk("from c", "STOP")))));

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(ResilientChatClient.PROVIDER))
			.containsOnly("c");
		assertThat(bCalls).as("calls to the half-open b").hasValue(0);
	}

	@Test
	void aCallsHedgeDoesNotWaitForABulkheadSlotAndGoesToTheNextProvider() {
		Bulkhead bBulkhead = Bulkhead.of("b",
				BulkheadConfig.custom().maxConcurrentCalls(1).maxWaitDuration(Duration.ofSeconds(2)).build());
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, answering("from b", 10),
				CircuitBreaker.ofDefaults("b"), bBulkhead, null);
		this.executor = executor(provider("a", 0, answering("from a", 1_500)), b,
				provider("c", 2, answering("from c", 10)));
		assertThat(bBulkhead.tryAcquirePermission()).isTrue();
		try {
			long start = System.nanoTime();
			ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			long tookMs = (System.nanoTime() - start) / 1_000_000;

			assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("c");
			assertThat(tookMs).as("ms until c's answer").isLessThan(1_000);
		}
		finally {
			bBulkhead.onComplete();
		}
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), (record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(50), 1.0));
		return executor;
	}

	private static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	private static ChatModel counting(AtomicInteger calls, ChatModel model) {
		return calling((prompt) -> {
			calls.incrementAndGet();
			return model.call(prompt);
		});
	}

}
