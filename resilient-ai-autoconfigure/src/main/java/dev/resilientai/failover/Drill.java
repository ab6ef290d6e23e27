package dev.resilientai.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * A failover drill on one provider: for a bounded time, a share of its attempts meets an
 * injected fault, so a team can rehearse the provider's outage in production and watch the
 * failover path work.
 *
 * @param fault the injected fault
 * @param ratio the share of attempts that meet it, from 0 to 1
 * @param latency the delay added before the real call, for {@link Fault#LATENCY}
 * @param until when the drill ends by itself
 * @param by who started it (the endpoint caller's principal, or the fleet instance)
 */
public record Drill(Fault fault, double ratio, Duration latency, Instant until, String by) {

	/**
	 * What a drill injects.
	 */
	public enum Fault {

		/** The attempt fails at once, without calling the provider (as a 503 would). */
		ERROR,

		/** The delay is added before the real call. */
		LATENCY,

		/** The attempt is held until its timeout, without calling the provider. */
		HANG;

		/**
		 * Return the name used by the endpoint and in metrics.
		 * @return the lower-case name
		 */
		public String wireName() {
			return name().toLowerCase(Locale.ROOT);
		}

		/**
		 * Read a fault's name.
		 * @param name {@code error}, {@code latency} or {@code hang}
		 * @return the fault, or {@code null} if unknown
		 */
		public static @Nullable Fault of(String name) {
			for (Fault fault : values()) {
				if (fault.wireName().equals(name.trim().toLowerCase(Locale.ROOT))) {
					return fault;
				}
			}
			return null;
		}

	}

	/**
	 * Whether the drill still runs at the given instant.
	 * @param now the instant
	 * @return {@code true} before its end
	 */
	public boolean isActive(Instant now) {
		return now.isBefore(this.until);
	}

	/**
	 * The failure of an attempt that met a drill's injected error: the provider was not
	 * called.
	 */
	public static final class InjectedFailureException extends dev.resilientai.ResilientAiException {

		private static final long serialVersionUID = 1L;

		public InjectedFailureException(String provider) {
			super("Provider '" + provider + "' failed by a drill (injected error; the provider was not called)");
		}

	}

}
