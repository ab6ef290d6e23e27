package dev.resilientai.failover;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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

	CallPath(FailoverSettings settings, FailureRecorder failures, Clock clock, ScheduledExecutorService timer) {
		this.settings = settings;
		this.failures = failures;
		this.clock = clock;
		this.timer = timer;
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
		for (Provider provider : eligible) {
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
				Permit permit = Permit.acquire(provider, trace);
				if (permit == null) {
					break;
				}
				int calls = trace.startCall();
				Outcome outcome = attempt(provider, permit, prompt,
						Math.min(provider.getTimeout().toNanos(), remaining));
				if (outcome.response != null) {
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
				if (!FailureRecorder.isRetryable(classification.kind())
						|| attempt >= this.settings.maxAttemptsPerProvider() || !backOff(attempt, deadline)) {
					break;
				}
			}
		}
		throw new NoAnswerException();
	}

	/**
	 * One attempt on the calling thread. Whatever it ends in, an answer, a provider failure,
	 * an {@code Error}, a timeout or the caller's interrupt, its permit is completed exactly
	 * once before this returns or throws.
	 */
	private Outcome attempt(Provider provider, Permit permit, Prompt prompt, long timeoutNanos) {
		long start = System.nanoTime();
		try {
			AttemptGuard guard;
			try {
				guard = AttemptGuard.start(this.timer, timeoutNanos);
			}
			catch (RejectedExecutionException ex) {
				throw new ResilientAiException("The failover executor is closed");
			}
			ChatResponse response = null;
			Throwable failure = null;
			boolean timedOut;
			try {
				response = provider.getModel().call(provider.promptFor(prompt));
			}
			catch (Throwable ex) {
				failure = ex;
			}
			finally {
				timedOut = guard.finish();
			}
			Duration duration = Duration.ofNanos(System.nanoTime() - start);
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
				return new Outcome(response, null, null, duration);
			}
			Classification classification = timedOut ? new Classification(ErrorKind.TIMEOUT, null, null)
					: empty ? new Classification(ErrorKind.INVALID_RESPONSE, null, null) : this.failures.classify(failure);
			if (timedOut && timeoutNanos < provider.getTimeout().toNanos()) {
				// cut short by the request's deadline, not by the provider's own timeout:
				// nothing to hold against the provider
				permit.released();
			}
			else {
				this.failures.record(provider, permit, classification, failure, duration);
			}
			return new Outcome(null, failure, classification, duration);
		}
		finally {
			// a path above that threw before completing it must not leak the permission
			permit.released();
		}
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

	private record Outcome(@Nullable ChatResponse response, @Nullable Throwable failure,
			@Nullable Classification classification, Duration duration) {
	}

}
