package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Third review of drills (commit 9ab0d58: drill listeners hear (previous, current) under the
 * provider's drill lock). {@code check...} tests are properties that hold.
 */
class Review3DrillsTests {

	/**
	 * Holds: with listeners called under the provider's lock, the endpoint's starts and
	 * stops and the scheduler's ends of short drills, from three threads at once, neither
	 * deadlock nor lose an audit: every drill that started ends exactly once.
	 */
	@Test
	void checkConcurrentStartsStopsAndEndsNeitherDeadlockNorLoseAnAudit() throws Exception {
		Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, model(), CircuitBreaker.ofDefaults("a"));
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(a), FailoverSettings.of(Duration.ofSeconds(1)),
				new ErrorClassifier(clock), clock);
		List<Map<String, Object>> audits = new CopyOnWriteArrayList<>();
		Drills drills = new Drills(executor, true, Duration.ofMinutes(1), clock, audits::add);
		try {
			CountDownLatch done = new CountDownLatch(2);
			List<Thread> threads = new ArrayList<>();
			for (int t = 0; t < 2; t++) {
				String by = "op" + t;
				Thread thread = new Thread(() -> {
					for (int i = 0; i < 200; i++) {
						if (i % 3 == 2) {
							drills.stop(a, by);
						}
						else {
							drills.start(a, Drill.Fault.ERROR, 1.0, Duration.ofMillis(i % 5), Duration.ZERO, by);
						}
					}
					done.countDown();
				});
				thread.setDaemon(true);
				threads.add(thread);
				thread.start();
			}
			assertThat(done.await(3, TimeUnit.SECONDS)).as("no deadlock").isTrue();
			drills.stop(a, "final");
			Thread.sleep(100);
			long started = audits.stream().filter((e) -> "RESILIENT_AI_DRILL_STARTED".equals(e.get("type"))).count();
			long ended = audits.stream().filter((e) -> "RESILIENT_AI_DRILL_ENDED".equals(e.get("type"))).count();
			assertThat(ended).as("ends audited, of " + started + " starts").isEqualTo(started);
		}
		finally {
			drills.destroy();
			executor.close();
		}
	}

	private static ChatModel model() {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

		};
	}

}
