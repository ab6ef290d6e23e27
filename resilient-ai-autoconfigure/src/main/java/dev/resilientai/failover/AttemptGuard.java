package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Bounds one provider attempt that runs on the calling thread. When the attempt's time is
 * up, the guard cancels the HTTP calls registered for it (see
 * {@link #registerCanceller(Runnable)}) and interrupts the calling thread, so a hung provider
 * releases both the thread and the connection at the timeout. The interrupt never leaks past
 * {@link #finish()}.
 */
public final class AttemptGuard implements Runnable {

	private static final Log logger = LogFactory.getLog(AttemptGuard.class);

	private static final ThreadLocal<@Nullable AttemptGuard> CURRENT = new ThreadLocal<>();

	private static final int RUNNING = 0;

	private static final int FINISHED = 1;

	private static final int TIMED_OUT = 2;

	private static final int CANCELLED = 3;

	private final Thread thread = Thread.currentThread();

	private static final AtomicIntegerFieldUpdater<AttemptGuard> STATE = AtomicIntegerFieldUpdater
		.newUpdater(AttemptGuard.class, "state");

	private volatile int state = RUNNING;

	/** Guarded by {@code this}; most attempts register one canceller or none. */
	private @Nullable List<Runnable> cancellers;

	private final @Nullable AttemptGuard previous;

	private volatile boolean interruptDelivered;

	private volatile boolean callerInterrupted;

	private @Nullable ScheduledFuture<?> timer;

	private AttemptGuard(@Nullable AttemptGuard previous) {
		this.previous = previous;
	}

	/**
	 * Start guarding an attempt on the calling thread.
	 * @param scheduler the scheduler that fires the timeout
	 * @param timeoutNanos the attempt's time budget
	 * @return the guard, to {@link #finish()} when the attempt returns
	 */
	static AttemptGuard start(ScheduledExecutorService scheduler, long timeoutNanos) {
		AttemptGuard guard = new AttemptGuard(CURRENT.get());
		CURRENT.set(guard);
		try {
			guard.timer = scheduler.schedule(guard, timeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (RuntimeException ex) {
			// no attempt runs: leave nothing of it on the thread
			CURRENT.set(guard.previous);
			throw ex;
		}
		return guard;
	}

	/**
	 * Register a way to abort the I/O of the attempt running on this thread, such as
	 * cancelling its HTTP call. HTTP client integrations call this as a request starts.
	 * @param canceller the action that aborts the I/O
	 * @return {@code true} if an attempt is running on this thread and took the canceller
	 */
	public static boolean registerCanceller(Runnable canceller) {
		AttemptGuard guard = CURRENT.get();
		if (guard == null) {
			return false;
		}
		synchronized (guard) {
			if (guard.state == RUNNING || guard.state == FINISHED) {
				if (guard.cancellers == null) {
					guard.cancellers = new ArrayList<>(1);
				}
				guard.cancellers.add(canceller);
				return true;
			}
		}
		runQuietly(canceller);
		return true;
	}

	/**
	 * Whether a provider attempt is running on this thread.
	 * @return {@code true} inside an attempt
	 */
	public static boolean isActive() {
		return CURRENT.get() != null;
	}

	/**
	 * The attempt's time is up: cancel its HTTP calls and interrupt its thread. Run by the
	 * timer; not for application use.
	 */
	@Override
	public void run() {
		stop(TIMED_OUT);
	}

	/**
	 * Cancel the attempt because the other attempt of a hedged request answered first: as a
	 * timeout does, cancel its HTTP calls and interrupt its thread, unless it has finished.
	 */
	void cancel() {
		stop(CANCELLED);
	}

	/**
	 * Whether the attempt was cancelled by {@link #cancel()} (rather than timed out).
	 * @return {@code true} if cancelled
	 */
	boolean isCancelled() {
		return this.state == CANCELLED;
	}

	private void stop(int reason) {
		if (!STATE.compareAndSet(this, RUNNING, reason)) {
			return;
		}
		// an interrupt already pending is the caller's: finish() gives it back
		this.callerInterrupted = this.thread.isInterrupted();
		List<Runnable> toRun;
		synchronized (this) {
			toRun = (this.cancellers != null) ? List.copyOf(this.cancellers) : List.of();
		}
		try {
			// the interrupt first: finish() waits for it, never for a slow canceller
			this.thread.interrupt();
		}
		finally {
			this.interruptDelivered = true;
		}
		toRun.forEach(AttemptGuard::runQuietly);
	}

	/**
	 * End the attempt: stop the timer, restore the thread's state and say whether the time
	 * ran out or the attempt was cancelled.
	 * @return {@code true} if the attempt timed out or was cancelled (see {@link #isCancelled()})
	 */
	boolean finish() {
		// set, not removed: the thread's next attempt reuses the entry
		CURRENT.set(this.previous);
		if (this.timer != null) {
			this.timer.cancel(false);
		}
		if (STATE.compareAndSet(this, RUNNING, FINISHED)) {
			return false;
		}
		// The timeout fired: wait for its interrupt to land, then clear it so that it never
		// reaches the caller's code.
		while (!this.interruptDelivered) {
			Thread.onSpinWait();
		}
		Thread.interrupted();
		if (this.callerInterrupted) {
			// the caller had interrupted the thread before the timeout did: keep it
			Thread.currentThread().interrupt();
		}
		return true;
	}

	private static void runQuietly(Runnable canceller) {
		try {
			canceller.run();
		}
		catch (RuntimeException ex) {
			logger.debug("Cancelling a timed-out attempt failed", ex);
		}
	}

}
