package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.resilientai.failover.Drill;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
 * Fourth review of drills' ends (Drills, and the listeners' new {@code previous} argument
 * FleetSync relies on). Every test here fails against the reviewed code.
 */
class Review4DrillsTests {

	private final List<Map<String, Object>> audit = new CopyOnWriteArrayList<>();

	private final Clock clock = Clock.systemUTC();

	private final FailoverExecutor executor = new FailoverExecutor(
			List.of(new Provider("a", 0, Duration.ofSeconds(1), true, model(), CircuitBreaker.ofDefaults("a"))),
			FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(this.clock), this.clock);

	private final Drills drills = new Drills(this.executor, true, Duration.ofHours(1), this.clock, this.audit::add);

	@AfterEach
	void close() {
		this.drills.destroy();
		this.executor.close();
	}

	/**
	 * Defect: a drill that ends by itself is cleared <em>before</em> its end. Drills#started
	 * schedules the end {@code Duration.between(clock.instant(), drill.until()).toMillis()}
	 * ms ahead: {@code toMillis()} truncates, and the instant is read microseconds after
	 * {@code until} was computed, so the task is set up to a millisecond early. When it runs,
	 * {@code provider.clearDrill(drill)} tells the listeners (drill, null) while
	 * {@code previous.isActive(now)} is still true, which is exactly FleetSync's test for "stopped
	 * before its end": with fleet sharing on, every drill that ends by itself is published to the
	 * fleet as DRILL_STOPPED (an operator's stop), and the other instances audit it as
	 * "stopped". Ten drills of 20 ms here; the end of any one of them seen as early fails the
	 * test.
	 * <p>
	 * Expected: listeners hear a drill's own end at or after its {@code until}. Fix: round the
	 * delay up (nanoseconds, or {@code toMillis() + 1}), or have listeners told explicitly
	 * whether the drill expired.
	 */
	@Test
	void aDrillThatEndsByItselfIsNotSeenByListenersAsStoppedBeforeItsEnd() throws Exception {
		Provider provider = this.executor.getProviders().get(0);
		List<String> early = new CopyOnWriteArrayList<>();
		CountDownLatch[] ended = new CountDownLatch[1];
		provider.addListener(new Provider.Listener() {

			@Override
			public void drillChanged(Provider changed, @Nullable Drill previous, @Nullable Drill drill) {
				if (drill == null && previous != null) {
					Instant now = Review4DrillsTests.this.clock.instant();
					if (previous.isActive(now)) {
						// FleetSync: "stopped before its end" -> DRILL_STOPPED to the fleet
						early.add(Duration.between(now, previous.until()).toNanos() / 1000 + " us early");
					}
					ended[0].countDown();
				}
			}

		});
		for (int i = 0; i < 10; i++) {
			ended[0] = new CountDownLatch(1);
			this.drills.start(provider, Drill.Fault.ERROR, 1.0, Duration.ofMillis(20), Duration.ZERO, "alice");
			assertThat(ended[0].await(2, TimeUnit.SECONDS)).as("drill %d ended by itself", i).isTrue();
		}

		assertThat(early).as("drills whose own end listeners heard while still active").isEmpty();
		assertThat(this.audit).filteredOn((data) -> "RESILIENT_AI_DRILL_ENDED".equals(data.get("type")))
			.extracting((data) -> data.get("how"))
			.containsOnly("ended by itself");
	}

	private static ChatModel model() {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return new ChatResponse(List.of(new Generation(new AssistantMessage("ok"))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

}
