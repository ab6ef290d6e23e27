package dev.resilientai.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * Where the fleet's shared state lives: one key per provider and {@link FleetEvent.Slot},
 * and a channel that tells every instance of each change at once. Every method may block
 * and throw on trouble; {@link FleetSync} calls them on its own thread only.
 */
public interface FleetChannel extends AutoCloseable {

	/**
	 * Publish a change: give it the next fleet-wide version, write its provider's key (or
	 * delete it when {@code keyTtl} is zero) and tell every instance, at once.
	 * @param event the change
	 * @param keyTtl how long the key lives, or {@link Duration#ZERO} to delete it
	 * @return the version given to the change
	 */
	long publish(FleetEvent event, Duration keyTtl);

	/**
	 * Read the shared state of the given providers, in one round trip.
	 * @param providers the providers' names
	 * @return the state
	 */
	Snapshot read(List<String> providers);

	/**
	 * Extend the life of a provider's key if it still holds the given value.
	 * @param provider the provider
	 * @param slot the key's slot
	 * @param value the value the key must still hold
	 * @param ttl its new time to live
	 */
	void renew(String provider, FleetEvent.Slot slot, String value, Duration ttl);

	/**
	 * Receive every change published from now on, on a thread of the channel's own; a
	 * second call replaces the first subscription.
	 * @param messages the receiver of each raw message
	 */
	void subscribe(Consumer<String> messages);

	/**
	 * Whether a failure of one of this channel's methods means the store could not be reached
	 * (as opposed to a refusal of a command it received).
	 * @param failure the failure
	 * @return {@code true} for connection trouble
	 */
	boolean isConnectionFailure(RuntimeException failure);

	@Override
	void close();

	/**
	 * The shared state read at one moment.
	 *
	 * @param epoch the epoch of the stored state: it changes when the store loses its state
	 * (a restart without persistence, a flush)
	 * @param counter the fleet's version counter: every stored version is at most this, and
	 * a counter that went back means the store lost state (a restore from an older snapshot)
	 * @param values per provider, per slot, the stored event (version, instance and type)
	 * and its remaining time to live; absent when the key is absent
	 */
	record Snapshot(String epoch, long counter, Map<String, Map<FleetEvent.Slot, Stored>> values) {
	}

	/**
	 * A stored value and its remaining time to live.
	 *
	 * @param value the value as stored
	 * @param remaining the remaining time to live, or {@code null} without one
	 */
	record Stored(String value, @Nullable Duration remaining) {
	}

}
