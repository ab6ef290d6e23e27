package dev.resilientai.fleet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

/**
 * Shares this instance's provider state changes with the other instances of the application
 * and applies theirs to the local state: <em>shared events, local decisions</em>. A breaker
 * that opens (and for how long), a breaker forced open or closed, the kill switch and
 * {@code Retry-After} rests are published through a {@link FleetChannel}; sliding windows are
 * not. Remote changes arrive at once over the channel's subscription, and a periodic re-read
 * of the stored state catches anything missed and brings instances started later up to date.
 * <p>
 * Requests never wait on the channel: they read local state only, and a local change is
 * handed to this class's own thread. Trouble with the channel never fails a request: the
 * instance goes on with its local state, logs one WARN per outage and shares again once the
 * channel is back, republishing its own changes that still hold.
 * <p>
 * Remote opens and rests are capped by the local maximum, and a remote open lasts longer than
 * on the instance that opened it, by between half and all of the recovery jitter at random,
 * so that when a shared open ends the instance that opened it probes first and tells the
 * others whether the provider is back.
 */
public class FleetSync implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(FleetSync.class);

	/** How much longer than a probe's attempt timeout the others hold their opens for it. */
	private static final Duration PROBE_MARGIN = Duration.ofMillis(500);

	private final FleetChannel channel;

	private final String instanceId;

	private final Map<String, ProviderView> views = new LinkedHashMap<>();

	private final List<String> providerNames;

	private final Settings settings;

	private final Clock clock;

	/**
	 * The instance whose change this thread applies, if it applies one: the change is not
	 * sent back, and logs say where it came from.
	 */
	private static final ThreadLocal<@Nullable String> applying = new ThreadLocal<>();

	private final Set<String> malformedSeen = ConcurrentHashMap.newKeySet();

	private final Map<String, LongAdder> published = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> applied = new ConcurrentHashMap<>();

	private final AtomicLong outages = new AtomicLong();

	private volatile ScheduledExecutorService executor;

	private volatile Status status = Status.STARTING;

	private volatile @Nullable Instant statusSince;

	private volatile @Nullable Instant lastSync;

	private @Nullable String epoch;

	private boolean subscribed;

	private volatile boolean running;

	/**
	 * Create the fleet sync of the given providers.
	 * @param providers the providers (their names are their keys in the fleet)
	 * @param channel where the shared state lives
	 * @param instanceId this instance's id (letters, digits, {@code .}, {@code _}, {@code -})
	 * @param settings the timings
	 * @param clock the clock
	 */
	public FleetSync(List<Provider> providers, FleetChannel channel, String instanceId, Settings settings,
			Clock clock) {
		Assert.isTrue(FleetEvent.NAME.matcher(instanceId).matches(),
				() -> "'instanceId' must be 1 to 64 letters, digits, '.', '_' or '-', not '" + instanceId + "'");
		this.channel = channel;
		this.instanceId = instanceId;
		this.settings = settings;
		this.clock = clock;
		for (Provider provider : providers) {
			this.views.put(provider.getName(), new ProviderView(provider));
		}
		this.providerNames = List.copyOf(this.views.keySet());
		this.executor = newExecutor();
		for (ProviderView view : this.views.values()) {
			view.provider.addListener(new Provider.Listener() {

				@Override
				public void enabledChanged(Provider provider, boolean enabled) {
					local(view, enabled ? FleetEvent.Type.ENABLED : FleetEvent.Type.DISABLED, Duration.ZERO);
				}

				@Override
				public void restingUntil(Provider provider, Instant until) {
					local(view, FleetEvent.Type.RESTING, Duration.between(FleetSync.this.clock.instant(), until));
				}

			});
			view.provider.getCircuitBreaker().getEventPublisher().onStateTransition((event) -> transition(view, event));
		}
	}

	private static ScheduledExecutorService newExecutor() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "resilient-ai-fleet");
			thread.setDaemon(true);
			return thread;
		});
		executor.setRemoveOnCancelPolicy(true);
		return executor;
	}

	// ---------------------------------------------------------------------------------
	// Local changes: on the thread that makes them, handed to the fleet thread

	private void transition(ProviderView view, CircuitBreakerOnStateTransitionEvent event) {
		if ((applying.get() != null)) {
			return;
		}
		CircuitBreaker.StateTransition transition = event.getStateTransition();
		State from = transition.getFromState();
		State to = transition.getToState();
		if (to == State.OPEN) {
			int attempts = (from == State.HALF_OPEN) ? view.openAttempts.incrementAndGet() : 1;
			view.openAttempts.set(attempts);
			CircuitBreaker breaker = view.provider.getCircuitBreaker();
			long waitMillis = breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(attempts);
			local(view, FleetEvent.Type.OPEN, Duration.ofMillis(waitMillis));
		}
		else if (to == State.HALF_OPEN && from == State.OPEN) {
			// a probe is under way: the others wait for its word rather than probe too
			local(view, FleetEvent.Type.PROBING, view.provider.getTimeout().plus(PROBE_MARGIN));
		}
		else if (to == State.FORCED_OPEN) {
			local(view, FleetEvent.Type.FORCED_OPEN, Duration.ZERO);
		}
		else if (to == State.CLOSED && from == State.HALF_OPEN) {
			view.openAttempts.set(0);
			local(view, FleetEvent.Type.RECOVERED, Duration.ZERO);
		}
		else if (to == State.CLOSED && (from == State.OPEN || from == State.FORCED_OPEN)) {
			view.openAttempts.set(0);
			local(view, FleetEvent.Type.CLOSED, Duration.ZERO);
		}
	}

	private void local(ProviderView view, FleetEvent.Type type, Duration duration) {
		if ((applying.get() != null) || duration.isNegative()) {
			return;
		}
		Instant expires = switch (type) {
			case OPEN, RESTING, PROBING -> this.clock.instant().plus(duration);
			default -> null;
		};
		synchronized (view) {
			view.local.put(type.slot(), new LocalChange(type, expires, duration));
			view.pending.add(type.slot());
		}
		if (type.slot() == FleetEvent.Slot.SWITCH) {
			view.disabledByFleet = false;
		}
		else if (type.slot() == FleetEvent.Slot.BREAKER) {
			view.forcedByFleet = false;
		}
		view.provider.setFleetOrigin(null);
		execute(this::flush);
	}

	private void execute(Runnable task) {
		if (!this.running) {
			return;
		}
		try {
			this.executor.execute(task);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// stopping
		}
	}

	// ---------------------------------------------------------------------------------
	// On the fleet thread

	/** Publish the local changes not published yet; on trouble, keep them for later. */
	private void flush() {
		for (ProviderView view : this.views.values()) {
			for (FleetEvent.Slot slot : FleetEvent.Slot.values()) {
				LocalChange change;
				synchronized (view) {
					if (!view.pending.contains(slot)) {
						continue;
					}
					change = view.local.get(slot);
					view.pending.remove(slot);
				}
				if (change == null || change.expired(this.clock)) {
					continue;
				}
				Duration remaining = change.remaining(this.clock);
				FleetEvent event = new FleetEvent(0, this.instanceId, view.provider.getName(), change.type(), remaining);
				try {
					long version = this.channel.publish(event, keyTtl(change.type(), remaining));
					view.appliedVersion.merge(slot, version, Math::max);
					count(this.published, event);
					connected();
				}
				catch (RuntimeException ex) {
					synchronized (view) {
						if (view.local.get(slot) == change) {
							view.pending.add(slot);
						}
					}
					outage(ex);
					return;
				}
			}
		}
	}

	private Duration keyTtl(FleetEvent.Type type, Duration remaining) {
		return switch (type) {
			case OPEN, RESTING, PROBING -> remaining;
			case FORCED_OPEN, DISABLED -> this.settings.stateTtl();
			case CLOSED, RECOVERED, ENABLED -> Duration.ZERO;
		};
	}

	/** The periodic re-read: catch what the subscription missed, and (re)connect. */
	private void refresh() {
		FleetChannel.Snapshot snapshot;
		try {
			if (!this.subscribed) {
				this.channel.subscribe((message) -> execute(() -> received(message)));
				this.subscribed = true;
			}
			snapshot = this.channel.read(this.providerNames);
		}
		catch (RuntimeException ex) {
			outage(ex);
			return;
		}
		boolean resumed = connected();
		if (this.epoch != null && !this.epoch.equals(snapshot.epoch())) {
			logger.info("Fleet state in Redis was lost (Redis restarted or was flushed); republishing this "
					+ "instance's provider state");
			this.views.values().forEach((view) -> view.appliedVersion.clear());
			republishLocal();
		}
		else if (resumed) {
			republishLocal();
		}
		this.epoch = snapshot.epoch();
		this.lastSync = this.clock.instant();
		for (ProviderView view : this.views.values()) {
			Map<FleetEvent.Slot, FleetChannel.Stored> stored = snapshot.values().getOrDefault(view.provider.getName(),
					Map.of());
			for (FleetEvent.Slot slot : FleetEvent.Slot.values()) {
				FleetChannel.Stored value = stored.get(slot);
				if (value != null) {
					long remaining = (value.remaining() != null) ? value.remaining().toMillis() : 0;
					FleetEvent event = FleetEvent.fromValue(view.provider.getName(), value.value(), remaining);
					if (event == null || event.type().slot() != slot) {
						malformed("key of provider '" + view.provider.getName() + "'", value.value());
					}
					else {
						offer(view, event);
						renewIfOwn(view, event, value);
					}
				}
				else {
					cleared(view, slot);
				}
			}
		}
		flush();
	}

	/**
	 * Keep this instance's own kill switch or forced state alive in Redis while it holds:
	 * it expires a state TTL after the instance stops.
	 */
	private void renewIfOwn(ProviderView view, FleetEvent event, FleetChannel.Stored stored) {
		if (!event.instance().equals(this.instanceId)
				|| (event.type() != FleetEvent.Type.DISABLED && event.type() != FleetEvent.Type.FORCED_OPEN)
				|| stored.remaining() == null
				|| stored.remaining().compareTo(this.settings.stateTtl().dividedBy(2)) > 0) {
			return;
		}
		LocalChange change;
		synchronized (view) {
			change = view.local.get(event.type().slot());
		}
		if (change != null && change.type() == event.type()) {
			this.channel.renew(view.provider.getName(), event.type().slot(), stored.value(), this.settings.stateTtl());
		}
	}

	private void republishLocal() {
		for (ProviderView view : this.views.values()) {
			synchronized (view) {
				for (Map.Entry<FleetEvent.Slot, LocalChange> entry : view.local.entrySet()) {
					if (!entry.getValue().expired(this.clock) && entry.getValue().lasting()) {
						view.pending.add(entry.getKey());
					}
				}
			}
		}
	}

	private void received(String message) {
		FleetEvent.Received received = FleetEvent.fromMessage(message);
		if (received == null) {
			malformed("message", message);
			return;
		}
		FleetEvent event = received.event();
		ProviderView view = this.views.get(event.provider());
		if (view == null || event.instance().equals(this.instanceId)) {
			return;
		}
		if (this.epoch != null && !this.epoch.equals(received.epoch())) {
			// Redis lost its state since the last read: the re-read sorts it out
			refresh();
			return;
		}
		offer(view, event);
	}

	/** Apply a remote change unless this instance has applied or made a later one. */
	private void offer(ProviderView view, FleetEvent event) {
		FleetEvent.Slot slot = event.type().slot();
		long known = view.appliedVersion.getOrDefault(slot, 0L);
		if (event.version() <= known) {
			return;
		}
		view.appliedVersion.put(slot, event.version());
		if (event.instance().equals(this.instanceId)) {
			return;
		}
		apply(view, event);
	}

	/** A key is gone: undo a lasting state that came from the fleet with it. */
	private void cleared(ProviderView view, FleetEvent.Slot slot) {
		if (slot == FleetEvent.Slot.SWITCH && view.disabledByFleet) {
			apply(view, new FleetEvent(0, "fleet", view.provider.getName(), FleetEvent.Type.ENABLED, Duration.ZERO));
		}
		else if (slot == FleetEvent.Slot.BREAKER && view.forcedByFleet) {
			apply(view, new FleetEvent(0, "fleet", view.provider.getName(), FleetEvent.Type.CLOSED, Duration.ZERO));
		}
	}

	private void apply(ProviderView view, FleetEvent event) {
		Provider provider = view.provider;
		CircuitBreaker breaker = provider.getCircuitBreaker();
		Instant now = this.clock.instant();
		applying.set(event.instance());
		try {
			switch (event.type()) {
				case OPEN -> {
					State state = breaker.getState();
					if (state == State.CLOSED || state == State.HALF_OPEN || state == State.OPEN) {
						breaker.transitionToOpenStateUntil(now.plus(capped(event.duration())).plus(jitter()));
					}
				}
				case PROBING -> {
					// hold an open while another instance's probe runs; never open a closed breaker
					if (breaker.getState() == State.OPEN) {
						breaker.transitionToOpenStateUntil(now.plus(capped(event.duration())).plus(jitter()));
					}
				}
				case FORCED_OPEN -> {
					if (breaker.getState() != State.FORCED_OPEN) {
						breaker.transitionToForcedOpenState();
					}
					view.forcedByFleet = true;
				}
				case CLOSED -> {
					if (breaker.getState() != State.CLOSED) {
						breaker.transitionToClosedState();
					}
					breaker.reset();
					view.forcedByFleet = false;
				}
				case RECOVERED -> {
					State state = breaker.getState();
					if (state == State.OPEN || state == State.HALF_OPEN) {
						breaker.transitionToClosedState();
					}
				}
				case DISABLED -> {
					provider.setEnabled(false);
					view.disabledByFleet = true;
				}
				case ENABLED -> {
					provider.setEnabled(true);
					view.disabledByFleet = false;
				}
				case RESTING -> provider.rateLimitUntil(now.plus(capped(event.duration())));
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Could not apply fleet event " + event.type().wireName() + " of provider '" + provider.getName()
					+ "': " + ex.getMessage());
			return;
		}
		finally {
			applying.remove();
		}
		synchronized (view) {
			// a later change from elsewhere replaces this instance's own: nothing left to republish
			view.local.remove(event.type().slot());
			view.pending.remove(event.type().slot());
		}
		provider.setFleetOrigin(event.instance());
		count(this.applied, event);
	}

	/** Between half and all of the recovery jitter: the opener's head start is at least half. */
	private Duration jitter() {
		long most = this.settings.recoveryJitter().toMillis();
		return Duration.ofMillis(most / 2 + ThreadLocalRandom.current().nextLong(most - most / 2 + 1));
	}

	private Duration capped(Duration duration) {
		return (duration.compareTo(this.settings.maxSharedDuration()) > 0) ? this.settings.maxSharedDuration()
				: duration;
	}

	private boolean connected() {
		if (this.status == Status.CONNECTED) {
			return false;
		}
		boolean wasDown = this.status == Status.UNREACHABLE;
		this.status = Status.CONNECTED;
		this.statusSince = this.clock.instant();
		if (wasDown) {
			logger.info("Fleet sharing resumed: Redis is reachable again");
		}
		return wasDown;
	}

	private void outage(RuntimeException ex) {
		this.subscribed = false;
		if (this.status == Status.UNREACHABLE) {
			return;
		}
		this.status = Status.UNREACHABLE;
		this.statusSince = this.clock.instant();
		this.outages.incrementAndGet();
		logger.warn("Fleet sharing paused: Redis is unreachable (" + ex.getClass().getSimpleName()
				+ "); this instance goes on with its local provider state and shares again when Redis is back");
	}

	private void malformed(String what, String value) {
		if (this.malformedSeen.size() < 100 && this.malformedSeen.add(what + "=" + value)) {
			logger.warn("Ignoring a malformed fleet " + what + " in Redis (length " + value.length() + ")");
		}
	}

	private static void count(Map<String, LongAdder> counters, FleetEvent event) {
		counters.computeIfAbsent(event.provider() + "|" + event.type().wireName(), (key) -> new LongAdder())
			.increment();
	}

	// ---------------------------------------------------------------------------------
	// Lifecycle and status

	@Override
	public void start() {
		if (this.running) {
			return;
		}
		if (this.executor.isShutdown()) {
			this.executor = newExecutor();
		}
		this.running = true;
		this.statusSince = this.clock.instant();
		this.executor.scheduleWithFixedDelay(this::safeRefresh, 0, this.settings.refreshInterval().toMillis(),
				TimeUnit.MILLISECONDS);
	}

	private void safeRefresh() {
		try {
			refresh();
		}
		catch (RuntimeException ex) {
			logger.warn("Fleet refresh failed: " + ex.getClass().getSimpleName());
		}
	}

	@Override
	public void stop() {
		this.running = false;
		this.executor.shutdownNow();
		try {
			this.executor.awaitTermination(2, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.channel.close();
		this.subscribed = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/**
	 * Return this instance's fleet status.
	 * @return the status
	 */
	public FleetStatus status() {
		Instant since = this.statusSince;
		Instant sync = this.lastSync;
		return new FleetStatus(this.instanceId, this.status.name().toLowerCase(java.util.Locale.ROOT),
				(since != null) ? since.toString() : null, (sync != null) ? sync.toString() : null,
				this.outages.get());
	}

	/**
	 * Return the fleet instance whose change the current thread is applying, if any: state
	 * changes seen on this thread meanwhile came from the fleet.
	 * @return the instance id, or {@code null}
	 */
	public static @Nullable String applyingFrom() {
		return applying.get();
	}

	/**
	 * Return this instance's id in the fleet.
	 * @return the id
	 */
	public String getInstanceId() {
		return this.instanceId;
	}

	/**
	 * Return how many changes this instance published, per provider and type.
	 * @return counts keyed by {@code provider|type}
	 */
	public Map<String, Long> publishedCounts() {
		return snapshot(this.published);
	}

	/**
	 * Return how many remote changes this instance applied, per provider and type.
	 * @return counts keyed by {@code provider|type}
	 */
	public Map<String, Long> appliedCounts() {
		return snapshot(this.applied);
	}

	/**
	 * Return how many times Redis became unreachable.
	 * @return the number of outages
	 */
	public long outages() {
		return this.outages.get();
	}

	/**
	 * Whether Redis answered the last exchange.
	 * @return {@code true} when connected
	 */
	public boolean isConnected() {
		return this.status == Status.CONNECTED;
	}

	private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
		Map<String, Long> counts = new LinkedHashMap<>();
		counters.forEach((key, adder) -> counts.put(key, adder.sum()));
		return counts;
	}

	private enum Status {

		STARTING, CONNECTED, UNREACHABLE

	}

	/**
	 * The fleet's timings.
	 *
	 * @param refreshInterval how often the stored state is re-read (the backstop of the
	 * subscription, and how soon sharing resumes after an outage)
	 * @param stateTtl how long a kill switch or a forced breaker state lives in Redis without
	 * being set again
	 * @param recoveryJitter the most a remote open lasts longer than on the instance that
	 * opened it, so the fleet does not probe at once
	 * @param maxSharedDuration the longest remote open or rest applied
	 */
	public record Settings(Duration refreshInterval, Duration stateTtl, Duration recoveryJitter,
			Duration maxSharedDuration) {

		public Settings {
			Assert.isTrue(refreshInterval.compareTo(Duration.ZERO) > 0, "'refreshInterval' must be positive");
			Assert.isTrue(stateTtl.compareTo(Duration.ZERO) > 0, "'stateTtl' must be positive");
			Assert.isTrue(!recoveryJitter.isNegative(), "'recoveryJitter' must not be negative");
			Assert.isTrue(maxSharedDuration.compareTo(Duration.ZERO) > 0, "'maxSharedDuration' must be positive");
		}

	}

	/**
	 * One instance's fleet status, for health and the endpoint.
	 *
	 * @param instance this instance's id
	 * @param state {@code starting}, {@code connected} or {@code unreachable}
	 * @param since when it entered that state
	 * @param lastSync when the shared state was last read
	 * @param outages how many times Redis became unreachable
	 */
	public record FleetStatus(String instance, String state, @Nullable String since, @Nullable String lastSync,
			long outages) {
	}

	/** A change made on this instance, kept to publish (again) while it holds. */
	private record LocalChange(FleetEvent.Type type, @Nullable Instant expires, Duration duration) {

		boolean expired(Clock clock) {
			return this.expires != null && !clock.instant().isBefore(this.expires);
		}

		Duration remaining(Clock clock) {
			return (this.expires != null) ? Duration.between(clock.instant(), this.expires) : Duration.ZERO;
		}

		/** Whether the change is a state that holds (worth republishing), not a transition. */
		boolean lasting() {
			return this.type == FleetEvent.Type.OPEN || this.type == FleetEvent.Type.RESTING
					|| this.type == FleetEvent.Type.FORCED_OPEN || this.type == FleetEvent.Type.DISABLED;
		}

	}

	private static final class ProviderView {

		final Provider provider;

		/** Per slot, the version of the latest change applied or made here. */
		final Map<FleetEvent.Slot, Long> appliedVersion = new ConcurrentHashMap<>();

		final Map<FleetEvent.Slot, LocalChange> local = new EnumMap<>(FleetEvent.Slot.class);

		final Set<FleetEvent.Slot> pending = java.util.EnumSet.noneOf(FleetEvent.Slot.class);

		final java.util.concurrent.atomic.AtomicInteger openAttempts = new java.util.concurrent.atomic.AtomicInteger();

		volatile boolean disabledByFleet;

		volatile boolean forcedByFleet;

		ProviderView(Provider provider) {
			this.provider = provider;
		}

	}

}
