package dev.resilientai.failover;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.SkipReason;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.UnknownDataClassException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.AuditRecord.AuditOutcome;
import org.jspecify.annotations.Nullable;

/**
 * What the failover loop did for one request, as it happens: the audit record in the making.
 * Synchronized: the two attempts of a hedged request report from their own threads.
 */
final class RequestTrace {

	private final String requestId;

	private final long start = System.nanoTime();

	private @Nullable String requestedDataClass;

	private final boolean streaming;

	private final List<ProviderAttempt> steps = new ArrayList<>();

	private @Nullable String dataClass;

	private boolean raisedByClassifier;

	private int calls;

	private AuditOutcome outcome = AuditOutcome.ERROR;

	private @Nullable String servedBy;

	private boolean hedged;

	RequestTrace(boolean streaming) {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		this.requestId = new UUID(random.nextLong(), random.nextLong()).toString();
		this.streaming = streaming;
	}

	void requested(@Nullable String requested) {
		this.requestedDataClass = requested;
	}

	void classified(String resolved, String escalated) {
		this.dataClass = escalated;
		this.raisedByClassifier = !resolved.equals(escalated);
	}

	String dataClass() {
		return (this.dataClass != null) ? this.dataClass
				: (this.requestedDataClass != null) ? this.requestedDataClass : "(default)";
	}

	synchronized void skip(Provider provider, SkipReason reason) {
		this.steps.add(ProviderAttempt.skipped(provider.getName(), reason));
	}

	/**
	 * Count a call about to be made.
	 * @return the number of calls of this request so far, this one included
	 */
	synchronized int startCall() {
		return ++this.calls;
	}

	synchronized void failed(ProviderAttempt attempt) {
		this.steps.add(attempt);
	}

	synchronized void succeeded(String provider, Duration duration) {
		this.steps.add(ProviderAttempt.success(provider, duration));
		this.outcome = AuditOutcome.SUCCESS;
		this.servedBy = provider;
	}

	/**
	 * The request was hedged: a second attempt ran beside the first.
	 */
	synchronized void hedged() {
		this.hedged = true;
	}

	/**
	 * An attempt of a hedged request was cancelled: the other one answered first.
	 * @param provider the provider
	 * @param duration how long it ran
	 */
	synchronized void lost(String provider, Duration duration) {
		this.steps.add(ProviderAttempt.cancelled(provider, duration));
	}

	synchronized void fellBack() {
		this.outcome = AuditOutcome.FALLBACK;
		this.servedBy = dev.resilientai.FallbackResponder.PROVIDER_NAME;
	}

	synchronized int calls() {
		return this.calls;
	}

	synchronized void ended(Throwable failure) {
		this.outcome = outcomeOf(failure);
		if (failure instanceof UnknownDataClassException unknown) {
			this.requestedDataClass = unknown.getDataClass();
		}
	}

	synchronized void cancelled() {
		if (this.outcome != AuditOutcome.SUCCESS) {
			this.outcome = AuditOutcome.CANCELLED;
		}
	}

	/**
	 * The steps on providers allowed for the request's class, for
	 * {@link AllProvidersFailedException}.
	 */
	synchronized List<ProviderAttempt> eligibleSteps() {
		return this.steps.stream().filter((step) -> step.skipReason() != SkipReason.NOT_ALLOWED).toList();
	}

	synchronized boolean deadlineExceeded() {
		return this.steps.stream().anyMatch((step) -> step.skipReason() == SkipReason.DEADLINE_EXCEEDED);
	}

	synchronized AuditRecord toRecord(List<String> consideredProviders) {
		return new AuditRecord(this.requestId, this.dataClass, this.requestedDataClass, this.raisedByClassifier,
				this.streaming, consideredProviders, List.copyOf(this.steps), this.outcome, this.servedBy,
				Duration.ofNanos(System.nanoTime() - this.start), this.hedged);
	}

	private static AuditOutcome outcomeOf(Throwable failure) {
		if (failure instanceof UnknownDataClassException) {
			return AuditOutcome.UNKNOWN_DATA_CLASS;
		}
		if (failure instanceof DataClassNotEnforceableException) {
			return AuditOutcome.DATA_CLASS_NOT_ENFORCEABLE;
		}
		if (failure instanceof NoEligibleProviderException) {
			return AuditOutcome.NO_ELIGIBLE_PROVIDER;
		}
		if (failure instanceof AllProvidersFailedException) {
			return AuditOutcome.ALL_PROVIDERS_FAILED;
		}
		if (failure instanceof ProviderRequestRejectedException) {
			return AuditOutcome.REJECTED;
		}
		if (failure instanceof dev.resilientai.RequestInterruptedException) {
			return AuditOutcome.CANCELLED;
		}
		if (failure instanceof StreamInterruptedException) {
			return AuditOutcome.STREAM_INTERRUPTED;
		}
		return AuditOutcome.ERROR;
	}

}
