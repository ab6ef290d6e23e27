package dev.resilientai.audit;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import dev.resilientai.ProviderAttempt;
import org.jspecify.annotations.Nullable;

/**
 * What happened to one request, for the audit trail: which data class it had and why, which
 * providers were considered, each skip and each attempt, and how it ended. Never carries
 * prompt text, completions or credentials.
 *
 * @param requestId a unique id of the request
 * @param dataClass the class the request was routed under
 * @param requestedDataClass the class the caller named, or {@code null} if the default applied
 * @param raisedByClassifier whether a {@code DataClassifier} raised the class
 * @param streaming whether the request was a stream
 * @param consideredProviders every provider, in routing order
 * @param steps each skip (with its reason) and each attempt (with its outcome), in order
 * @param outcome how the request ended
 * @param servedBy the provider that answered, if one did
 * @param duration how long the request took
 * @param hedged whether the request was also sent to a second provider while the first had
 * not answered (see {@code resilient-ai.hedging.*}); its steps then show both attempts, the
 * loser as {@code CANCELLED}
 */
public record AuditRecord(String requestId, @Nullable String dataClass, @Nullable String requestedDataClass,
		boolean raisedByClassifier, boolean streaming, List<String> consideredProviders, List<ProviderAttempt> steps,
		AuditOutcome outcome, @Nullable String servedBy, Duration duration, boolean hedged) {

	/**
	 * Create the record of a request that was not hedged.
	 * @param requestId a unique id of the request
	 * @param dataClass the class the request was routed under
	 * @param requestedDataClass the class the caller named, or {@code null}
	 * @param raisedByClassifier whether a {@code DataClassifier} raised the class
	 * @param streaming whether the request was a stream
	 * @param consideredProviders every provider, in routing order
	 * @param steps each skip and each attempt, in order
	 * @param outcome how the request ended
	 * @param servedBy the provider that answered, if one did
	 * @param duration how long the request took
	 */
	public AuditRecord(String requestId, @Nullable String dataClass, @Nullable String requestedDataClass,
			boolean raisedByClassifier, boolean streaming, List<String> consideredProviders, List<ProviderAttempt> steps,
			AuditOutcome outcome, @Nullable String servedBy, Duration duration) {
		this(requestId, dataClass, requestedDataClass, raisedByClassifier, streaming, consideredProviders, steps,
				outcome, servedBy, duration, false);
	}

	@Override
	public String toString() {
		return "request=" + this.requestId + " dataClass=" + this.dataClass
				+ (this.raisedByClassifier ? " (raised by classifier from " + this.requestedDataClassOrDefault() + ")"
						: "")
				+ " streaming=" + this.streaming + (this.hedged ? " hedged=true" : "") + " outcome=" + this.outcome
				+ ((this.servedBy != null) ? " servedBy=" + this.servedBy : "") + " durationMs="
				+ this.duration.toMillis() + " considered=" + this.consideredProviders + " steps="
				+ this.steps.stream().map(ProviderAttempt::toString).collect(Collectors.joining("; ", "[", "]"));
	}

	private String requestedDataClassOrDefault() {
		return (this.requestedDataClass != null) ? this.requestedDataClass : "default";
	}

	/**
	 * How a request ended.
	 */
	public enum AuditOutcome {

		/** A provider answered (for a stream: the stream completed). */
		SUCCESS,

		/** Every eligible provider failed and the last resort answered. */
		FALLBACK,

		/** The request named an unknown data class; no provider was called. */
		UNKNOWN_DATA_CLASS,

		/**
		 * The request came through a {@code ChatClient} whose data-class advisor param could
		 * not be read, and would have been routed below the most sensitive class; no
		 * provider was called.
		 */
		DATA_CLASS_NOT_ENFORCEABLE,

		/** No provider is allowed and enabled for the class; no provider was called. */
		NO_ELIGIBLE_PROVIDER,

		/** Every eligible provider failed or was skipped. */
		ALL_PROVIDERS_FAILED,

		/** A provider rejected the request as invalid; it went back to the caller. */
		REJECTED,

		/** A stream broke after its first chunk. */
		STREAM_INTERRUPTED,

		/** The caller cancelled a stream. */
		CANCELLED,

		/** The request failed in another way. */
		ERROR

	}

}
