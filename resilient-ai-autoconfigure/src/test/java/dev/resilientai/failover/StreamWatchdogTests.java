package dev.resilientai.failover;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The time limits of a stream attempt with one timer task at a time: a chunk notes its time,
 * the task expires the attempt or sets itself again.
 */
class StreamWatchdogTests {

	private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

	private final TimeoutScheduler timeouts = new TimeoutScheduler(this.timer);

	@AfterEach
	void close() {
		this.timer.shutdownNow();
	}

	@Test
	void noFirstChunkExpiresAtTheFirstChunkTimeout() {
		StreamWatchdog watchdog = watchdog(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(10));
		long start = System.nanoTime();
		watchdog.start();

		awaitExpiry(watchdog, Duration.ofSeconds(3));

		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100))
			.isLessThan(Duration.ofMillis(600));
		assertThat(end(watchdog)).isInstanceOf(TimeoutException.class).hasMessageContaining("first chunk");
	}

	@Test
	void aFirstChunkBringsTheIdleTimeoutForwardWhenItIsShorterThanTheFirstChunkTimeout() {
		// waits 5 s for a first chunk, 150 ms for each next one
		StreamWatchdog watchdog = watchdog(Duration.ofSeconds(5), Duration.ofMillis(150), Duration.ofSeconds(10));
		watchdog.start();
		long start = System.nanoTime();
		watchdog.chunk();

		awaitExpiry(watchdog, Duration.ofSeconds(3));

		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(150))
			.isLessThan(Duration.ofMillis(700));
		assertThat(end(watchdog)).isInstanceOf(TimeoutException.class).hasMessageContaining("next chunk");
	}

	@Test
	void chunksInTimeKeepTheAttemptAliveWithOneTimerTaskAtATime() throws Exception {
		StreamWatchdog watchdog = watchdog(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(10));
		AtomicBoolean expired = new AtomicBoolean();
		watchdog.expiry().subscribe(null, null, () -> expired.set(true));
		watchdog.start();
		long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
		int chunks = 0;
		int mostQueued = 0;
		while (System.nanoTime() < until) {
			watchdog.chunk();
			chunks++;
			mostQueued = Math.max(mostQueued, this.timer.getQueue().size());
			Thread.sleep(5);
		}

		assertThat(expired).as("expired").isFalse();
		assertThat(end(watchdog)).as("no timeout").isNull();
		assertThat(chunks).isGreaterThan(50);
		assertThat(mostQueued).as("timer tasks queued at once over %d chunks", chunks).isLessThanOrEqualTo(2);
		watchdog.stop();
	}

	@Test
	void theRequestsDeadlineCutsTheIdleTimeoutShort() {
		StreamWatchdog watchdog = watchdog(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(150));
		watchdog.start();
		watchdog.chunk();

		Duration waited = awaitExpiry(watchdog, Duration.ofSeconds(3));

		assertThat(waited).isLessThan(Duration.ofMillis(700));
	}

	@Test
	void aStoppedWatchdogNeverExpiresAndLeavesNoTask() throws Exception {
		StreamWatchdog watchdog = watchdog(Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofSeconds(10));
		watchdog.start();
		watchdog.chunk();
		watchdog.stop();
		Thread.sleep(200);

		assertThat(end(watchdog)).isNull();
		this.timer.purge();
		assertThat(this.timer.getQueue()).isEmpty();
	}

	private StreamWatchdog watchdog(Duration firstChunk, Duration idle, Duration deadline) {
		return new StreamWatchdog(this.timeouts, firstChunk, idle, System.nanoTime() + deadline.toNanos());
	}

	private static Duration awaitExpiry(StreamWatchdog watchdog, Duration atMost) {
		long start = System.nanoTime();
		assertThat(watchdog.expiry().thenReturn(Boolean.TRUE).block(atMost)).as("expired").isTrue();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	private static Throwable end(StreamWatchdog watchdog) {
		AtomicReference<Throwable> failure = new AtomicReference<>();
		watchdog.end(false).doOnError(failure::set).onErrorComplete().block();
		return failure.get();
	}

}
