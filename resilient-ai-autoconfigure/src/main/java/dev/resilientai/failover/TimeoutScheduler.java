package dev.resilientai.failover;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The stream timeouts' clock: the failover executor's timer, whose queue a no-op task heads
 * (see {@link FailoverExecutor#keepHeadOfQueue}), so that a stream's timeout (see
 * {@link StreamWatchdog}), seconds away, queues behind it instead of waking a thread as a
 * timer of Reactor's parallel scheduler does. Plain tasks ({@link #schedule(Runnable)}) run on
 * Reactor's parallel scheduler: a timeout that fires hands its signal there, so what follows
 * (the attempt cancelled, the next provider's stream) never runs on the timer's thread. Once
 * the timer is closed, Reactor's parallel scheduler times the streams still running.
 */
final class TimeoutScheduler implements Scheduler {

	private final Scheduler timer;

	TimeoutScheduler(ScheduledExecutorService timer) {
		this.timer = Schedulers.fromExecutorService(timer, "resilient-ai-timeout");
	}

	@Override
	public Disposable schedule(Runnable task) {
		return Schedulers.parallel().schedule(task);
	}

	@Override
	public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
		try {
			return this.timer.schedule(task, delay, unit);
		}
		catch (RejectedExecutionException ex) {
			return Schedulers.parallel().schedule(task, delay, unit);
		}
	}

	@Override
	public Worker createWorker() {
		return Schedulers.parallel().createWorker();
	}

}
