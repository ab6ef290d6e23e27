package dev.resilientai.failover;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.SkipReason;
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
		Set<Provider> hedged = (eligible.size() > 1) ? ConcurrentHashMap.newKeySet() : Set.of();
		// a probe of a provider coming back runs beside the next provider, never holding the caller
		ProbeRun[] probes = new ProbeRun[1];
		// after an infrastructure failure, providers of another fault domain come first
		List<Provider> order = eligible;
		Set<String> failedDomains = new java.util.HashSet<>(2);
		for (int index = 0; index < order.size(); index++) {
			Provider provider = order.get(index);
			ErrorKind failedKind = null;
			if (hedged.contains(provider)) {
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
				ProbeRun probe = probes[0];
				if (probe != null && probe.claimIfAnswered()) {
					return probe.answer(trace);
				}
				Permit permit = Permit.acquire(provider, trace);
				if (permit == null) {
					break;
				}
				boolean probing = attempt == 1 && provider.takeProbe();
				if (probing) {
					provider.probeSent();
					if (probe == null && hasLaterCandidate(order, index, hedged)) {
						probes[0] = ProbeRun.launch(this, provider, permit, prompt,
								Math.min(provider.getTimeout().toNanos(), remaining), trace, hedging);
						hedged.add(provider);
						break;
					}
				}
				int calls = trace.startCall();
				long timeoutNanos = Math.min(provider.getTimeout().toNanos(), remaining);
				HedgeRace race = (hedgeable && hedging.delayFor(provider).toNanos() < timeoutNanos)
						? new HedgeRace(hedging, order, index, hedged, prompt, trace, deadline,
								hedging.delayFor(provider), failedDomains) : null;
				Outcome outcome;
				try {
					outcome = attempt(provider, permit, prompt, timeoutNanos, (guard) -> {
						if (race != null) {
							race.primaryStarted(guard, this.timer);
						}
						if (probes[0] != null) {
							probes[0].callerStarted(guard);
						}
					});
				}
				catch (RuntimeException | Error ex) {
					// the caller's interrupt, an Error: a hedge still running has no one to answer
					if (race != null && race.close()) {
						race.cancelHedge();
					}
					throw ex;
				}
				if (probes[0] != null && (outcome.cancelled || outcome.response != null)
						&& !probes[0].claim(ProbeRun.CALLER)) {
					// the probe answered first
					trace.lost(provider.getName(), outcome.duration);
					if (race != null && race.close()) {
						race.cancelHedge();
					}
					return probes[0].answer(trace);
				}
				if (race != null && race.close()) {
					ChatResponse answer = settle(race, provider, outcome, trace, deadline);
					if (answer != null) {
						return answer;
					}
					failedDomains.add(race.hedgeProvider().getFaultDomain());
					failedKind = ErrorKind.SERVER_ERROR;
					break;
				}
				if (outcome.response != null) {
					if (probing) {
						provider.probeAnswered(this.clock.instant());
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
				failedDomains.add(provider.getFaultDomain());
				order = FaultDomains.preferOthers(order, index + 1, failedDomains);
			}
		}
		ProbeRun probe = probes[0];
		if (probe != null) {
			// every other provider failed: the probe's answer, if it comes within the deadline
			ChatResponse answer = probe.await(deadline, trace);
			if (answer != null) {
				return answer;
			}
		}
		throw new NoAnswerException();
	}

	private static boolean hasLaterCandidate(List<Provider> order, int index, Set<Provider> hedged) {
		for (int next = index + 1; next < order.size(); next++) {
			if (!hedged.contains(order.get(next))) {
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

		static ProbeRun launch(CallPath path, Provider provider, Permit permit, Prompt prompt, long timeoutNanos,
				RequestTrace trace, Hedging hedging) {
			ProbeRun run = new ProbeRun(provider);
			trace.startCall();
			RoutingContext context = RoutingContext.current();
			Runnable task = () -> {
				RoutingContext previous = context.enter();
				try {
					Outcome result = path.attempt(provider, permit, prompt, timeoutNanos, null);
					if (result.response != null) {
						provider.probeAnswered(path.clock.instant());
						if (run.claim(PROBE)) {
							AttemptGuard caller = run.callerGuard;
							if (caller != null) {
								caller.cancel();
							}
						}
					}
					run.outcome.complete(result);
				}
				catch (Throwable ex) {
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
			catch (RejectedExecutionException ex) {
				permit.released();
				run.outcome.complete(new Outcome(null, ex, new Classification(ErrorKind.UNKNOWN, null, null),
						Duration.ZERO, false));
			}
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
			}
			return null;
		}

	}

	/**
	 * The first attempt of a hedged request has ended (answered, failed, or cancelled because
	 * the hedge answered first): settle the race. The first answer wins and the other attempt
	 * is cancelled; a failure waits for the other attempt.
	 * @return the answer, or {@code null} if both attempts failed
	 */
	private @Nullable ChatResponse settle(HedgeRace race, Provider provider, Outcome outcome, RequestTrace trace,
			long deadline) {
		trace.hedged();
		Hedging hedging = race.hedging;
		Provider hedge = race.hedgeProvider();
		if (outcome.response != null && race.claim(HedgeRace.PRIMARY)) {
			race.cancelHedge();
			Outcome lost = race.awaitHedge(deadline);
			recordHedge(trace, hedge, lost, true);
			if (lost.cancelled || lost.classification == null) {
				hedging.cancelled(hedge, lost.duration);
			}
			trace.succeeded(provider.getName(), outcome.duration);
			return FailoverExecutor.withRoutingMetadata(outcome.response, provider.getName(), trace.calls());
		}
		if (outcome.response != null || outcome.cancelled) {
			// the hedge answered first: this attempt was cut short (or its answer came too late)
			trace.lost(provider.getName(), outcome.duration);
			hedging.cancelled(provider, outcome.duration);
		}
		else {
			recordFailure(trace, provider, outcome);
			if (outcome.classification != null && !outcome.classification.kind().isFailover()) {
				race.cancelHedge();
				race.awaitHedge(deadline);
				throw new ProviderRequestRejectedException(provider.getName(), outcome.classification.httpStatus(),
						outcome.failure);
			}
		}
		Outcome other;
		try {
			other = race.awaitHedgeInterruptibly(deadline);
		}
		catch (InterruptedException ex) {
			race.cancelHedge();
			Thread.currentThread().interrupt();
			throw new RequestInterruptedException("The request was interrupted while its hedged attempt on provider '"
					+ hedge.getName() + "' ran");
		}
		if (other.response != null) {
			hedging.won(hedge.getName());
			trace.succeeded(hedge.getName(), other.duration);
			return FailoverExecutor.withRoutingMetadata(other.response, hedge.getName(), trace.calls());
		}
		recordHedge(trace, hedge, other, false);
		if (other.classification != null && !other.classification.kind().isFailover()) {
			throw new ProviderRequestRejectedException(hedge.getName(), other.classification.httpStatus(),
					other.failure);
		}
		return null;
	}

	private static void recordHedge(RequestTrace trace, Provider hedge, Outcome outcome, boolean cancelled) {
		if (outcome.cancelled || (cancelled && outcome.classification == null)) {
			trace.lost(hedge.getName(), outcome.duration);
		}
		else if (outcome.classification != null) {
			recordFailure(trace, hedge, outcome);
		}
		else if (outcome.response != null) {
			// it answered, just after the first attempt did
			trace.lost(hedge.getName(), outcome.duration);
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
				Drill drill = provider.drillFault(this.clock.instant());
				response = (drill != null) ? drilled(provider, drill, prompt)
						: provider.getModel().call(provider.promptFor(prompt));
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
				failure = new ResilientAiException(
						"Provider '" + provider.getName() + "' answered after its attempt timeout");
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
	 * The race of a hedged call: the first attempt runs on the calling thread; after the
	 * delay, if it has not ended, the hedge runs on a thread of its own on the next eligible
	 * provider that can take it (within the budget). The first answer claims the race and
	 * cancels the other attempt.
	 */
	final class HedgeRace implements Runnable {

		static final int NONE = 0;

		static final int PRIMARY = 1;

		static final int HEDGE = 2;

		final Hedging hedging;

		private final List<Provider> eligible;

		private final int index;

		private final Set<Provider> hedged;

		private final Prompt prompt;

		private final RequestTrace trace;

		private final long deadline;

		private final RoutingContext context = RoutingContext.current();

		private final java.util.concurrent.atomic.AtomicInteger winner = new java.util.concurrent.atomic.AtomicInteger();

		private final java.util.concurrent.CompletableFuture<Outcome> hedgeOutcome = new java.util.concurrent.CompletableFuture<>();

		private volatile @Nullable AttemptGuard primaryGuard;

		private volatile @Nullable AttemptGuard hedgeGuard;

		private java.util.concurrent.@Nullable ScheduledFuture<?> launch;

		private @Nullable Provider hedgeProvider;

		private boolean closed;

		private boolean launched;

		private final Duration delay;

		HedgeRace(Hedging hedging, List<Provider> eligible, int index, Set<Provider> hedged, Prompt prompt,
				RequestTrace trace, long deadline, Duration delay, Set<String> failedDomains) {
			this.delay = delay;
			// a hedge prefers another fault domain than the slow provider's, and the failed ones
			Set<String> avoid = new java.util.HashSet<>(failedDomains);
			avoid.add(eligible.get(index).getFaultDomain());
			eligible = FaultDomains.preferOthers(eligible, index + 1, avoid);
			this.hedging = hedging;
			this.eligible = eligible;
			this.index = index;
			this.hedged = hedged;
			this.prompt = prompt;
			this.trace = trace;
			this.deadline = deadline;
		}

		void primaryStarted(AttemptGuard guard, ScheduledExecutorService timer) {
			this.primaryGuard = guard;
			synchronized (this) {
				this.launch = timer.schedule(this, this.delay.toNanos(), TimeUnit.NANOSECONDS);
			}
		}

		/** The delay is up and the first attempt still runs: send the hedge, if it can go. */
		@Override
		public void run() {
			Provider candidate = null;
			Permit permit = null;
			long timeoutNanos = 0;
			synchronized (this) {
				if (this.closed || !this.hedging.tryTake()) {
					return;
				}
				for (int next = this.index + 1; next < this.eligible.size(); next++) {
					Provider provider = this.eligible.get(next);
					long remaining = this.deadline - System.nanoTime();
					if (remaining <= 0) {
						break;
					}
					if (this.hedged.contains(provider) || provider.isRateLimited(CallPath.this.clock)) {
						continue;
					}
					permit = Permit.acquire(provider, null);
					if (permit != null) {
						candidate = provider;
						timeoutNanos = Math.min(provider.getTimeout().toNanos(), remaining);
						break;
					}
				}
				if (candidate == null) {
					this.hedging.refund();
					return;
				}
				this.launched = true;
				this.hedgeProvider = candidate;
				this.hedged.add(candidate);
				this.trace.startCall();
				this.hedging.started(candidate.getName());
			}
			Provider provider = candidate;
			Permit hedgePermit = permit;
			long timeout = timeoutNanos;
			try {
				this.hedging.executor().execute(() -> runHedge(provider, hedgePermit, timeout));
			}
			catch (RejectedExecutionException ex) {
				hedgePermit.released();
				this.hedgeOutcome.complete(new Outcome(null, ex, new Classification(ErrorKind.UNKNOWN, null, null),
						Duration.ZERO, false));
			}
		}

		private void runHedge(Provider provider, Permit permit, long timeoutNanos) {
			RoutingContext previous = this.context.enter();
			try {
				Outcome outcome = CallPath.this.attempt(provider, permit, this.prompt, timeoutNanos, this::hedgeStarted);
				if (outcome.response != null && claim(HEDGE)) {
					AttemptGuard primary = this.primaryGuard;
					if (primary != null) {
						primary.cancel();
					}
				}
				this.hedgeOutcome.complete(outcome);
			}
			catch (Throwable ex) {
				this.hedgeOutcome.complete(new Outcome(null, ex, new Classification(ErrorKind.UNKNOWN, null, null),
						Duration.ZERO, false));
			}
			finally {
				RoutingContext.restore(previous);
				// a hedge thread keeps no interrupt for its next task
				Thread.interrupted();
			}
		}

		void hedgeStarted(AttemptGuard guard) {
			this.hedgeGuard = guard;
			if (this.winner.get() == PRIMARY) {
				guard.cancel();
			}
		}

		/**
		 * The first attempt has ended: no hedge starts after this.
		 * @return {@code true} if a hedge was sent
		 */
		synchronized boolean close() {
			this.closed = true;
			if (this.launch != null) {
				this.launch.cancel(false);
			}
			return this.launched;
		}

		boolean claim(int who) {
			return this.winner.compareAndSet(NONE, who);
		}

		void cancelHedge() {
			this.winner.compareAndSet(NONE, PRIMARY);
			AttemptGuard guard = this.hedgeGuard;
			if (guard != null) {
				guard.cancel();
			}
		}

		synchronized Provider hedgeProvider() {
			Provider provider = this.hedgeProvider;
			if (provider == null) {
				throw new IllegalStateException("no hedge was sent");
			}
			return provider;
		}

		/** Wait for the cancelled hedge to wind down (its permit completed), within the deadline. */
		Outcome awaitHedge(long deadline) {
			try {
				return awaitHedgeInterruptibly(deadline);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return new Outcome(null, null, null, Duration.ZERO, true);
			}
		}

		Outcome awaitHedgeInterruptibly(long deadline) throws InterruptedException {
			try {
				return this.hedgeOutcome.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			catch (java.util.concurrent.ExecutionException ex) {
				return new Outcome(null, ex.getCause(), new Classification(ErrorKind.UNKNOWN, null, null), Duration.ZERO,
						false);
			}
			catch (java.util.concurrent.TimeoutException ex) {
				cancelHedge();
				return new Outcome(null, ex, new Classification(ErrorKind.TIMEOUT, null, null),
						Duration.ofNanos(System.nanoTime() - deadline), false);
			}
		}

	}

}
