package dev.resilientai;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * One step of the failover loop for one request: a provider that was called (and how that
 * ended) or a provider that was skipped (and why). Never carries prompt text or credentials.
 *
 * @param provider the provider name
 * @param outcome whether the provider answered, failed or was skipped
 * @param errorKind the classified failure, for {@link Outcome#FAILURE}
 * @param skipReason why the provider was skipped, for {@link Outcome#SKIPPED}
 * @param httpStatus the HTTP status of the failure, if the provider sent one
 * @param duration how long the attempt took ({@link Duration#ZERO} for a skip)
 */
public record ProviderAttempt(String provider, Outcome outcome, @Nullable ErrorKind errorKind,
		@Nullable SkipReason skipReason, @Nullable Integer httpStatus, Duration duration) {

	public static ProviderAttempt success(String provider, Duration duration) {
		return new ProviderAttempt(provider, Outcome.SUCCESS, null, null, null, duration);
	}

	public static ProviderAttempt failure(String provider, ErrorKind errorKind, @Nullable Integer httpStatus,
			Duration duration) {
		return new ProviderAttempt(provider, Outcome.FAILURE, errorKind, null, httpStatus, duration);
	}

	/**
	 * An attempt of a hedged request cancelled because the other attempt answered first.
	 * @param provider the provider
	 * @param duration how long it ran
	 * @return the step
	 */
	public static ProviderAttempt cancelled(String provider, Duration duration) {
		return new ProviderAttempt(provider, Outcome.CANCELLED, null, null, null, duration);
	}

	public static ProviderAttempt skipped(String provider, SkipReason reason) {
		return new ProviderAttempt(provider, Outcome.SKIPPED, null, reason, null, Duration.ZERO);
	}

	@Override
	public String toString() {
		return switch (this.outcome) {
			case SUCCESS -> this.provider + ": answered in " + this.duration.toMillis() + " ms";
			case SKIPPED -> this.provider + ": skipped (" + this.skipReason + ")";
			case CANCELLED -> this.provider + ": cancelled after " + this.duration.toMillis()
					+ " ms, the other attempt of the hedged request answered first";
			case FAILURE -> this.provider + ": " + this.errorKind
					+ ((this.httpStatus != null) ? " (HTTP " + this.httpStatus + ")" : "") + " after "
					+ this.duration.toMillis() + " ms";
		};
	}

	/**
	 * How one step of the failover loop ended.
	 */
	public enum Outcome {

		/** The provider answered. */
		SUCCESS,

		/** The provider was called and failed. */
		FAILURE,

		/** The provider was not called. */
		SKIPPED,

		/**
		 * The provider was called, and the call cancelled because the other attempt of a
		 * hedged request answered first.
		 */
		CANCELLED

	}

}
