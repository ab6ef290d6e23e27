package dev.resilientai.failover;

import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * What the caller said about one request that the provider models must not see: its data
 * class. Carried from the {@code ChatClient} advisor chain to the failover model on the
 * calling thread.
 *
 * @param dataClass the data class the caller named, or {@code null} for the default
 */
public record RoutingContext(@Nullable String dataClass) {

	/** A request that named nothing. */
	public static final RoutingContext DEFAULT = new RoutingContext(null);

	private static final ThreadLocal<@Nullable RoutingContext> CURRENT = new ThreadLocal<>();

	/**
	 * Return the context of the request running on this thread.
	 * @return the current context, {@link #DEFAULT} outside a request
	 */
	public static RoutingContext current() {
		RoutingContext context = CURRENT.get();
		return (context != null) ? context : DEFAULT;
	}

	/**
	 * Run an action with this context as the current one.
	 * @param <T> the result type
	 * @param action the action
	 * @return the action's result
	 */
	public <T> T apply(Supplier<T> action) {
		RoutingContext previous = CURRENT.get();
		CURRENT.set(this);
		try {
			return action.get();
		}
		finally {
			if (previous != null) {
				CURRENT.set(previous);
			}
			else {
				CURRENT.remove();
			}
		}
	}

}
