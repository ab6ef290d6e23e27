package dev.resilientai.failover;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.SkipReason;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * The loop of a blocking call: walks the eligible providers in order, skips those resting
 * after {@code Retry-After}, behind a full bulkhead or an open breaker, runs each attempt on
 * the calling thread bounded by its timeout and the request's deadline, and classifies each
 * failure to decide whether to move on. A caller's interrupt ends the loop at once.
 */
final class CallPath {

	/** Captures the caller's thread-local context for the attempts on other threads. */
	static final ContextSnapshotFactory CONTEXT = ContextSnapshotFactory.builder().build();

	private final FailoverSettings settings;

	private final FailureRecorder failures;

	private final Clock clock;

	private final ScheduledExecutorService timer;

	private volatile Hedging hedging = Hedging.off();

	CallPath(FailoverSettings settings, FailureRecorder failures, Clock clock, ScheduledExecutorService timer) {
		this.settings = settings;
		this.failures = failures;
		this.clock = clock;
		this.timer = timer;
	}

	void setHedging(Hedging hedging) {
		this.hedging = hedging;
	}

	/**
	 * Send the prompt to the first eligible provider that answers.
	 * @param prompt the prompt
	 * @param eligible the providers, in routing order
	 * @param trace the request's trace
	 * @return the answer, with the provider and attempt count that gave it in its metadata
	 * @throws ProviderRequestRejectedException if a provider rejected the request as invalid
	 * @throws RequestInterruptedException if the caller interrupted the thread
	 * @throws NoAnswerException if no provider answered
	 */
	ChatResponse call(Prompt prompt, List<Provider> eligible, RequestTrace trace) {
		long deadline = System.nanoTime() + this.settings.timeout().toNanos();
		Hedging hedging = this.hedging;
		boolean hedgeable = hedging.isEnabled() && eligible.size() > 1;
		if (hedgeable) {
			hedging.onRequest();
		}
		// providers a hedge or a probe has called already: the loop does not call them again
		// (allocated only when needed: most requests hedge nothing, probe nothing and fail nowhere)
		Set<Provider> hedged = hedgeable ? ConcurrentHashMap.newKeySet() : null;
		// a probe of a provider coming back runs beside the next provider, never holding the caller
		ProbeRun probeRun = null;
		// after an infrastructure failure, providers of another fault domain come first
		List<Provider> order = eligible;
		Set<String> failedDomains = null;
		for (int index = 0; index < order.size(); index++) {
			Provider provider = order.get(index);
			ErrorKind failedKind = null;
			int domainsBefore = (failedDomains != null) ? failedDomains.size() : 0;
			if (hedged != null && hedged.contains(provider)) {
				continue;
			}
			if (provider.isRateLimited(this.clock)) {
				trace.skip(provider, SkipReason.RATE_LIMITED);
				continue;
			}
			for (int attempt = 1;; attempt++) {
				checkNotInterrupted();
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					trace.skip(provider, SkipReason.DEADLINE_EXCEEDED);
					break;
				}
				if (probeRun != null && probeRun.claimIfAnswered()) {
					return probeRun.answer(trace);
				}
				Permit permit = Permit.acquire(provider, trace);
				if (permit == null) {
					break;
				}
				boolean probing = attempt == 1 && provider.takeProbe();
				if (probing) {
					provider.probeSent();
					if (probeRun == null && hasLaterCandidate(order, index, hedged)) {
						// null if the pool refused it: the probe is then an ordinary attempt
						probeRun = ProbeRun.launch(this, provider, permit, prompt,
								Math.min(provider.getTimeout().toNanos(), remaining), trace, hedging);
						if (probeRun != null) {
							if (hedged == null) {
								hedged = ConcurrentHashMap.newKeySet();
							}
							hedged.add(provider);
							break;
						}
					}
				}
				int calls = trace.startCall();
				long timeoutNanos = Math.min(provider.getTimeout().toNanos(), remaining);
				ProbeRun beside = probeRun;
				Outcome outcome = null;
				Duration delay = hedgeable ? hedging.delayFor(provider) : null;
				if (delay != null && beside == null && !probing && delay.toNanos() < timeoutNanos
						&& hedging.hasBudget()) {
					if (failedDomains == null) {
						failedDomains = new HashSet<>(2);
					}
					HedgeRace race = new HedgeRace(hedging, order, index, hedged, prompt, trace, deadline, delay,
							failedDomains, provider, permit, timeoutNanos);
					if (race.start(this.timer)) {
						ChatResponse answer = race.settle();
						if (answer != null) {
							return answer;
						}
						outcome = race.primaryOutcome();
					}
				}
				if (outcome == null) {
					outcome = attempt(provider, permit, prompt, timeoutNanos,
							(beside != null) ? beside::callerStarted : null);
				}
				if (beside != null && (outcome.cancelled || outcome.response != null)
						&& !beside.claim(ProbeRun.CALLER)) {
					// the probe answered first
					trace.lost(provider.getName(), outcome.duration);
					return beside.answer(trace);
				}
				if (outcome.response != null) {
					if (probing) {
						provider.probeAnswered();
					}
					trace.succeeded(provider.getName(), outcome.duration);
					return FailoverExecutor.withRoutingMetadata(outcome.response, provider.getName(), calls);
				}
				Classification classification = outcome.classification;
				Throwable failure = outcome.failure;
				if (classification == null || failure == null) {
					throw new IllegalStateException("failed attempt without a failure");
				}
				trace.failed(ProviderAttempt.failure(provider.getName(), classification.kind(),
						classification.httpStatus(), outcome.duration));
				if (!classification.kind().isFailover()) {
					throw new ProviderRequestRejectedException(provider.getName(), classification.httpStatus(),
							failure);
				}
				failedKind = classification.kind();
				if (!FailureRecorder.isRetryable(classification.kind())
						|| attempt >= this.settings.maxAttemptsPerProvider() || !backOff(attempt, deadline)) {
					break;
				}
			}
			if (failedKind != null && FaultDomains.isInfrastructureFailure(failedKind)) {
				if (failedDomains == null) {
					failedDomains = new HashSet<>(2);
				}
				failedDomains.add(provider.getFaultDomain());
			}
			if (failedDomains != null && failedDomains.size() > domainsBefore) {
				order = FaultDomains.preferOthers(order, index + 1, failedDomains);
			}
		}
		ProbeRun probe = probeRun;
		if (probe != null) {
			// every other provider failed: the probe's answer, if it comes within the deadline
			ChatResponse answer = probe.await(deadline, trace);
			if (answer != null) {
				return answer;
			}
		}
		throw new NoAnswerException();
	}

	private static boolean hasLaterCandidate(List<Provider> order, int index, @Nullable Set<Provider> hedged) {
		for (int next = index + 1; next < order.size(); next++) {
			if (hedged == null || !hedged.contains(order.get(next))) {
				return true;
			}
		}
		return false;
	}

	/**
	 * A probe of a provider whose breaker is half-open, or that is back from a rest or the
	 * kill switch: it runs on a thread of its own, beside the caller's attempts on the next
	 * providers. The first answer goes to the caller, cutting the other attempt short, but
	 * the probe itself is never cut short: its outcome decides the provider's breaker.
	 */
	static final class ProbeRun {

		static final int CALLER = 1;

		static final int PROBE = 2;

		private final Provider provider;

		private final java.util.concurrent.atomic.AtomicInteger winner = new java.util.concurrent.atomic.AtomicInteger();

		private final java.util.concurrent.CompletableFuture<Outcome> outcome = new java.util.concurrent.CompletableFuture<>();

		private volatile @Nullable AttemptGuard callerGuard;

		private ProbeRun(Provider provider) {
			this.provider = provider;
		}

		/**
		 * Start the probe on the hedging pool.
		 * @return the running probe, or {@code null} if the pool refused it: the caller then
		 * makes the probe itself, with the same permit
		 */
		static @Nullable ProbeRun launch(CallPath path, Provider provider, Permit permit, Prompt prompt,
				long timeoutNanos, RequestTrace trace, Hedging hedging) {
			ProbeRun run = new ProbeRun(provider);
			RoutingContext context = RoutingContext.current();
			ContextSnapshot snapshot = CONTEXT.captureAll();
			Runnable task = () -> {
				RoutingContext previous = context.enter();
				try (ContextSnapshot.Scope scope = snapshot.setThreadLocals()) {
					Outcome result = path.attempt(provider, permit, prompt, timeoutNanos, null);
					if (result.response != null) {
						provider.probeAnswered();
					}
					boolean won = result.response != null && run.claim(PROBE);
					// the answer reaches the caller first; then the caller's attempt is cut short
					run.outcome.complete(result);
					if (won) {
						AttemptGuard caller = run.callerGuard;
						if (caller != null) {
							caller.cancel();
						}
					}
				}
				catch (Throwable ex) {
					// thrown by the attempt (an Error) or before it (the caller's context could
					// not be set on this thread): the permit is completed (a no-op if the attempt did)
					permit.released();
					run.outcome.complete(new Outcome(null, ex, new Classification(ErrorKind.UNKNOWN, null, null),
							Duration.ZERO, false));
				}
				finally {
					RoutingContext.restore(previous);
					Thread.interrupted();
				}
			};
			try {
				hedging.executor().execute(task);
			}
			catch (RejectedExecutionException | Error ex) {
				// refused (the pool is saturated or closing), or no thread could be started
				return null;
			}
			trace.startCall();
			return run;
		}

		void callerStarted(AttemptGuard guard) {
			this.callerGuard = guard;
			if (this.winner.get() == PROBE) {
				guard.cancel();
			}
		}

		boolean claim(int who) {
			return this.winner.compareAndSet(0, who) || this.winner.get() == who;
		}

		/** Whether the probe has answered, and its answer is the caller's. */
		boolean claimIfAnswered() {
			Outcome done = this.outcome.getNow(null);
			return done != null && done.response != null && claim(PROBE);
		}

		ChatResponse answer(RequestTrace trace) {
			Outcome done = this.outcome.join();
			trace.succeeded(this.provider.getName(), done.duration);
			return FailoverExecutor.withRoutingMetadata(done.response, this.provider.getName(), trace.calls());
		}

		@Nullable ChatResponse await(long deadline, RequestTrace trace) {
			Outcome done;
			try {
				done = this.outcome.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new RequestInterruptedException("The request was interrupted while a probe of provider '"
						+ this.provider.getName() + "' ran");
			}
			catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
				return null;
			}
			if (done.response != null && claim(PROBE)) {
				return answer(trace);
			}
			if (done.classification != null) {
				trace.failed(ProviderAttempt.failure(this.provider.getName(), done.classification.kind(),
						done.classification.httpStatus(), done.duration));
				if (!done.classification.kind().isFailover()) {
					// the probe was the request's last word: a rejection, as an ordinary attempt's
					throw new ProviderRequestRejectedException(this.provider.getName(),
							done.classification.httpStatus(), done.failure);
				}
			}
			return null;
		}

	}

	private static void recordFailure(RequestTrace trace, Provider provider, Outcome outcome) {
		Classification classification = outcome.classification;
		if (classification != null) {
			trace.failed(ProviderAttempt.failure(provider.getName(), classification.kind(),
					classification.httpStatus(), outcome.duration));
		}
	}

	/**
	 * One attempt on the calling thread. Whatever it ends in, an answer, a provider failure,
	 * an {@code Error}, a timeout or the caller's interrupt, its permit is completed exactly
	 * once before this returns or throws.
	 */
	private Outcome attempt(Provider provider, Permit permit, Prompt prompt, long timeoutNanos,
			java.util.function.@Nullable Consumer<AttemptGuard> started) {
		long start = System.nanoTime();
		try {
			AttemptGuard guard;
			try {
				guard = AttemptGuard.start(this.timer, timeoutNanos);
				if (started != null) {
					try {
						started.accept(guard);
					}
					catch (RuntimeException ex) {
						guard.finish();
						throw ex;
					}
				}
			}
			catch (RejectedExecutionException ex) {
				throw new ResilientAiException("The failover executor is closed");
			}
			ChatResponse response = null;
			Throwable failure = null;
			boolean timedOut;
			try {
				if (!guard.isCancelled()) {
					Drill drill = provider.drillFault(this.clock.instant());
					response = (drill != null) ? drilled(provider, drill, prompt)
							: provider.getModel().call(provider.promptFor(prompt));
				}
			}
			catch (Throwable ex) {
				failure = ex;
			}
			finally {
				timedOut = guard.finish();
			}
			Duration duration = Duration.ofNanos(System.nanoTime() - start);
			if (timedOut && guard.isCancelled()) {
				// the other attempt of a hedged request answered first: nothing against this provider
				permit.released();
				return new Outcome(null, null, null, duration, true);
			}
			if (failure instanceof Error error) {
				permit.failed(duration, error);
				throw error;
			}
			// the guard clears its own interrupt: one still pending is the caller's
			if (Thread.currentThread().isInterrupted() || (!timedOut && isInterruption(failure))) {
				// the caller's interrupt, not the attempt's timeout: nothing to hold against the provider
				permit.released();
				Thread.currentThread().interrupt();
				throw new RequestInterruptedException(
						"The request was interrupted during an attempt on provider '" + provider.getName() + "'");
			}
			if (failure == null && timedOut) {
				// an answer after the attempt's time is a timeout: the caller already waited too long
				failure = new AttemptTimeoutException(provider.getName(), duration);
			}
			boolean empty = failure == null && (response == null || response.getResults().isEmpty());
			if (empty) {
				failure = new ResilientAiException("Provider '" + provider.getName() + "' returned no generations");
			}
			if (failure == null) {
				permit.succeeded(duration);
				this.hedging.observe(provider, duration);
				return new Outcome(response, null, null, duration, false);
			}
			Classification classification = timedOut ? new Classification(ErrorKind.TIMEOUT, null, null)
					: empty ? new Classification(ErrorKind.INVALID_RESPONSE, null, null) : this.failures.classify(failure);
			if (classification.kind() == ErrorKind.INVALID_REQUEST && provider.sendsSchemaNatively(prompt)) {
				// the provider refused the schema resilient-ai chose to send natively: not the
				// caller's request at fault, nor the provider's health
				permit.released();
				return new Outcome(null, failure,
						new Classification(ErrorKind.INVALID_RESPONSE, classification.httpStatus(), null), duration,
						false);
			}
			if (timedOut && timeoutNanos < provider.getTimeout().toNanos()) {
				// cut short by the request's deadline, not by the provider's own timeout:
				// nothing to hold against the provider
				permit.released();
			}
			else {
				this.failures.record(provider, permit, classification, failure, duration);
			}
			return new Outcome(null, failure, classification, duration, false);
		}
		finally {
			// a path above that threw before completing it must not leak the permission
			permit.released();
		}
	}

	/**
	 * An attempt that meets a drill's fault: an error without a call, a delay before the real
	 * call, or a hang until the attempt's timeout interrupts it.
	 */
	private static ChatResponse drilled(Provider provider, Drill drill, Prompt prompt)
			throws java.io.InterruptedIOException {
		try {
			switch (drill.fault()) {
				case ERROR -> throw new Drill.InjectedFailureException(provider.getName());
				case LATENCY -> TimeUnit.NANOSECONDS.sleep(drill.latency().toNanos());
				case HANG -> {
					while (true) {
						TimeUnit.DAYS.sleep(1);
					}
				}
			}
		}
		catch (InterruptedException ex) {
			throw new java.io.InterruptedIOException("drill interrupted");
		}
		return provider.getModel().call(provider.promptFor(prompt));
	}

	/**
	 * Whether a failure is how the provider's client reports an interrupt of its thread (and
	 * may have cleared it): an {@code InterruptedException}, a channel closed by an
	 * interrupt, or an {@code InterruptedIOException} that is not a timeout of the client's
	 * own.
	 */
	private static boolean isInterruption(@Nullable Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof InterruptedException || cause instanceof ClosedByInterruptException
					|| (cause instanceof InterruptedIOException && !(cause instanceof SocketTimeoutException)
							&& !"timeout".equals(cause.getMessage()))) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	private static void checkNotInterrupted() {
		if (Thread.currentThread().isInterrupted()) {
			throw new RequestInterruptedException("The request was interrupted before its next attempt");
		}
	}

	/**
	 * Sleep before a same-provider retry, unless the sleep would outlive the deadline.
	 */
	private boolean backOff(int attempt, long deadline) {
		Duration delay = this.settings.backoff(attempt, ThreadLocalRandom.current().nextDouble());
		if (System.nanoTime() + delay.toNanos() >= deadline) {
			return false;
		}
		try {
			TimeUnit.NANOSECONDS.sleep(delay.toNanos());
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new RequestInterruptedException("The request was interrupted while backing off before a retry");
		}
	}

	/**
	 * A provider answered after its attempt's time (its own timeout or the request's
	 * deadline): a timeout.
	 */
	static final class AttemptTimeoutException extends TimeoutException {

		private static final long serialVersionUID = 1L;

		AttemptTimeoutException(String provider, Duration after) {
			super("Provider '" + provider + "' answered after its attempt's time (" + after.toMillis() + " ms)");
		}

	}

	/**
	 * No eligible provider answered.
	 */
	static final class NoAnswerException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		NoAnswerException() {
			super(null, null, false, false);
		}

	}

	record Outcome(@Nullable ChatResponse response, @Nullable Throwable failure,
			@Nullable Classification classification, Duration duration, boolean cancelled) {
	}

	/**
	 * The race of a hedged call. Both attempts run on threads of the hedging pool while the
	 * caller waits: the first attempt at once, the hedge after the delay on the next eligible
	 * provider that can take it (within the budget, another fault domain first). The first
	 * answer claims the race, cancels the other attempt and goes to the caller at once,
	 * whether or not the loser's HTTP client heeds the cancellation: the loser's thread
	 * completes its permit when its call ends. A failure of one attempt waits for the other.
	 * Both threads carry the caller's context (Micrometer's context propagation: tracing,
	 * MDC, security, and the request's routing context).
	 */
	final class HedgeRace implements Runnable {

		static final int NONE = 0;

		static final int PRIMARY = 1;

		static final int HEDGE = 2;

		/** The caller gave up (interrupt or deadline): no answer claims the race. */
		static final int ABORTED = 3;

		final Hedging hedging;

		private final List<Provider> candidates;

		private final int index;

		private final Set<Provider> hedged;

		private final Prompt prompt;

		private final RequestTrace trace;

		private final long deadline;

		private final Duration delay;

		private final Set<String> failedDomains;

		private final Provider primary;

		private final Permit primaryPermit;

		private final long primaryTimeout;

		private final ContextSnapshot snapshot = CONTEXT.captureAll();

		private final RoutingContext context = RoutingContext.current();

		private final AtomicInteger winner = new AtomicInteger();

		private final CompletableFuture<Outcome> primaryOutcome = new CompletableFuture<>();

		private final CompletableFuture<Outcome> hedgeOutcome = new CompletableFuture<>();

		private volatile @Nullable AttemptGuard primaryGuard;

		private volatile @Nullable AttemptGuard hedgeGuard;

		private long primaryStart;

		/** Guarded by {@code this}, as are the fields below. */
		private @Nullable ScheduledFuture<?> launch;

		private @Nullable Provider hedgeProvider;

		private long hedgeStart;

		private boolean closed;

		private @Nullable Outcome decided;

		private volatile boolean timedOut;

		HedgeRace(Hedging hedging, List<Provider> eligible, int index, Set<Provider> hedged, Prompt prompt,
				RequestTrace trace, long deadline, Duration delay, Set<String> failedDomains, Provider primary,
				Permit primaryPermit, long primaryTimeout) {
			// a hedge prefers another fault domain than the slow provider's, and the failed ones
			Set<String> avoid = new HashSet<>(failedDomains);
			avoid.add(primary.getFaultDomain());
			this.candidates = FaultDomains.preferOthers(eligible, index + 1, avoid);
			this.hedging = hedging;
			this.index = index;
			this.hedged = hedged;
			this.prompt = prompt;
			this.trace = trace;
			this.deadline = deadline;
			this.delay = delay;
			this.failedDomains = failedDomains;
			this.primary = primary;
			this.primaryPermit = primaryPermit;
			this.primaryTimeout = primaryTimeout;
		}

		/**
		 * Start the first attempt on the pool and the hedge's timer.
		 * @param timer the timer that sends the hedge after the delay
		 * @return {@code false} if the pool could not take the attempt: the caller runs it
		 * itself, unhedged, with the same permit
		 */
		boolean start(ScheduledExecutorService timer) {
			this.primaryStart = System.nanoTime();
			try {
				this.hedging.executor()
					.execute(() -> runAttempt(this.primary, this.primaryPermit, this.primaryTimeout, PRIMARY));
			}
			catch (Throwable ex) {
				// refused, or no thread could be started (an OutOfMemoryError): run unhedged
				return false;
			}
			synchronized (this) {
				if (!this.closed) {
					try {
						// the timer only hands the hedge to the pool: choosing it never holds the timer
						this.launch = timer.schedule(this::launchHedge, this.delay.toNanos(), TimeUnit.NANOSECONDS);
					}
					catch (RejectedExecutionException ex) {
						// the executor is closing: no hedge
					}
				}
			}
			return true;
		}

		private void runAttempt(Provider provider, Permit permit, long timeoutNanos, int who) {
			long start = System.nanoTime();
			CompletableFuture<Outcome> result = (who == PRIMARY) ? this.primaryOutcome : this.hedgeOutcome;
			try (ContextSnapshot.Scope scope = this.snapshot.setThreadLocals()) {
				RoutingContext previous = this.context.enter();
				try {
					Outcome outcome = CallPath.this.attempt(provider, permit, this.prompt, timeoutNanos,
							(guard) -> started(guard, who));
					if (outcome.response != null && this.winner.compareAndSet(NONE, who)) {
						// the answer reaches the caller first; then the loser is cancelled on this
						// thread, whose HTTP client's canceller may be slow
						result.complete(outcome);
						cancel((who == PRIMARY) ? this.hedgeGuard : this.primaryGuard);
					}
					else {
						result.complete(outcome);
					}
				}
				finally {
					RoutingContext.restore(previous);
				}
			}
			catch (Throwable ex) {
				// thrown by the attempt (an Error, the pool's interrupt) or before it (the
				// context's restore): the permit is completed (a no-op if the attempt did), and
				// the caller rethrows it
				permit.released();
				result.complete(new Outcome(null, ex, null, Duration.ofNanos(System.nanoTime() - start), false));
			}
			finally {
				// a pool thread keeps no interrupt for its next task
				Thread.interrupted();
			}
		}

		private void started(AttemptGuard guard, int who) {
			if (who == PRIMARY) {
				this.primaryGuard = guard;
			}
			else {
				this.hedgeGuard = guard;
			}
			int won = this.winner.get();
			if (won != NONE && won != who) {
				// the race was decided before this attempt's call: it is not made
				guard.cancel();
			}
		}

		/** The delay is up: choose and run the hedge on the pool, never on the timer's thread. */
		private void launchHedge() {
			if (!isOpen()) {
				return;
			}
			try {
				this.hedging.executor().execute(this);
			}
			catch (Throwable ex) {
				// refused, or no thread could be started: no hedge
			}
		}

		private synchronized boolean isOpen() {
			return !this.closed && this.winner.get() == NONE && !this.primaryOutcome.isDone();
		}

		/**
		 * The delay is up and the first attempt still runs: send the hedge, if it can go, and
		 * run it on this pool thread. Outside the race's monitor: the caller's
		 * {@link #close()} never waits for the hedge to be chosen; and a hedge never waits
		 * for a bulkhead slot.
		 */
		@Override
		public void run() {
			if (!isOpen() || !this.hedging.tryTake()) {
				return;
			}
			Provider candidate = null;
			Permit permit = null;
			long timeoutNanos = 0;
			for (int next = this.index + 1; next < this.candidates.size(); next++) {
				Provider provider = this.candidates.get(next);
				long remaining = this.deadline - System.nanoTime();
				if (remaining <= 0) {
					break;
				}
				if (this.hedged.contains(provider) || provider.isRateLimited(CallPath.this.clock)) {
					continue;
				}
				// never a probe (a half-open breaker's, or one whose open wait is over): a
				// losing hedge is cut short unjudged
				permit = Permit.acquireForHedge(provider);
				if (permit != null) {
					candidate = provider;
					timeoutNanos = Math.min(provider.getTimeout().toNanos(), remaining);
					break;
				}
			}
			if (candidate == null || permit == null) {
				this.hedging.refund();
				return;
			}
			synchronized (this) {
				if (this.closed || this.winner.get() != NONE || this.primaryOutcome.isDone()) {
					// the first attempt ended while the hedge was chosen
					permit.released();
					this.hedging.refund();
					return;
				}
				this.hedgeStart = System.nanoTime();
				this.hedgeProvider = candidate;
				this.hedged.add(candidate);
				this.trace.startCall();
				this.hedging.started(candidate.getName());
			}
			runAttempt(candidate, permit, timeoutNanos, HEDGE);
		}

		/**
		 * The first attempt has ended: no hedge starts after this.
		 * @return the hedge's provider, or {@code null} if no hedge was sent
		 */
		private synchronized @Nullable Provider close() {
			this.closed = true;
			if (this.launch != null) {
				this.launch.cancel(false);
			}
			return this.hedgeProvider;
		}

		/**
		 * Wait for the race to be decided.
		 * @return the answer, recorded in the trace, or {@code null} if the first attempt
		 * failed (see {@link #primaryOutcome()}) and no hedge answered
		 * @throws ProviderRequestRejectedException if the hedge's provider rejected the
		 * request and the first attempt failed too
		 * @throws RequestInterruptedException if the caller interrupted the thread
		 */
		@Nullable ChatResponse settle() {
			Outcome first = awaitFirst();
			if (this.timedOut) {
				return null;
			}
			Provider hedge = close();
			if (hedge != null) {
				this.trace.hedged();
			}
			if (first == null) {
				// the hedge answered first
				Outcome answer = this.hedgeOutcome.join();
				lost(this.primary, this.primaryStart);
				return won(hedge, answer);
			}
			if (first.response != null) {
				if (hedge != null) {
					loseHedge(hedge);
				}
				this.trace.succeeded(this.primary.getName(), first.duration);
				return FailoverExecutor.withRoutingMetadata(first.response, this.primary.getName(), this.trace.calls());
			}
			this.decided = first;
			if (first.classification == null && first.failure != null) {
				// thrown on the attempt's thread: ends the request as it would have on the caller's
				if (hedge != null) {
					loseHedge(hedge);
				}
				rethrow(first.failure);
			}
			if (hedge == null) {
				return null;
			}
			if (first.classification == null || !first.classification.kind().isFailover()) {
				// the request was rejected: the hedge has no one to answer
				loseHedge(hedge);
				return null;
			}
			// the first attempt failed: wait for the hedge
			Outcome other;
			try {
				other = this.hedgeOutcome.get(Math.max(0, this.deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				abort(hedge, false);
				recordFailure(this.trace, this.primary, first);
				this.decided = null;
				Thread.currentThread().interrupt();
				throw new RequestInterruptedException(
						"The request was interrupted while its hedged attempt on provider '" + hedge.getName() + "' ran");
			}
			catch (ExecutionException | TimeoutException ex) {
				loseHedge(hedge);
				return null;
			}
			if (other.response != null && !other.cancelled) {
				recordFailure(this.trace, this.primary, first);
				this.decided = null;
				return won(hedge, other);
			}
			recordHedgeFailure(hedge, other);
			if (other.classification != null && !other.classification.kind().isFailover()) {
				recordFailure(this.trace, this.primary, first);
				this.decided = null;
				throw new ProviderRequestRejectedException(hedge.getName(), other.classification.httpStatus(),
						other.failure);
			}
			return null;
		}

		/**
		 * Return the first attempt's failed outcome after {@link #settle()} returned
		 * {@code null}, for the loop to judge as any failed attempt.
		 */
		Outcome primaryOutcome() {
			Outcome outcome = this.decided;
			if (outcome == null) {
				throw new IllegalStateException("the first attempt did not fail");
			}
			return outcome;
		}

		/**
		 * Wait until the first attempt ends or the hedge answers first.
		 * @return the first attempt's outcome, or {@code null} if the hedge won
		 */
		private @Nullable Outcome awaitFirst() {
			while (true) {
				if (this.winner.get() == HEDGE) {
					// the hedge answered: its thread completes its outcome right after the claim
					while (!this.hedgeOutcome.isDone()) {
						Thread.onSpinWait();
					}
					return null;
				}
				Outcome first = this.primaryOutcome.getNow(null);
				if (first != null && !first.cancelled && (first.response == null || this.winner.get() == PRIMARY)) {
					return first;
				}
				if (first != null) {
					// cut short, or its answer came after the hedge's: the hedge won
					Thread.onSpinWait();
					continue;
				}
				await(this.hedgeOutcome.isDone() ? this.primaryOutcome
						: CompletableFuture.anyOf(this.primaryOutcome, this.hedgeOutcome));
				Outcome timedOut = this.decided;
				if (timedOut != null) {
					return timedOut;
				}
			}
		}

		private void await(CompletableFuture<?> future) {
			long remaining = this.deadline - System.nanoTime();
			try {
				if (remaining <= 0) {
					throw new TimeoutException();
				}
				future.get(remaining, TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				abort(close(), true);
				Thread.currentThread().interrupt();
				throw new RequestInterruptedException(
						"The request was interrupted during an attempt on provider '" + this.primary.getName() + "'");
			}
			catch (TimeoutException ex) {
				// the request's deadline: both attempts are cut short, nothing held against either
				abort(close(), false);
				this.timedOut = true;
				this.decided = new Outcome(null, ex, new Classification(ErrorKind.TIMEOUT, null, null),
						Duration.ofNanos(System.nanoTime() - this.primaryStart), false);
			}
			catch (ExecutionException ex) {
				// the futures complete normally
			}
		}

		/**
		 * The caller gave up: cancel both attempts (on the pool, so that a slow canceller
		 * never holds the caller) and record the hedge as cut short.
		 * @param hedge the hedge's provider, if a hedge was sent
		 * @param primaryRunning whether the first attempt was still running, to be recorded as
		 * cut short too (a deadline records it as timed out instead)
		 */
		private void abort(@Nullable Provider hedge, boolean primaryRunning) {
			this.winner.compareAndSet(NONE, ABORTED);
			cancelAsync(this.primaryGuard);
			if (hedge != null) {
				cancelAsync(this.hedgeGuard);
				this.trace.hedged();
				Outcome first = this.primaryOutcome.getNow(null);
				if (primaryRunning && (first == null || first.cancelled || first.response != null)) {
					this.trace.lost(this.primary.getName(), Duration.ofNanos(System.nanoTime() - this.primaryStart));
				}
				else if (primaryRunning) {
					recordFailure(this.trace, this.primary, first);
				}
				this.trace.lost(hedge.getName(), Duration.ofNanos(System.nanoTime() - this.hedgeStart));
			}
		}

		/** Cancel an attempt on the pool; on the calling thread only if the pool refuses. */
		private void cancelAsync(@Nullable AttemptGuard guard) {
			if (guard == null) {
				return;
			}
			try {
				this.hedging.executor().execute(guard::cancel);
			}
			catch (Throwable ex) {
				guard.cancel();
			}
		}

		private ChatResponse won(Provider hedge, Outcome answer) {
			this.hedging.won(hedge.getName());
			this.trace.succeeded(hedge.getName(), answer.duration);
			return FailoverExecutor.withRoutingMetadata(answer.response, hedge.getName(), this.trace.calls());
		}

		/** The first attempt lost: record it as cut short. */
		private void lost(Provider provider, long startNanos) {
			Duration ran = Duration.ofNanos(System.nanoTime() - startNanos);
			this.trace.lost(provider.getName(), ran);
			this.hedging.cancelled(provider, ran);
		}

		/** The hedge lost, or has no one to answer: cancel it unless it ended already. */
		private void loseHedge(Provider hedge) {
			this.winner.compareAndSet(NONE, PRIMARY);
			cancelAsync(this.hedgeGuard);
			Outcome ended = this.hedgeOutcome.getNow(null);
			if (ended != null && !ended.cancelled && ended.response == null) {
				recordHedgeFailure(hedge, ended);
			}
			else {
				lost(hedge, this.hedgeStart);
			}
		}

		private void recordHedgeFailure(Provider hedge, Outcome outcome) {
			if (outcome.cancelled) {
				lost(hedge, this.hedgeStart);
				return;
			}
			Classification classification = (outcome.classification != null) ? outcome.classification
					: new Classification(ErrorKind.UNKNOWN, null, null);
			this.trace.failed(ProviderAttempt.failure(hedge.getName(), classification.kind(),
					classification.httpStatus(), outcome.duration));
			if (FaultDomains.isInfrastructureFailure(classification.kind())) {
				this.failedDomains.add(hedge.getFaultDomain());
			}
		}

		private static void cancel(@Nullable AttemptGuard guard) {
			if (guard != null) {
				guard.cancel();
			}
		}

		private static void rethrow(Throwable failure) {
			if (failure instanceof RuntimeException ex) {
				throw ex;
			}
			if (failure instanceof Error error) {
				throw error;
			}
			throw new ResilientAiException("The attempt failed", failure);
		}

	}

}
