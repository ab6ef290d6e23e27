package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.resilientai.failover.Drill;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
 * Review of drill auditing (issue 17: "is audited (who/what from the endpoint call, start,
 * end)"): every drill that started must have an end in the audit.
 */
class DrillReviewTests {

	private final List<Map<String, Object>> audit = new CopyOnWriteArrayList<>();

	private final FailoverExecutor executor = new FailoverExecutor(
			List.of(new Provider("a", 0, Duration.ofSeconds(1), true, model(), CircuitBreaker.ofDefaults("a"))),
			FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(Clock.systemUTC()), Clock.systemUTC());

	private final Drills drills = new Drills(this.executor, true, Duration.ofHours(1), Clock.systemUTC(),
			this.audit::add);

	@AfterEach
	void close() {
		this.drills.destroy();
		this.executor.close();
	}

	/**
	 * Expected: a drill replaced by another (a second {@code drill} action on the same
	 * provider) has its end audited. Actual: Drills.start sets the new drill; the first's
	 * scheduled end (Drills.java:124) sees it is no longer current and audits nothing, so
	 * the audit shows two starts and no end of the first drill.
	 */
	@Test
	void aDrillReplacedByAnotherHasItsEndAudited() {
		Provider provider = this.executor.getProviders().get(0);
		this.drills.start(provider, Drill.Fault.ERROR, 1.0, Duration.ofMinutes(5), Duration.ZERO, "alice");
		this.drills.start(provider, Drill.Fault.LATENCY, 0.5, Duration.ofMinutes(5), Duration.ofMillis(100), "bob");

		assertThat(this.audit).filteredOn((data) -> "RESILIENT_AI_DRILL_ENDED".equals(data.get("type")))
			.extracting((data) -> data.get("fault"))
			.containsExactly("error");
	}

	/**
	 * Expected: with fleet sharing, a drill stopped on another instance ends on this one
	 * with an audited end, as it started with an audited start. Actual: FleetSync applies
	 * DRILL_STOPPED with {@code provider.setDrill(null)} (FleetSync.java:578); Drills'
	 * listener ignores a null drill (Drills.java:113) and only Drills.stop audits an end,
	 * so this instance's audit has the start and never an end.
	 */
	@Test
	void aDrillStoppedThroughTheFleetHasItsEndAudited() {
		Provider provider = this.executor.getProviders().get(0);
		// as FleetSync applies a remote DRILL_STARTED, then DRILL_STOPPED
		provider.setDrill(new Drill(Drill.Fault.ERROR, 1.0, Duration.ZERO,
				Clock.systemUTC().instant().plus(Duration.ofMinutes(5)), "alice (fleet instance x)"));
		provider.setDrill(null);

		assertThat(this.audit).extracting((data) -> data.get("type"))
			.containsExactly("RESILIENT_AI_DRILL_STARTED", "RESILIENT_AI_DRILL_ENDED");
	}

	private static ChatModel model() {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return new ChatResponse(List.of(new Generation(new AssistantMessage("a"))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

}
