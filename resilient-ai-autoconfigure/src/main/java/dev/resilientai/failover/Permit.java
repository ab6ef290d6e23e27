package dev.resilientai.failover;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import dev.resilientai.SkipReason;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

/**
 * The right to make one attempt on a provider: a slot of its bulkhead and a permission of its
 * circuit breaker, taken together and given back together, exactly once, whatever the attempt
 * ends in. The first of {@link #succeeded}, {@link #failed} and {@link #released} wins; later
 * calls do nothing, so racing paths (a stream's completion and its cancellation, a timeout and
 * an answer) can each complete the permit without counting twice.
 */
final class Permit {

	private final Provider provider;

	private final CircuitBreaker circuitBreaker;

	private final Bulkhead bulkhead;

	private static final AtomicIntegerFieldUpdater<Permit> COMPLETED = AtomicIntegerFieldUpdater
		.newUpdater(Permit.class, "completed");

	private volatile int completed;

	private Permit(Provider provider) {
		this.provider = provider;
		this.circuitBreaker = provider.getCircuitBreaker();
		this.bulkhead = provider.getBulkhead();
	}

	/**
	 * Take a bulkhead slot, then a breaker permission, of a provider.
	 * @param provider the provider
	 * @param trace records why the provider was skipped, if it was; {@code null} for a hedge,
	 * which is simply not sent when it cannot be
	 * @return the permit, or {@code null} if the provider must be skipped
	 */
	static @Nullable Permit acquire(Provider provider, @Nullable RequestTrace trace) {
		Bulkhead bulkhead = provider.getBulkhead();
		if (!bulkhead.tryAcquirePermission()) {
			if (trace != null) {
				trace.skip(provider, SkipReason.BULKHEAD_FULL);
			}
			return null;
		}
		boolean permitted = false;
		try {
			permitted = provider.getCircuitBreaker().tryAcquirePermission();
		}
		finally {
			if (!permitted) {
				bulkhead.onComplete();
			}
		}
		if (!permitted) {
			if (trace != null) {
				trace.skip(provider, SkipReason.BREAKER_OPEN);
			}
			return null;
		}
		return new Permit(provider);
	}

	/**
	 * Take a permit for a hedge: as {@link #acquire}, but never waiting for a bulkhead slot
	 * (a bulkhead with a {@code max-wait-duration} makes callers wait; a hedge that finds no
	 * free slot is simply not sent).
	 * @param provider the provider
	 * @return the permit, or {@code null} if the provider has no free slot or its breaker
	 * refuses
	 */
	static @Nullable Permit acquireWithoutWaiting(Provider provider) {
		Bulkhead bulkhead = provider.getBulkhead();
		if (!bulkhead.getBulkheadConfig().getMaxWaitDuration().isZero()
				&& bulkhead.getMetrics().getAvailableConcurrentCalls() <= 0) {
			return null;
		}
		return acquire(provider, null);
	}

	/**
	 * Take a permit for a hedge: never waiting for a bulkhead slot, and never a probe. A
	 * hedge that loses is cancelled unjudged, so it must not be the call a breaker's verdict
	 * waits for: a half-open breaker is skipped, and so is an open one, whose open wait, if
	 * over, would turn the hedge into the half-open spell's first probe (Resilience4j moves an
	 * open breaker to half-open inside {@code tryAcquirePermission}). Should the breaker go
	 * half-open between the check and the permission, the permission is given back.
	 * @param provider the provider
	 * @return the permit, or {@code null} if the hedge is not to be sent to the provider
	 */
	static @Nullable Permit acquireForHedge(Provider provider) {
		CircuitBreaker.State state = provider.getCircuitBreaker().getState();
		if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN) {
			return null;
		}
		Permit permit = acquireWithoutWaiting(provider);
		if (permit != null && provider.isHalfOpen()) {
			permit.released();
			return null;
		}
		return permit;
	}

	/**
	 * The attempt answered.
	 * @param duration the time the breaker judges slowness by: the whole call, or a stream's
	 * wait for its first chunk
	 */
	void succeeded(Duration duration) {
		if (COMPLETED.compareAndSet(this, 0, 1)) {
			this.provider.noteAnswer();
			try {
				tellBreaker(() -> this.circuitBreaker.onSuccess(duration.toNanos(), TimeUnit.NANOSECONDS), true);
			}
			finally {
				this.bulkhead.onComplete();
			}
		}
	}

	/**
	 * The attempt failed in a way that counts against the provider.
	 * @param duration how long the attempt took
	 * @param failure what it failed with
	 */
	void failed(Duration duration, Throwable failure) {
		if (COMPLETED.compareAndSet(this, 0, 1)) {
			try {
				tellBreaker(() -> this.circuitBreaker.onError(duration.toNanos(), TimeUnit.NANOSECONDS, failure),
						false);
			}
			finally {
				this.bulkhead.onComplete();
			}
		}
	}

	/**
	 * Tell the breaker of the attempt's outcome; a half-open breaker's is a probe's, so its
	 * listeners can tell the close it brings about (a spell may close on its last probe's
	 * failure too, the others having answered).
	 * @param record tells the breaker
	 * @param answered whether the attempt answered
	 */
	private void tellBreaker(Runnable record, boolean answered) {
		if (this.circuitBreaker.getState() == CircuitBreaker.State.HALF_OPEN) {
			this.provider.judgeProbeOutcome(record, answered);
		}
		else {
			record.run();
		}
	}

	/**
	 * The attempt ended in a way that says nothing about the provider's health (the caller
	 * cancelled it, the provider rejected the request as invalid, it rests after
	 * {@code Retry-After}): the breaker permission and the bulkhead slot are given back
	 * unrecorded.
	 */
	void released() {
		if (COMPLETED.compareAndSet(this, 0, 1)) {
			try {
				this.circuitBreaker.releasePermission();
			}
			finally {
				this.bulkhead.onComplete();
			}
		}
	}

}
