package dev.resilientai.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.failover.RoutingContext;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of the recovery metric (issue 20: "time from the first successful probe to the
 * breaker closing").
 */
class RecoveryMetricsReviewTests {

	/**
	 * Expected: {@code resilient.ai.recovery} measures one recovery: from the first answered
	 * probe of this half-open spell to the breaker closing (here a few ms). Actual: a
	 * come-back probe after the kill switch (breaker CLOSED) sets Provider.firstProbeAnswer
	 * (Provider.java:634) and nothing clears it until the breaker next closes, so the next
	 * recovery, any time later, is recorded as lasting since that old probe (here >= 1.5 s;
	 * in production hours or days). Failed half-open spells (HALF_OPEN -> OPEN after an
	 * answered probe) leak the same way.
	 */
	@Test
	void aComebackProbeOnAClosedBreakerDoesNotInflateTheNextRecovery() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model("a"), breaker);
		Provider b = new Provider("b", 1, Duration.ofSeconds(1), true, model("b"), CircuitBreaker.ofDefaults("b"));
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(a, b), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new ResilientAiMetricsAutoConfiguration().resilientAiRecoveryMetrics(executor).bindTo(registry);

		// a comes back from the kill switch: the next request probes it (breaker closed all along)
		a.setEnabled(false);
		a.setEnabled(true);
		executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (a.getProbesAnswered() == 0 && System.nanoTime() < until) {
			Thread.sleep(10);
		}
		assertThat(a.getProbesAnswered()).isEqualTo(1);
		Thread.sleep(1_500);

		// later, a real outage: the breaker opens, goes half-open, one probe answers, it closes
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (breaker.getState() != CircuitBreaker.State.CLOSED && System.nanoTime() < until) {
			Thread.sleep(10);
		}
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);

		Timer recovery = registry.get("resilient.ai.recovery").tag("provider", "a").timer();
		assertThat(recovery.count()).isEqualTo(1);
		assertThat(recovery.max(TimeUnit.MILLISECONDS)).as("recorded recovery time, ms").isLessThan(500);
		executor.close();
	}

	private static ChatModel model(String text) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

}
