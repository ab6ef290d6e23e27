package dev.resilientai.failover;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.util.context.ContextView;

/**
 * What is known about one request's sensitivity before the failover model resolves its data
 * class: the classes named for it (by the request's options, by the {@code ChatClient}'s
 * advisor param, or inherited from an outer request it runs inside), and whether it came
 * through a {@code ChatClient} whose advisor params nothing could read. The failover model
 * routes on the most sensitive class named; classes only add up, so an inner request can
 * raise its class, never lower it.
 * <p>
 * A context is current on a thread while a {@code ChatClient} request or a provider attempt
 * runs there ({@link #apply(Supplier)}), and streams carry theirs in the Reactor context under
 * {@code RoutingContext.class}: that is how nested requests inherit the outer one's class.
 *
 * @param dataClasses the classes named
 * @param advisorParamsUnread whether the request came through a {@code ChatClient} without
 * resilient-ai's routing advisor, so that a class set as an advisor param could not be read
 */
public record RoutingContext(Set<String> dataClasses, boolean advisorParamsUnread) {

	/** A request that named nothing. */
	public static final RoutingContext DEFAULT = new RoutingContext(Set.of(), false);

	private static final ThreadLocal<@Nullable RoutingContext> CURRENT = new ThreadLocal<>();

	/** Contexts of one class, shared: a deployment knows a handful of classes. */
	private static final Map<String, RoutingContext> SINGLE_CLASS = new ConcurrentHashMap<>();

	private static final int MAX_CACHED = 64;

	public RoutingContext {
		dataClasses = Set.copyOf(dataClasses);
	}

	/**
	 * A context naming one class, or none.
	 * @param dataClass the class, or {@code null}
	 * @return the context
	 */
	public static RoutingContext of(@Nullable String dataClass) {
		if (dataClass == null) {
			return DEFAULT;
		}
		RoutingContext cached = SINGLE_CLASS.get(dataClass);
		if (cached != null) {
			return cached;
		}
		RoutingContext context = new RoutingContext(Set.of(dataClass), false);
		if (SINGLE_CLASS.size() < MAX_CACHED) {
			SINGLE_CLASS.putIfAbsent(dataClass, context);
		}
		return context;
	}

	/**
	 * A context naming the given classes, shared when it is a single class.
	 * @param dataClasses the classes
	 * @return the context
	 */
	public static RoutingContext of(Set<String> dataClasses) {
		if (dataClasses.isEmpty()) {
			return DEFAULT;
		}
		if (dataClasses.size() == 1) {
			return of(dataClasses.iterator().next());
		}
		return new RoutingContext(dataClasses, false);
	}

	/**
	 * Return the context current on this thread.
	 * @return the current context, {@link #DEFAULT} outside any request
	 */
	public static RoutingContext current() {
		RoutingContext context = CURRENT.get();
		return (context != null) ? context : DEFAULT;
	}

	/**
	 * Return the context a Reactor context carries.
	 * @param context the Reactor context
	 * @return its routing context, {@link #DEFAULT} if it carries none
	 */
	public static RoutingContext from(ContextView context) {
		return context.getOrDefault(RoutingContext.class, DEFAULT);
	}

	/**
	 * Combine with another context: every class either names.
	 * @param other the other context
	 * @return the combined context
	 */
	public RoutingContext with(RoutingContext other) {
		boolean unread = this.advisorParamsUnread || other.advisorParamsUnread;
		if (this.dataClasses.containsAll(other.dataClasses) && unread == this.advisorParamsUnread) {
			return this;
		}
		if (other.dataClasses.containsAll(this.dataClasses) && unread == other.advisorParamsUnread) {
			return other;
		}
		Set<String> union = new LinkedHashSet<>(this.dataClasses);
		union.addAll(other.dataClasses);
		return new RoutingContext(union, unread);
	}

	/**
	 * Let a stream's subscription run with this context current on the subscribing thread,
	 * and carry it in the stream's Reactor context, so that requests the stream's source
	 * makes inherit its classes.
	 * @param <T> the element type
	 * @param source the stream
	 * @return the stream within this context
	 */
	public <T> Flux<T> within(Flux<T> source) {
		if (this.dataClasses.isEmpty()) {
			return source;
		}
		Flux<T> scoped = Flux.from((subscriber) -> apply(() -> {
			source.subscribe(subscriber);
			return null;
		}));
		return scoped.contextWrite((context) -> context.put(RoutingContext.class, from(context).with(this)));
	}

	/**
	 * Make this context, combined with the one already current, the current one until
	 * {@link #restore(RoutingContext)}: {@code previous = context.enter(); try { ... } finally
	 * { RoutingContext.restore(previous); }}.
	 * @return the context to restore
	 */
	public @Nullable RoutingContext enter() {
		RoutingContext previous = CURRENT.get();
		if (!this.dataClasses.isEmpty()) {
			// only the classes are inherited, never this request's own unread-params flag
			RoutingContext inherited = this.advisorParamsUnread ? new RoutingContext(this.dataClasses, false) : this;
			CURRENT.set((previous != null) ? previous.with(inherited) : inherited);
		}
		return previous;
	}

	/**
	 * Restore the context current before {@link #enter()}.
	 * @param previous what {@code enter()} returned
	 */
	public static void restore(@Nullable RoutingContext previous) {
		// set, not removed: the thread's next request reuses the entry
		CURRENT.set(previous);
	}

	/**
	 * Run an action with this context, combined with the one already current, as the
	 * current one: requests the action makes on this thread inherit its classes.
	 * @param <T> the result type
	 * @param action the action
	 * @return the action's result
	 */
	public <T> T apply(Supplier<T> action) {
		RoutingContext previous = enter();
		try {
			return action.get();
		}
		finally {
			restore(previous);
		}
	}

}
