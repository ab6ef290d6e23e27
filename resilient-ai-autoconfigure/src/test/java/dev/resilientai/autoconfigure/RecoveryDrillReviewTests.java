package dev.resilientai.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.resilientai.actuate.Drills;
import dev.resilientai.failover.Drill;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.failover.RoutingContext;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
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
 * Second hostile review of the recovery timer ({@code resilient.ai.recovery}, issue 20) and
 * of drill auditing (issue 17) after commit 830387f. Plain names are defects (failing);
 * names starting with {@code check} hold.
 */
class RecoveryDrillReviewTests {

	private FailoverExecutor executor;

	private Drills drills;

	@AfterEach
	void close() {
		if (this.drills != null) {
			this.drills.destroy();
		}
		if (this.executor != null) {
			this.executor.close();
		}
	}

	// ------------------------------------------------------------------ recovery

	/**
	 * Defect: the half-open spell's start is cleared only on a transition to {@code OPEN}
	 * ({@code ResilientAiMetricsAutoConfiguration.java}, the {@code to == OPEN} branch), not
	 * to {@code FORCED_OPEN}, which is what the endpoint's {@code "open"} action does
	 * ({@code ResilientAiEndpoint.java:143}) and what the fleet applies. A spell in which one
	 * probe answered, then interrupted by an operator's "open", then ended by the operator's
	 * "close" ({@code FORCED_OPEN -> CLOSED}) is recorded as a recovery lasting the whole
	 * forced-open period (1.5 s here; hours in production), although no probe closed the
	 * breaker.
	 * <p>
	 * Expected: no recovery sample (or at least none longer than the spell itself). Fix:
	 * end the spell ({@code takeRecoveryTime()}) on every transition out of
	 * {@code HALF_OPEN} that is not to {@code CLOSED}, and record a recovery only for
	 * {@code HALF_OPEN -> CLOSED}.
	 */
	@Test
	void anOperatorsForcedOpenEndsTheHalfOpenSpellSoItsLaterCloseIsNoRecovery() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2).build());
		Timer recovery = recoveryTimer(breaker);
		Provider a = this.executor.getProviders().get(0);

		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbesAnswered(a, 1);
		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);

		// the operator: "open", later "close"
		breaker.transitionToForcedOpenState();
		Thread.sleep(1_500);
		breaker.transitionToClosedState();

		assertThat(recovery.max(TimeUnit.MILLISECONDS)).as("recorded recovery, ms (samples: %d)", recovery.count())
			.isLessThan(500);
	}

	/**
	 * Defect: an operator's "close" of a half-open breaker in which no probe answered is
	 * recorded as a recovery of zero ({@code ResilientAiMetricsAutoConfiguration}: any
	 * {@code HALF_OPEN -> CLOSED} without a first answer records {@code Duration.ZERO},
	 * meant for "the first probe closed it"). The panel then shows instant recoveries that
	 * never happened.
	 * <p>
	 * Expected: no sample. Fix: record zero only when the closing transition was caused by
	 * an answered probe (e.g. mark the answer before {@code permit.succeeded} so the spell
	 * has a start, and record nothing when there is none).
	 */
	@Test
	void anOperatorsCloseOfAHalfOpenBreakerWithNoAnsweredProbeIsNoRecovery() {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2).build());
		Timer recovery = recoveryTimer(breaker);

		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		breaker.transitionToClosedState();

		assertThat(recovery.count()).isZero();
	}

	/**
	 * Defect: streams are never counted as probes. A half-open breaker's stream is its
	 * probe (the stream path refuses to hedge it for that reason), but {@code StreamPath}
	 * never calls {@code probeSent()}/{@code probeAnswered()} (only {@code CallPath} does),
	 * so a provider that recovers under stream traffic reports no probes sent or answered,
	 * and its recovery is recorded as zero however long the spell took (here 1 s between
	 * the first and the closing answer).
	 * <p>
	 * Expected: probes sent/answered = 2 and a recovery of ~1 s. Fix: in
	 * {@code StreamPath.from}, take {@code provider.takeProbe()} for the attempt, count
	 * {@code probeSent()}, and on completion {@code probeAnswered()}.
	 */
	@Test
	void aProviderThatRecoversUnderStreamTrafficCountsItsProbesAndItsRecoveryTime() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2).build());
		Timer recovery = recoveryTimer(breaker);
		Provider a = this.executor.getProviders().get(0);

		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast(Duration.ofSeconds(5));
		Thread.sleep(1_000);
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).blockLast(Duration.ofSeconds(5));

		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(a.getProbesAnswered()).as("stream probes answered").isEqualTo(2);
		assertThat(recovery.max(TimeUnit.MILLISECONDS)).as("recorded recovery, ms").isGreaterThanOrEqualTo(900);
	}

	/**
	 * Holds: a half-open spell whose probe answered, then failed (HALF_OPEN -> OPEN), does
	 * not leak into the next recovery; a probe that closes the breaker itself records zero.
	 */
	@Test
	void checkAFailedSpellIsForgottenAndAClosingFirstProbeRecordsZero() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.of("a",
				CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(2).build());
		Timer recovery = recoveryTimer(breaker);
		Provider a = this.executor.getProviders().get(0);

		breaker.transitionToOpenState();
		breaker.transitionToHalfOpenState();
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbesAnswered(a, 1);
		breaker.transitionToOpenState();
		Thread.sleep(1_000);
		breaker.transitionToHalfOpenState();
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbesAnswered(a, 2);
		this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		awaitProbesAnswered(a, 3);
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (breaker.getState() != CircuitBreaker.State.CLOSED && System.nanoTime() < until) {
			Thread.sleep(10);
		}

		assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(recovery.count()).isEqualTo(1);
		assertThat(recovery.max(TimeUnit.MILLISECONDS)).isLessThan(500);
	}

	// ------------------------------------------------------------------ drills

	/**
	 * Defect: a drill's end is audited while it still runs. {@code Provider.clearDrill}
	 * (and {@code setDrill}) change the drill under {@code drillLock} but tell the
	 * listeners after releasing it, with only the new value; {@code Drills.changed(p, null)}
	 * then removes <em>whatever</em> drill is running ({@code running.remove(provider)},
	 * {@code Drills.java}), not the one that was cleared. When a new drill is set between
	 * the expiry's {@code clearDrill(old)} and its listener call (another endpoint call, or
	 * the fleet, here forced by a listener that runs first), the late {@code null} removes
	 * the <em>new</em> drill from {@code running} and audits its end ("stopped"), while the
	 * provider keeps injecting it; its own expiry then finds nothing in {@code running}
	 * and audits nothing. The fleet listener sees the same stale {@code null}, so the other
	 * instances stop a drill that still runs here.
	 * <p>
	 * Expected: the new drill's end is not audited while it is the provider's drill. Fix:
	 * notify listeners with the (previous, current) pair taken under the lock (or notify
	 * under the lock), and have {@code Drills.changed} remove only the drill that ended
	 * ({@code running.remove(provider, previous)}).
	 */
	@Test
	void aDrillSetJustAsThePreviousOneExpiresIsNotAuditedAsEnded() throws Exception {
		CircuitBreaker breaker = CircuitBreaker.ofDefaults("a");
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model("a"), breaker);
		Drill next = new Drill(Drill.Fault.ERROR, 1.0, Duration.ZERO,
				Clock.systemUTC().instant().plus(Duration.ofMinutes(5)), "bob");
		// registered before Drills': runs first when the expired drill is cleared
		a.addListener(new Provider.Listener() {

			@Override
			public void drillChanged(Provider changed, @Nullable Drill drill) {
				if (drill == null && Thread.currentThread().getName().equals("resilient-ai-drills")) {
					// bob's drill arrives in the window (as from the endpoint or the fleet)
					changed.setDrill(next);
				}
			}

		});
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(List.of(a), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		List<Map<String, Object>> audit = new CopyOnWriteArrayList<>();
		this.drills = new Drills(this.executor, true, Duration.ofHours(1), clock, audit::add);

		this.drills.start(a, Drill.Fault.LATENCY, 1.0, Duration.ofMillis(200), Duration.ofMillis(1), "alice");
		Thread.sleep(600);

		assertThat(a.getDrill(clock.instant())).as("bob's drill runs").isSameAs(next);
		assertThat(audit).filteredOn((data) -> "RESILIENT_AI_DRILL_ENDED".equals(data.get("type")))
			.extracting((data) -> data.get("principal"))
			.as("ended drills")
			.containsExactly("alice");
	}

	/**
	 * Holds: stopping a drill audits its end once, and a drill ending by itself audits
	 * its end once, with the provider clear afterwards.
	 */
	@Test
	void checkAStoppedOrExpiredDrillHasExactlyOneAuditedEnd() throws Exception {
		Clock clock = Clock.systemUTC();
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model("a"), CircuitBreaker.ofDefaults("a"));
		this.executor = new FailoverExecutor(List.of(a), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		List<Map<String, Object>> audit = new CopyOnWriteArrayList<>();
		this.drills = new Drills(this.executor, true, Duration.ofHours(1), clock, audit::add);

		this.drills.start(a, Drill.Fault.ERROR, 1.0, Duration.ofMinutes(5), Duration.ZERO, "alice");
		this.drills.stop(a, "carol");
		this.drills.start(a, Drill.Fault.ERROR, 1.0, Duration.ofMillis(150), Duration.ZERO, "bob");
		Thread.sleep(500);

		assertThat(a.getDrill(clock.instant())).isNull();
		assertThat(audit).extracting((data) -> data.get("type") + ":" + data.get("principal"))
			.containsExactly("RESILIENT_AI_DRILL_STARTED:alice", "RESILIENT_AI_DRILL_ENDED:alice",
					"RESILIENT_AI_DRILL_STARTED:bob", "RESILIENT_AI_DRILL_ENDED:bob");
	}

	// ------------------------------------------------------------------ support

	/** Providers a (with the given breaker) and b; the recovery timer of a. */
	private Timer recoveryTimer(CircuitBreaker breaker) {
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model("a"), breaker);
		Provider b = new Provider("b", 1, Duration.ofSeconds(1), true, model("b"), CircuitBreaker.ofDefaults("b"));
		Clock clock = Clock.systemUTC();
		this.executor = new FailoverExecutor(List.of(a, b), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new ResilientAiMetricsAutoConfiguration().resilientAiRecoveryMetrics(this.executor).bindTo(registry);
		return registry.get("resilient.ai.recovery").tag("provider", "a").timer();
	}

	private static void awaitProbesAnswered(Provider provider, long count) throws InterruptedException {
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (provider.getProbesAnswered() < count && System.nanoTime() < until) {
			Thread.sleep(10);
		}
		assertThat(provider.getProbesAnswered()).isEqualTo(count);
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
