package dev.resilientai.fleet;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * One shared change of a provider's state, as it travels between instances: the provider,
 * what happened, for how long (opens and rests), the instance it happened on, and the
 * fleet-wide version Redis gave it. It carries nothing else: no prompt, no request, no data
 * class, no key.
 *
 * @param version the fleet-wide version (0 until published)
 * @param instance the instance the change happened on
 * @param provider the provider's name
 * @param type what happened
 * @param duration how long an open or a rest lasts from now ({@link Duration#ZERO} for the
 * other types)
 * @param detail what else the change needs, for a drill its fault, ratio, latency and who
 * started it; empty otherwise
 */
public record FleetEvent(long version, String instance, String provider, Type type, Duration duration,
		String detail) {

	/** What a detail may carry: a drill's fault, ratio, latency and principal. */
	static final Pattern DETAIL = Pattern.compile("[A-Za-z0-9._;:@-]{0,200}");

	/**
	 * Create an event without a detail.
	 * @param version the fleet-wide version (0 until published)
	 * @param instance the instance the change happened on
	 * @param provider the provider's name
	 * @param type what happened
	 * @param duration how long it lasts from now
	 */
	public FleetEvent(long version, String instance, String provider, Type type, Duration duration) {
		this(version, instance, provider, type, duration, "");
	}

	/** Names as providers and instance ids are written: what a value may carry. */
	static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

	private static final String FORMAT = "1";

	/**
	 * The part of a provider's state a change is about: each part has one key in Redis.
	 */
	public enum Slot {

		/** Its circuit breaker. */
		BREAKER,

		/** Its kill switch. */
		SWITCH,

		/** Its {@code Retry-After} rest. */
		REST,

		/** Its failover drill. */
		DRILL

	}

	/**
	 * What happened to a provider.
	 */
	public enum Type {

		/** The breaker opened on its own (failures), for a duration. */
		OPEN(Slot.BREAKER),

		/** An operator forced the breaker open. */
		FORCED_OPEN(Slot.BREAKER),

		/** An operator closed the breaker. */
		CLOSED(Slot.BREAKER),

		/** A probe succeeded: the breaker closed after being open. */
		RECOVERED(Slot.BREAKER),

		/**
		 * The breaker went half-open: a probe is under way, for at most a duration (its
		 * attempt timeout). The others hold their opens meanwhile.
		 */
		PROBING(Slot.BREAKER),

		/** The kill switch took the provider out of rotation. */
		DISABLED(Slot.SWITCH),

		/** The kill switch put the provider back. */
		ENABLED(Slot.SWITCH),

		/** The provider asked for a rest ({@code Retry-After}), for a duration. */
		RESTING(Slot.REST),

		/** A drill started on the provider, for a duration (its detail says which). */
		DRILL_STARTED(Slot.DRILL),

		/** An operator stopped the provider's drill. */
		DRILL_STOPPED(Slot.DRILL);

		private final Slot slot;

		Type(Slot slot) {
			this.slot = slot;
		}

		public Slot slot() {
			return this.slot;
		}

		/**
		 * Return the name written in Redis.
		 * @return the name, such as {@code forced-open}
		 */
		public String wireName() {
			return name().toLowerCase(Locale.ROOT).replace('_', '-');
		}

		static @Nullable Type ofWireName(String name) {
			for (Type type : values()) {
				if (type.wireName().equals(name)) {
					return type;
				}
			}
			return null;
		}

	}

	/**
	 * Return this event with the version Redis gave it.
	 * @param version the version
	 * @return the event
	 */
	FleetEvent withVersion(long version) {
		return new FleetEvent(version, this.instance, this.provider, this.type, this.duration, this.detail);
	}

	/**
	 * Write the pub/sub message of this event.
	 * @param epoch the epoch of the Redis state
	 * @return the message
	 */
	String toMessage(String epoch) {
		return String.join("|", FORMAT, epoch, Long.toString(this.version), this.instance, this.provider,
				this.type.wireName(), Long.toString(this.duration.toMillis()), this.detail);
	}

	/**
	 * Read a pub/sub message.
	 * @param message the message
	 * @return the epoch and the event, or {@code null} if the message is malformed
	 */
	static @Nullable Received fromMessage(String message) {
		String[] parts = message.split("\\|", -1);
		if ((parts.length != 7 && parts.length != 8) || !FORMAT.equals(parts[0]) || !NAME.matcher(parts[1]).matches()) {
			return null;
		}
		FleetEvent event = parse(parts[2], parts[3], parts[4], parts[5], parts[6], (parts.length == 8) ? parts[7] : "");
		return (event != null) ? new Received(parts[1], event) : null;
	}

	/**
	 * Read the value of a provider's key in Redis, written by {@code publish}: the version,
	 * instance and type; the duration is the key's remaining time to live.
	 * @param provider the provider whose key it is
	 * @param value the value
	 * @param remainingMillis the key's remaining time to live in milliseconds (negative
	 * without one)
	 * @return the event, or {@code null} if the value is malformed
	 */
	static @Nullable FleetEvent fromValue(String provider, String value, long remainingMillis) {
		String[] parts = value.split("\\|", -1);
		if ((parts.length != 4 && parts.length != 5) || !FORMAT.equals(parts[0])) {
			return null;
		}
		return parse(parts[1], parts[2], provider, parts[3], Long.toString(Math.max(remainingMillis, 0)),
				(parts.length == 5) ? parts[4] : "");
	}

	private static @Nullable FleetEvent parse(String version, String instance, String provider, String type,
			String durationMillis, String detail) {
		Type parsedType = Type.ofWireName(type);
		if (parsedType == null || !NAME.matcher(instance).matches() || !NAME.matcher(provider).matches()
				|| !DETAIL.matcher(detail).matches()) {
			return null;
		}
		try {
			long parsedVersion = Long.parseLong(version);
			long millis = Long.parseLong(durationMillis);
			if (parsedVersion <= 0 || millis < 0) {
				return null;
			}
			return new FleetEvent(parsedVersion, instance, provider, parsedType, Duration.ofMillis(millis), detail);
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/**
	 * An event read from a pub/sub message, with the epoch of the Redis state it was
	 * published in.
	 *
	 * @param epoch the epoch
	 * @param event the event
	 */
	record Received(String epoch, FleetEvent event) {
	}

}
