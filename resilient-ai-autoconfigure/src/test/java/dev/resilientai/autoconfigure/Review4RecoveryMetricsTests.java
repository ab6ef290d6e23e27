package dev.resilientai.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpServerErrorException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fourth review of the recovery timer (commit 1572db8: "a recovery is recorded only for the
 * close a probe's answer brings about"). Every test here fails against the reviewed code.
 */
class Review4RecoveryMetricsTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * Defect: Resilience4j decides a half-open spell when its last permitted call is
	 * recorded, a success <em>or a failure</em>. With 4 probes permitted, 3 answered and a
	 * 4th failing (25 % &lt; the 50 % threshold), the breaker closes inside {@code onError}:
	 * the provider recovered, its probes' answers brought the close about, yet only
	 * {@code Permit.succeeded} wraps the breaker call in {@code Provider.judgeProbeAnswer},
	 * so the listener (ResilientAiMetricsAutoConfiguration, {@code isClosingOnProbeAnswer()})
	 * hears HALF_OPEN_TO_CLOSED on a thread not judging an answer, takes (and discards) the
	 * spell's time and records nothing. The recovery timer undercounts recoveries, most of
	 * all for flapping providers (reliability row 19/30).
	 * <p>
	 * Expected: one recovery recorded. Fix: mark the thread while any probe's outcome is
	 * recorded (failed as well as succeeded) in a half-open state, not only answers.
	 */
	@Test
	void aHalfOpenSpellClosedWhenItsLastProbeFailsIsARecovery() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(4).build());
		AtomicInteger aCalls = new AtomicInteger();
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model(() -> {
			if (aCalls.incrementAndGet() == 4) {
				throw HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE, "blip", null, null, null);
			}
			return answer("a");
		}), breaker);
		Provider b = new Provider("b", 1, Duration.ofSeconds(1), true, model(() -> answer("b")),
				CircuitBreaker.ofDefaults("b"));
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(List.of(a, b), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new ResilientAiMetricsAutoConfiguration().resilientAiRecoveryMetrics(this.executor).bindTo(registry);
		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();

		for (int probe = 1; probe <= 4; probe++) {
			this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			// each probe runs beside the caller: wait until the breaker has heard its outcome
			int judged = probe;
			long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
			while (breaker.getState() == CircuitBreaker.State.HALF_OPEN
					&& breaker.getMetrics().getNumberOfBufferedCalls() < judged && System.nanoTime() < until) {
				Thread.sleep(2);
			}
		}
		assertThat(aCalls).as("probes sent to a").hasValue(4);
		assertThat(breaker.getState()).as("the spell closed the breaker").isEqualTo(CircuitBreaker.State.CLOSED);

		Timer recovery = registry.get("resilient.ai.recovery").tag("provider", "a").timer();
		assertThat(recovery.count()).as("recoveries recorded").isEqualTo(1);
	}

	private static ChatResponse answer(String text) {
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
	}

	private static ChatModel model(java.util.function.Supplier<ChatResponse> call) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return call.get();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

}
