package dev.resilientai.failover;

import java.time.Duration;
import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Second review of the come-back probe (issue 20, commit 830387f): checks that hold.
 */
class ProbeTakeReviewTests {

	/**
	 * Holds: a come-back probe (after the kill switch) is taken by exactly one of many
	 * concurrent requests ({@code Provider.takeProbe}'s CAS).
	 */
	@Test
	void checkAComebackProbeIsTakenByExactlyOneOfManyConcurrentRequests() throws Exception {
		for (int round = 0; round < 50; round++) {
			Provider a = new Provider("a", 0, Duration.ofSeconds(1), true, HedgingLoopReviewTests.answering("a", 0), CircuitBreaker.ofDefaults("a"));
			a.setEnabled(false);
			a.setEnabled(true);
			java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
			java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
			List<Thread> threads = new java.util.ArrayList<>();
			for (int i = 0; i < 8; i++) {
				Thread thread = new Thread(() -> {
					try {
						go.await();
					}
					catch (InterruptedException ex) {
						return;
					}
					if (a.takeProbe()) {
						taken.incrementAndGet();
					}
				});
				thread.start();
				threads.add(thread);
			}
			go.countDown();
			for (Thread thread : threads) {
				thread.join(2_000);
			}
			assertThat(taken).as("round " + round).hasValue(1);
		}
	}

}
