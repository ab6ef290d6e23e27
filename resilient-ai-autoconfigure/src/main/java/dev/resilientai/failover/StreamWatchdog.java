package dev.resilientai.failover;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The time limits of one stream attempt: its first chunk within the first-chunk timeout, each
 * next chunk within the idle timeout, both cut short by the request's deadline. One timer
 * task at a time, not one per chunk: a chunk only notes its time, and the task, when it
 * runs, either expires the attempt or sets itself again for the last chunk's time plus the
 * idle timeout. The expiry is signalled on Reactor's parallel scheduler (see
 * {@link TimeoutScheduler}), never on the timer's thread.
 * <p>
 * The outcome is decided once, by one compare-and-set on a single state (the last chunk's
 * time, or expired, or ended): a chunk that comes after the expiry was decided is dropped
 * ({@link #chunk()} says so), and an end that comes before it is not turned into a timeout
 * when the expiry's signal arrives late. With {@code end(true)} (the provider's end marker
 * arrived) an expiry cuts nothing off. The caller sees either the provider's whole answer or
 * the timeout, never both.
 */
final class StreamWatchdog implements Runnable {

	/** The state once the watchdog expired the attempt. */
	private static final long EXPIRED = Long.MIN_VALUE;

	/** The state once the attempt's stream ended before an expiry. */
	private static final long ENDED = Long.MIN_VALUE + 1;

	private static final AtomicLongFieldUpdater<StreamWatchdog> STATE = AtomicLongFieldUpdater
		.newUpdater(StreamWatchdog.class, "state");

	private final TimeoutScheduler timeouts;

	private final long firstChunkTimeout;

	private final long idleTimeout;

	private final long requestDeadline;

	private final Sinks.Empty<Void> expiry = Sinks.empty();

	private long firstChunkDeadline;

	/**
	 * The time of the last chunk ({@code 0} before the first), or {@link #EXPIRED}, or
	 * {@link #ENDED}.
	 */
	private volatile long state;

	/** Whether a chunk came before the expiry: names the timeout. */
	private volatile boolean chunked;

	private volatile boolean stopped;

	private volatile @Nullable Disposable task;

	StreamWatchdog(TimeoutScheduler timeouts, Duration firstChunkTimeout, Duration idleTimeout, long requestDeadline) {
		this.timeouts = timeouts;
		this.firstChunkTimeout = firstChunkTimeout.toNanos();
		this.idleTimeout = idleTimeout.toNanos();
		this.requestDeadline = requestDeadline;
	}

	/** The attempt's stream was subscribed: the first chunk's time starts. */
	void start() {
		long now = System.nanoTime();
		this.firstChunkDeadline = now + this.firstChunkTimeout;
		schedule(this.firstChunkTimeout);
	}

	/**
	 * A chunk arrived (chunks arrive one at a time).
	 * @return {@code false} if the attempt expired already: the chunk is dropped
	 */
	boolean chunk() {
		long now = System.nanoTime();
		if (now == 0 || now == EXPIRED || now == ENDED) {
			// 0 stands for "no chunk yet", the others for the ends
			now = 1;
		}
		long last;
		do {
			last = this.state;
			if (last == EXPIRED || last == ENDED) {
				return false;
			}
		}
		while (!STATE.compareAndSet(this, last, now));
		if (last == 0) {
			this.chunked = true;
			// the next chunk may be due before the first-chunk timeout the timer waits for
			long wait = Math.min(now + this.idleTimeout, this.requestDeadline) - now;
			if (now + wait < this.firstChunkDeadline) {
				Disposable current = this.task;
				if (current != null) {
					current.dispose();
				}
				schedule(Math.max(0, wait));
			}
		}
		return true;
	}

	/** The attempt ended: no expiry after this. */
	void stop() {
		this.stopped = true;
		Disposable current = this.task;
		if (current != null) {
			current.dispose();
		}
	}

	/**
	 * Return the signal that the attempt's time is up.
	 * @return completes when the attempt expires
	 */
	Mono<Void> expiry() {
		return this.expiry.asMono();
	}

	/**
	 * Return the attempt's end after its stream stopped: a {@link TimeoutException} if the
	 * watchdog cut it off (even if its signal has not arrived yet) before the stream's last
	 * chunk, nothing otherwise (a provider that keeps its connection open after its end
	 * marker has answered), after which the watchdog no longer expires the attempt.
	 * @param <T> the stream's element type
	 * @param answered whether the stream's last chunk (its end marker) arrived
	 * @return the end
	 */
	<T> Mono<T> end(boolean answered) {
		long last;
		do {
			last = this.state;
			if (last == EXPIRED) {
				if (answered) {
					return Mono.empty();
				}
				return Mono.error(new TimeoutException(!this.chunked
						? "No first chunk within " + TimeUnit.NANOSECONDS.toMillis(this.firstChunkTimeout) + " ms"
						: "No next chunk within the idle timeout or before the request's deadline"));
			}
		}
		while (last != ENDED && !STATE.compareAndSet(this, last, ENDED));
		return Mono.empty();
	}

	/** The timer's check: expire the attempt, or wait until the next chunk is due. */
	@Override
	public void run() {
		if (this.stopped) {
			return;
		}
		long last;
		do {
			last = this.state;
			if (last == EXPIRED || last == ENDED) {
				return;
			}
			long due = (last == 0) ? this.firstChunkDeadline : Math.min(last + this.idleTimeout, this.requestDeadline);
			long wait = due - System.nanoTime();
			if (wait > 0) {
				schedule(wait);
				return;
			}
		}
		// a chunk that came meanwhile moves the time on: look again
		while (!STATE.compareAndSet(this, last, EXPIRED));
		this.timeouts.schedule(this.expiry::tryEmitEmpty);
	}

	private void schedule(long delayNanos) {
		Disposable next = this.timeouts.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
		this.task = next;
		if (this.stopped) {
			next.dispose();
		}
	}

}
