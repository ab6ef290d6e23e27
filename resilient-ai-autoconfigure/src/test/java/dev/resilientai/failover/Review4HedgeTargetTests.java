package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.answering;
import static dev.resilientai.failover.HedgingLoopReviewTests.calling;
import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fourth review of where a hedge goes (commit 00555ab: "A hedge never goes to a provider
 * whose breaker is half-open (its calls are probes)"). Every test here fails against the
 * reviewed code.
 * <p>
 * Defect: both hedge choosers ({@code CallPath.HedgeRace#run} and {@code StreamPath#hedge})
 * test {@code provider.isHalfOpen()} <em>before</em> taking the permit. A breaker whose open
 * wait is over is still OPEN until someone asks it; Resilience4j's
 * {@code OpenState.tryAcquirePermission} then moves it to HALF_OPEN and hands out a
 * half-open permission: the hedge itself becomes the probe. When it loses it is cancelled and
 * its permission released unjudged, so the breaker stays half-open with no verdict, the probe
 * is counted nowhere ({@code probeSent}), and the very case 00555ab meant to exclude happens
 * on every first hedge after an open wait. (The failover loop does it right: it takes the
 * permit first and asks {@code takeProbe()} after.) Fix: check {@code isHalfOpen()} after
 * {@code Permit.acquireWithoutWaiting} and release and skip if it is, or skip providers whose
 * breaker is OPEN too.
 */
class Review4HedgeTargetTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void aCallsHedgeDoesNotBecomeTheProbeOfABreakerWhoseOpenWaitIsOver() throws Exception {
		AtomicInteger bCalls = new AtomicInteger();
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, calling((prompt) -> {
			bCalls.incrementAndGet();
			return answering("from b", 400).call(prompt);
		}), openWaitOver("b"));
		this.executor = executor(new Provider("a", 0, Duration.ofSeconds(5), true, answering("from a", 150),
				CircuitBreaker.ofDefaults("a")), b);

		ChatResponse response = this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("a");
		assertThat(bCalls).as("hedges sent to b, whose breaker went half-open for it (now %s, %d calls judged)",
				b.getCircuitBreaker().getState(), b.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls())
			.hasValue(0);
	}

	@Test
	void aStreamsHedgeDoesNotBecomeTheProbeOfABreakerWhoseOpenWaitIsOver() throws Exception {
		AtomicInteger bCalls = new AtomicInteger();
		Provider b = new Provider("b", 1, Duration.ofSeconds(5), true, streaming((prompt) -> {
			bCalls.incrementAndGet();
			return Mono.delay(Duration.ofMillis(400)).map((tick) -> chunk("from b", "STOP")).flux();
		}), openWaitOver("b"));
		Provider a = new Provider("a", 0, Duration.ofSeconds(5), true,
				streaming((prompt) -> Mono.delay(Duration.ofMillis(150)).map((tick) -> chunk("from a", "STOP")).flux()),
				CircuitBreaker.ofDefaults("a"));
		this.executor = executor(a, b);

		List<ChatResponse> chunks = this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(5));

		assertThat(chunks).extracting((chunk) -> chunk.getMetadata().get(ResilientChatClient.PROVIDER))
			.containsOnly("a");
		assertThat(bCalls).as("hedges sent to b, whose breaker went half-open for it (now %s, %d calls judged)",
				b.getCircuitBreaker().getState(), b.getCircuitBreaker().getMetrics().getNumberOfBufferedCalls())
			.hasValue(0);
	}

	/** A breaker opened a moment ago with a 1 ms open wait: still OPEN, its wait over. */
	private static CircuitBreaker openWaitOver(String name) throws InterruptedException {
		CircuitBreaker breaker = CircuitBreaker.of(name,
				CircuitBreakerConfig.custom().waitDurationInOpenState(Duration.ofMillis(1)).build());
		breaker.transitionToOpenState();
		Thread.sleep(10);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
		return breaker;
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), (record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(30), 1.0));
		return executor;
	}

}
