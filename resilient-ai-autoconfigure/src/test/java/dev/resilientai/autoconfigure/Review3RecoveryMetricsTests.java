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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Third review of the recovery timer ({@code ResilientAiMetricsAutoConfiguration}, commit
 * 9ab0d58: "recovery time only for an answered probe's HALF_OPEN->CLOSED ... not an
 * operator's close"). Plain names fail (defects); {@code check...} names pass.
 */
class Review3RecoveryMetricsTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * Defect: the listener ({@code ResilientAiMetricsAutoConfiguration.java:94-103}) records a
	 * recovery for <em>any</em> HALF_OPEN to CLOSED transition once one probe of the spell
	 * has answered, though its own comment says an operator's close is not a recovery.
	 * Resilience4j's default lets 10 calls through a half-open breaker, so a spell lasts
	 * until 10 probes are judged; an operator (actuator {@code circuitbreakers} endpoint,
	 * {@code transitionToClosedState()}) or a fleet {@code RECOVERED} event that closes the
	 * breaker in the meantime is recorded as a recovery "from the first answered probe",
	 * although no probe decided it: the timer then measures how long the operator took.
	 * <p>
	 * Expected: no recovery recorded. Fix: record only a close caused by the answer itself,
	 * e.g. {@code Permit.succeeded} notes on a thread-local (or the provider) that its
	 * {@code onSuccess} runs, and the listener records only a HALF_OPEN_TO_CLOSED heard on
	 * that thread while it does (or {@code Permit.succeeded} compares the state before and
	 * after {@code onSuccess} and records the recovery itself).
	 */
	@Test
	void anOperatorsCloseOfAHalfOpenBreakerIsNotARecovery() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a", CircuitBreakerConfig.ofDefaults());
		SimpleMeterRegistry registry = bind(breaker);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		// one probe of the spell answers (9 more would be needed to close the breaker)
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbeAnswered();
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
		Thread.sleep(200);

		// the operator closes it
		breaker.transitionToClosedState();

		Timer recovery = registry.get("resilient.ai.recovery").tag("provider", "a").timer();
		assertThat(recovery.count()).as("recoveries recorded for an operator's close").isZero();
	}

	/**
	 * Holds: a half-open spell whose only probe answers and closes the breaker is one
	 * recovery, of about no time.
	 */
	@Test
	void checkAProbesCloseIsOneRecovery() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
		SimpleMeterRegistry registry = bind(breaker);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
		while (breaker.getState() != CircuitBreaker.State.CLOSED && System.nanoTime() < until) {
			Thread.sleep(5);
		}

		Timer recovery = registry.get("resilient.ai.recovery").tag("provider", "a").timer();
		assertThat(recovery.count()).isEqualTo(1);
		assertThat(recovery.max(TimeUnit.MILLISECONDS)).isLessThan(200);
	}

	/**
	 * Holds: an answered probe's spell that then fails (HALF_OPEN to OPEN) leaves nothing for
	 * a later close after a forced open.
	 */
	@Test
	void checkAFailedSpellLeavesNothingForALaterClose() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a", CircuitBreakerConfig.ofDefaults());
		SimpleMeterRegistry registry = bind(breaker);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbeAnswered();
		breaker.transitionToOpenState();
		breaker.transitionToForcedOpenState();
		breaker.transitionToClosedState();

		Timer recovery = registry.get("resilient.ai.recovery").tag("provider", "a").timer();
		assertThat(recovery.count()).isZero();
	}

	private Provider a;

	private SimpleMeterRegistry bind(CircuitBreaker breaker) {
		this.a = new Provider("a", 0, Duration.ofSeconds(1), true, model("a"), breaker);
		Provider b = new Provider("b", 1, Duration.ofSeconds(1), true, model("b"), CircuitBreaker.ofDefaults("b"));
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(List.of(this.a, b), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new ResilientAiMetricsAutoConfiguration().resilientAiRecoveryMetrics(this.executor).bindTo(registry);
		return registry;
	}

	private void awaitProbeAnswered() throws InterruptedException {
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
		while ((this.a.getProbesAnswered() == 0
				|| this.a.getCircuitBreaker().getMetrics().getNumberOfSuccessfulCalls() == 0)
				&& System.nanoTime() < until) {
			Thread.sleep(5);
		}
		assertThat(this.a.getProbesAnswered()).isEqualTo(1);
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
