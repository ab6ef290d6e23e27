package dev.resilientai.fleet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.resilientai.failover.Drill;
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
 * that opens (and for how long), goes half-open to probe, recovers, is forced open or closed,
 * the kill switch and {@code Retry-After} rests are published through a
 * {@link FleetChannel}; sliding windows are not. Remote changes arrive at once over the
 * channel's subscription, and a periodic re-read of the stored state catches anything missed
 * and brings instances started later up to date.
 * <p>
 * Requests never wait on the channel: they read local state only, and a local change is
 * handed to this class's own thread, whose round trips are bounded by the command timeout.
 * Trouble with the channel never fails a request: the instance goes on with its local state,
 * logs one WARN per outage and shares again once the channel is back. Changes made meanwhile
 * are published then, unless the fleet changed the same state in the meantime: the fleet's
 * change wins.
 * <p>
 * Remote opens are capped by the local breaker's longest open and remote rests by the local
 * maximum; a remote open lasts longer than on the instance that opened it, by between half
 * and all of the recovery jitter, so that the opener probes first and tells the others
 * whether the provider is back, and while its probe runs the others hold their opens.
 */
public class FleetSync implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(FleetSync.class);

	/** How much longer than a probe's attempt timeout the others hold their opens for it. */
	private static final Duration PROBE_MARGIN = Duration.ofMillis(500);

	/**
	 * The instance whose change this thread applies, if it applies one: the change is not
	 * sent back, and logs say where it came from.
	 */
	private static final ThreadLocal<@Nullable String> applying = new ThreadLocal<>();

	private final FleetChannel channel;

	private final String instanceId;

	private final Map<String, ProviderView> views = new LinkedHashMap<>();

	private final List<String> providerNames;

	/** Whether a drill from the fleet was refused here (drills disabled): warned once. */
	private final java.util.concurrent.atomic.AtomicBoolean drillsRefused = new java.util.concurrent.atomic.AtomicBoolean();

	private final Settings settings;

	private final Clock clock;

	private final Set<String> malformedSeen = ConcurrentHashMap.newKeySet();

	private final Map<String, LongAdder> published = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> applied = new ConcurrentHashMap<>();

	private final AtomicLong outages = new AtomicLong();

	private volatile ScheduledExecutorService executor;

	/** Runs the channel's round trips, so the fleet thread can bound them. */
	private volatile ExecutorService io;

	private @Nullable Future<?> pendingIo;

	private volatile Status status = Status.STARTING;

	private volatile @Nullable Instant statusSince;

	private volatile @Nullable Instant lastSync;

	private @Nullable String epoch;

	/** The highest version seen in the fleet: a counter below it means Redis lost state. */
	private long highestVersion;

	private boolean subscribed;

	/** Set by an outage: changes are published only after a re-read has settled conflicts. */
	private boolean resync = true;

	private volatile boolean running;

	/**
	 * Create the fleet sync of the given providers.
	 * @param providers the providers (their names are their keys in the fleet)
	 * @param channel where the shared state lives
	 * @param instanceId this instance's id, unique in the fleet (letters, digits, {@code .},
	 * {@code _}, {@code -})
	 * @param settings the timings
	 * @param clock the clock
	 */
	public FleetSync(List<Provider> providers, FleetChannel channel, String instanceId, Settings settings,
			Clock clock) {
		Assert.isTrue(FleetEvent.NAME.matcher(instanceId).matches(),
				() -> "'instanceId' must be letters, digits, '.', '_' or '-', not '" + instanceId + "'");
		this.channel = channel;
		this.instanceId = instanceId;
		this.settings = settings;
		this.clock = clock;
		for (Provider provider : providers) {
			Assert.isTrue(FleetEvent.NAME.matcher(provider.getName()).matches(),
					() -> "Provider name '" + provider.getName() + "' is too long to share (at most 200 characters)");
			this.views.put(provider.getName(), new ProviderView(provider));
		}
		this.providerNames = List.copyOf(this.views.keySet());
		this.executor = newExecutor();
		this.io = newIo();
		for (ProviderView view : this.views.values()) {
			view.provider.addListener(new Provider.Listener() {

				@Override
				public void enabledChanged(Provider provider, boolean enabled) {
					view.configuredOff = false;
					local(view, enabled ? FleetEvent.Type.ENABLED : FleetEvent.Type.DISABLED, Duration.ZERO);
				}

				@Override
				public void restingUntil(Provider provider, Instant until) {
					local(view, FleetEvent.Type.RESTING, Duration.between(FleetSync.this.clock.instant(), until));
				}

				@Override
				public void drillChanged(Provider provider, @Nullable Drill previous, @Nullable Drill drill) {
					Instant now = FleetSync.this.clock.instant();
					if (drill != null) {
						local(view, FleetEvent.Type.DRILL_STARTED, Duration.between(now, drill.until()),
								drillDetail(drill));
					}
					else if (previous != null && previous.isActive(now)) {
						// stopped before its end (one that ends by itself ends on every instance)
						local(view, FleetEvent.Type.DRILL_STOPPED, Duration.ZERO, "");
					}
				}

			});
			view.provider.getCircuitBreaker().getEventPublisher().onStateTransition((event) -> transition(view, event));
		}
	}

	private static ScheduledExecutorService newExecutor() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, daemon("resilient-ai-fleet"));
		executor.setRemoveOnCancelPolicy(true);
		return executor;
	}

	private static ExecutorService newIo() {
		return Executors.newSingleThreadExecutor(daemon("resilient-ai-fleet-io"));
	}

	private static java.util.concurrent.ThreadFactory daemon(String name) {
		return (task) -> {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			return thread;
		};
	}

	// ---------------------------------------------------------------------------------
	// Local changes: on the thread that makes them, handed to the fleet thread

	private void transition(ProviderView view, CircuitBreakerOnStateTransitionEvent event) {
		if (applying.get() != null) {
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
		else if (from == State.OPEN || from == State.FORCED_OPEN) {
			// an operator closed it, or left the forced open for Resilience4j's disabled or
			// metrics-only state: the open ends on the fleet too
			view.openAttempts.set(0);
			local(view, FleetEvent.Type.CLOSED, Duration.ZERO);
		}
	}

	private void local(ProviderView view, FleetEvent.Type type, Duration duration) {
		local(view, type, duration, "");
	}

	private void local(ProviderView view, FleetEvent.Type type, Duration duration, String detail) {
		if (applying.get() != null || duration.isNegative()) {
			return;
		}
		Instant expires = switch (type) {
			case OPEN, RESTING, PROBING, DRILL_STARTED -> this.clock.instant().plus(duration);
			default -> null;
		};
		synchronized (view) {
			view.local.put(type.slot(), new LocalChange(type, expires, detail));
			view.pending.add(type.slot());
			view.origins.remove(type.slot());
		}
		if (type.slot() == FleetEvent.Slot.SWITCH) {
			view.disabledByFleet = false;
		}
		else if (type.slot() == FleetEvent.Slot.BREAKER) {
			view.forcedByFleet = false;
		}
		updateOrigin(view);
		execute(this::flush);
	}

	private void execute(Runnable task) {
		if (!this.running) {
			return;
		}
		try {
			this.executor.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// stopping
		}
	}

	// ---------------------------------------------------------------------------------
	// On the fleet thread

	/** Publish the local changes not published yet; on trouble, keep them for later. */
	private void flush() {
		if (this.resync || this.status != Status.CONNECTED) {
			// after an outage, the next re-read settles what was changed meanwhile first
			return;
		}
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
				FleetEvent event = new FleetEvent(0, this.instanceId, view.provider.getName(), change.type(), remaining,
						change.detail());
				try {
					long version = io(() -> this.channel.publish(event, keyTtl(change.type(), remaining)));
					view.appliedVersion.merge(slot, version, Math::max);
					this.highestVersion = Math.max(this.highestVersion, version);
					count(this.published, event);
				}
				catch (RuntimeException ex) {
					if (isConnectionTrouble(ex)) {
						synchronized (view) {
							if (view.local.get(slot) == change) {
								view.pending.add(slot);
							}
						}
						outage(ex);
						return;
					}
					// Redis answered, but refused the change (a broken counter, say): drop it, once
					warnOnce("publish:" + ex.getClass().getName(), "Fleet sharing could not publish a change of "
							+ "provider '" + view.provider.getName() + "' (" + ex.getClass().getSimpleName()
							+ "); it stays local");
				}
			}
		}
	}

	private Duration keyTtl(FleetEvent.Type type, Duration remaining) {
		return switch (type) {
			case OPEN, RESTING, PROBING, DRILL_STARTED -> remaining;
			// forced states and the kill switch, and the records that end them, live a state TTL
			case FORCED_OPEN, DISABLED, CLOSED, RECOVERED, ENABLED, DRILL_STOPPED -> this.settings.stateTtl();
		};
	}

	/** The periodic re-read: catch what the subscription missed, and (re)connect. */
	private void refresh() {
		FleetChannel.Snapshot snapshot;
		try {
			if (!this.subscribed) {
				io(() -> {
					this.channel.subscribe((message) -> execute(() -> received(message)));
					return null;
				});
				this.subscribed = true;
			}
			snapshot = io(() -> this.channel.read(this.providerNames));
		}
		catch (RuntimeException ex) {
			outage(ex);
			return;
		}
		connected();
		boolean lost = (this.epoch != null && !this.epoch.equals(snapshot.epoch()))
				|| snapshot.counter() < this.highestVersion;
		if (lost) {
			logger.info("Fleet state in Redis was lost (Redis restarted or was flushed); republishing this "
					+ "instance's provider state");
			this.highestVersion = snapshot.counter();
			for (ProviderView view : this.views.values()) {
				view.appliedVersion.clear();
				keepLearnedState(view);
			}
			this.resync = true;
		}
		this.epoch = snapshot.epoch();
		this.lastSync = this.clock.instant();
		for (ProviderView view : this.views.values()) {
			Map<FleetEvent.Slot, FleetChannel.Stored> stored = snapshot.values().getOrDefault(view.provider.getName(),
					Map.of());
			for (FleetEvent.Slot slot : FleetEvent.Slot.values()) {
				FleetChannel.Stored value = stored.get(slot);
				FleetEvent event = null;
				if (value != null) {
					long remaining = (value.remaining() != null) ? value.remaining().toMillis() : 0;
					event = FleetEvent.fromValue(view.provider.getName(), value.value(), remaining);
					if (event == null || event.type().slot() != slot || event.version() > snapshot.counter()) {
						malformed("key of provider '" + view.provider.getName() + "'", value.value());
						event = null;
					}
				}
				if (this.resync) {
					settleConflict(view, slot, event);
				}
				if (event != null) {
					offer(view, event);
					renewIfOwn(view, event, value);
				}
				else if (value == null) {
					cleared(view, slot);
				}
			}
			updateOrigin(view);
		}
		if (this.resync) {
			this.resync = false;
			republishLocal();
		}
		flush();
	}

	/**
	 * After an outage: a change this instance made while cut off gives way to a later change
	 * of the same state in the fleet (one it has not seen), and is published otherwise.
	 */
	private void settleConflict(ProviderView view, FleetEvent.Slot slot, @Nullable FleetEvent stored) {
		if (stored == null || stored.version() <= view.appliedVersion.getOrDefault(slot, 0L)
				|| stored.instance().equals(this.instanceId)) {
			return;
		}
		synchronized (view) {
			view.local.remove(slot);
			view.pending.remove(slot);
		}
	}

	/**
	 * Redis lost its state: a kill switch or forced open this instance learned from the
	 * fleet is kept and shared again, as this instance's own.
	 */
	private void keepLearnedState(ProviderView view) {
		synchronized (view) {
			if (view.disabledByFleet && !view.provider.isEnabled()) {
				view.local.put(FleetEvent.Slot.SWITCH, new LocalChange(FleetEvent.Type.DISABLED, null, ""));
			}
			if (view.forcedByFleet && view.provider.getCircuitBreaker().getState() == State.FORCED_OPEN) {
				view.local.put(FleetEvent.Slot.BREAKER, new LocalChange(FleetEvent.Type.FORCED_OPEN, null, ""));
			}
		}
		view.disabledByFleet = false;
		view.forcedByFleet = false;
	}

	/**
	 * Keep this instance's own kill switch or forced state alive in Redis while it holds:
	 * it expires a state TTL after the instance stops.
	 */
	private void renewIfOwn(ProviderView view, FleetEvent event, FleetChannel.@Nullable Stored stored) {
		if (stored == null || !event.instance().equals(this.instanceId)
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
			try {
				io(() -> {
					this.channel.renew(view.provider.getName(), event.type().slot(), stored.value(),
							this.settings.stateTtl());
					return null;
				});
			}
			catch (RuntimeException ex) {
				if (isConnectionTrouble(ex)) {
					outage(ex);
				}
			}
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
		updateOrigin(view);
	}

	/** Apply a remote change unless this instance has applied or made a later one. */
	private void offer(ProviderView view, FleetEvent event) {
		FleetEvent.Slot slot = event.type().slot();
		long known = view.appliedVersion.getOrDefault(slot, 0L);
		if (event.version() <= known) {
			return;
		}
		view.appliedVersion.put(slot, event.version());
		this.highestVersion = Math.max(this.highestVersion, event.version());
		if (event.instance().equals(this.instanceId)) {
			return;
		}
		apply(view, event);
	}

	/** A key is gone (its time ran out): undo a lasting state that came from the fleet with it. */
	private void cleared(ProviderView view, FleetEvent.Slot slot) {
		String origin = view.origins.getOrDefault(slot, "fleet");
		if (slot == FleetEvent.Slot.SWITCH && view.disabledByFleet) {
			apply(view, new FleetEvent(0, origin, view.provider.getName(), FleetEvent.Type.ENABLED, Duration.ZERO));
		}
		else if (slot == FleetEvent.Slot.BREAKER && view.forcedByFleet) {
			apply(view, new FleetEvent(0, origin, view.provider.getName(), FleetEvent.Type.CLOSED, Duration.ZERO));
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
						breaker.transitionToOpenStateUntil(now.plus(cappedOpen(view, event.duration())).plus(jitter()));
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
						breaker.reset();
					}
					view.forcedByFleet = false;
				}
				case RECOVERED -> {
					State state = breaker.getState();
					if (state == State.OPEN || state == State.HALF_OPEN) {
						breaker.transitionToClosedState();
					}
				}
				case DISABLED -> {
					if (provider.isEnabled()) {
						provider.setEnabled(false);
						view.disabledByFleet = true;
					}
				}
				case ENABLED -> {
					// a provider this instance's configuration turned off stays off
					if (!view.configuredOff) {
						provider.setEnabled(true);
					}
					view.disabledByFleet = false;
				}
				case RESTING -> provider.rateLimitUntil(now.plus(capped(event.duration())));
				case DRILL_STARTED -> {
					if (this.settings.maxDrill().isZero()) {
						if (this.drillsRefused.compareAndSet(false, true)) {
							logger.warn("Not applying a drill of provider '" + provider.getName()
									+ "' from fleet instance " + event.instance()
									+ ": resilient-ai.drills.enabled is false on this instance");
						}
						return;
					}
					Drill drill = parseDrill(event, now);
					if (drill == null) {
						malformed("drill of provider '" + provider.getName() + "'", event.detail());
						return;
					}
					provider.setDrill(drill);
				}
				case DRILL_STOPPED -> {
					provider.setDrill(null);
				}
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Could not apply fleet event " + event.type().wireName() + " of provider '" + provider.getName()
					+ "': " + ex.getClass().getSimpleName());
			return;
		}
		finally {
			applying.remove();
		}
		synchronized (view) {
			// a later change from elsewhere replaces this instance's own: nothing left to republish
			view.local.remove(event.type().slot());
			view.pending.remove(event.type().slot());
			view.origins.put(event.type().slot(), event.instance());
		}
		updateOrigin(view);
		count(this.applied, event);
	}

	/**
	 * The provider's state source: the instance whose change is in effect, if a shared change
	 * is (an open or forced breaker, a kill switch, a rest), or none.
	 */
	private void updateOrigin(ProviderView view) {
		Provider provider = view.provider;
		String origin;
		synchronized (view) {
			State state = provider.getCircuitBreaker().getState();
			String breaker = (state != State.CLOSED) ? view.origins.get(FleetEvent.Slot.BREAKER) : null;
			String killSwitch = !provider.isEnabled() ? view.origins.get(FleetEvent.Slot.SWITCH) : null;
			String rest = provider.isRateLimited(this.clock) ? view.origins.get(FleetEvent.Slot.REST) : null;
			origin = (breaker != null) ? breaker : (killSwitch != null) ? killSwitch : rest;
		}
		provider.setFleetOrigin(origin);
	}

	private static String drillDetail(Drill drill) {
		String by = drill.by().replaceAll("[^A-Za-z0-9._:@-]", "_");
		if (by.length() > 100) {
			by = by.substring(0, 100);
		}
		return drill.fault().wireName() + ";" + drill.ratio() + ";" + drill.latency().toMillis() + ";" + by;
	}

	/** A drill from the fleet, its duration capped by this instance's longest drill. */
	private @Nullable Drill parseDrill(FleetEvent event, Instant now) {
		String[] parts = event.detail().split(";", -1);
		if (parts.length != 4) {
			return null;
		}
		Drill.Fault fault = Drill.Fault.of(parts[0]);
		try {
			double ratio = Double.parseDouble(parts[1]);
			long latency = Long.parseLong(parts[2]);
			if (fault == null || !(ratio >= 0 && ratio <= 1) || latency < 0) {
				return null;
			}
			Duration duration = (event.duration().compareTo(this.settings.maxDrill()) > 0) ? this.settings.maxDrill()
					: event.duration();
			return new Drill(fault, ratio, Duration.ofMillis(latency), now.plus(duration),
					parts[3] + " (fleet instance " + event.instance() + ")");
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/** Between half and all of the recovery jitter: the opener's head start is at least half. */
	private Duration jitter() {
		long most = this.settings.recoveryJitter().toMillis();
		return Duration.ofMillis(most / 2 + ThreadLocalRandom.current().nextLong(most - most / 2 + 1));
	}

	/** A remote rest or probe, capped by the local maximum. */
	private Duration capped(Duration duration) {
		return (duration.compareTo(this.settings.maxSharedDuration()) > 0) ? this.settings.maxSharedDuration()
				: duration;
	}

	/** A remote open, capped by the local breaker's longest open (and at least the local maximum). */
	private Duration cappedOpen(ProviderView view, Duration duration) {
		Duration cap = (view.longestOpen.compareTo(this.settings.maxSharedDuration()) > 0) ? view.longestOpen
				: this.settings.maxSharedDuration();
		return (duration.compareTo(cap) > 0) ? cap : duration;
	}

	/**
	 * Run one round trip on the I/O thread, bounded by the command timeout: a stalled Redis is
	 * an outage within it, whatever the connection's own timeout.
	 */
	private <T> T io(Callable<T> call) {
		Future<?> previous = this.pendingIo;
		if (previous != null && !previous.isDone()) {
			throw new FleetTimeoutException();
		}
		Future<T> future;
		try {
			future = this.io.submit(call);
		}
		catch (RejectedExecutionException ex) {
			throw new FleetTimeoutException();
		}
		this.pendingIo = future;
		try {
			return future.get(this.settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			throw new FleetTimeoutException();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new FleetTimeoutException();
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException(ex.getCause());
		}
	}

	private boolean isConnectionTrouble(RuntimeException ex) {
		return ex instanceof FleetTimeoutException || this.channel.isConnectionFailure(ex);
	}

	private void connected() {
		if (this.status == Status.CONNECTED) {
			return;
		}
		boolean wasDown = this.status == Status.UNREACHABLE;
		this.status = Status.CONNECTED;
		this.statusSince = this.clock.instant();
		if (wasDown) {
			logger.info("Fleet sharing resumed: Redis is reachable again");
		}
	}

	private void outage(RuntimeException ex) {
		this.subscribed = false;
		this.resync = true;
		if (!this.running || this.status == Status.UNREACHABLE) {
			// stopping, or already known
			return;
		}
		this.status = Status.UNREACHABLE;
		this.statusSince = this.clock.instant();
		this.outages.incrementAndGet();
		logger.warn("Fleet sharing paused: Redis is unreachable (" + ex.getClass().getSimpleName()
				+ "); this instance goes on with its local provider state and shares again when Redis is back");
	}

	private void malformed(String what, String value) {
		warnOnce(what + "=" + value, "Ignoring a malformed fleet " + what + " in Redis (length " + value.length() + ")");
	}

	private void warnOnce(String key, String message) {
		if (this.malformedSeen.size() < 100 && this.malformedSeen.add(key)) {
			logger.warn(message);
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
			this.io = newIo();
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
			if (this.running) {
				logger.warn("Fleet refresh failed: " + ex.getClass().getSimpleName());
			}
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
		this.io.shutdownNow();
		try {
			this.channel.close();
		}
		catch (RuntimeException ex) {
			// the connection is gone already
		}
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
	 * @param stateTtl how long a kill switch or a forced breaker state lives in Redis once
	 * the instance that set it stops renewing it
	 * @param recoveryJitter how much longer a remote open lasts than on the instance that
	 * opened it: between half and all of this, at random
	 * @param maxSharedDuration the longest remote rest or probe applied (remote opens are
	 * capped by the local breaker's longest open, if longer)
	 * @param commandTimeout the longest wait for one round trip to Redis
	 * @param maxDrill the longest drill from the fleet applied here (this instance's
	 * {@code resilient-ai.drills.max-duration}), or zero if drills are disabled here: then
	 * drills from the fleet are not applied
	 */
	public record Settings(Duration refreshInterval, Duration stateTtl, Duration recoveryJitter,
			Duration maxSharedDuration, Duration commandTimeout, Duration maxDrill) {

		/** The default longest drill ({@code resilient-ai.drills.max-duration}). */
		static final Duration DEFAULT_MAX_DRILL = Duration.ofHours(1);

		public Settings {
			Assert.isTrue(!maxDrill.isNegative(), "'maxDrill' must not be negative");
			Assert.isTrue(refreshInterval.compareTo(Duration.ZERO) > 0, "'refreshInterval' must be positive");
			Assert.isTrue(stateTtl.compareTo(Duration.ZERO) > 0, "'stateTtl' must be positive");
			Assert.isTrue(!recoveryJitter.isNegative(), "'recoveryJitter' must not be negative");
			Assert.isTrue(maxSharedDuration.compareTo(Duration.ZERO) > 0, "'maxSharedDuration' must be positive");
			Assert.isTrue(commandTimeout.compareTo(Duration.ZERO) > 0, "'commandTimeout' must be positive");
		}

		/**
		 * Settings with a command timeout of one second.
		 * @param refreshInterval the re-read interval
		 * @param stateTtl the life of forced states and kill switches in Redis
		 * @param recoveryJitter the most a remote open lasts longer
		 * @param maxSharedDuration the longest remote rest or probe applied
		 */
		public Settings(Duration refreshInterval, Duration stateTtl, Duration recoveryJitter,
				Duration maxSharedDuration) {
			this(refreshInterval, stateTtl, recoveryJitter, maxSharedDuration, Duration.ofSeconds(1));
		}

		/**
		 * Settings that apply drills from the fleet for up to an hour.
		 * @param refreshInterval the re-read interval
		 * @param stateTtl the life of forced states and kill switches in Redis
		 * @param recoveryJitter the most a remote open lasts longer
		 * @param maxSharedDuration the longest remote rest or probe applied
		 * @param commandTimeout the longest wait for one round trip to Redis
		 */
		public Settings(Duration refreshInterval, Duration stateTtl, Duration recoveryJitter,
				Duration maxSharedDuration, Duration commandTimeout) {
			this(refreshInterval, stateTtl, recoveryJitter, maxSharedDuration, commandTimeout, DEFAULT_MAX_DRILL);
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

	/** A round trip to Redis that did not end within the command timeout. */
	private static final class FleetTimeoutException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		FleetTimeoutException() {
			super("Redis did not answer within the fleet's command timeout", null, false, false);
		}

	}

	/** A change made on this instance, kept to publish (again) while it holds. */
	private record LocalChange(FleetEvent.Type type, @Nullable Instant expires, String detail) {

		boolean expired(Clock clock) {
			return this.expires != null && !clock.instant().isBefore(this.expires);
		}

		Duration remaining(Clock clock) {
			return (this.expires != null) ? Duration.between(clock.instant(), this.expires) : Duration.ZERO;
		}

		/** Whether the change is a state that holds (worth republishing), not a transition. */
		boolean lasting() {
			return this.type == FleetEvent.Type.OPEN || this.type == FleetEvent.Type.RESTING
					|| this.type == FleetEvent.Type.FORCED_OPEN || this.type == FleetEvent.Type.DISABLED
					|| this.type == FleetEvent.Type.DRILL_STARTED;
		}

	}

	private static final class ProviderView {

		final Provider provider;

		/** Per slot, the version of the latest change applied or made here. */
		final Map<FleetEvent.Slot, Long> appliedVersion = new ConcurrentHashMap<>();

		/** Guarded by {@code this}. */
		final Map<FleetEvent.Slot, LocalChange> local = new EnumMap<>(FleetEvent.Slot.class);

		/** Guarded by {@code this}. */
		final Set<FleetEvent.Slot> pending = EnumSet.noneOf(FleetEvent.Slot.class);

		/** Guarded by {@code this}: per slot, the instance whose change is in effect. */
		final Map<FleetEvent.Slot, String> origins = new EnumMap<>(FleetEvent.Slot.class);

		final AtomicInteger openAttempts = new AtomicInteger();

		/** The local breaker's longest open: the cap of a remote open. */
		final Duration longestOpen;

		/** Turned off by this instance's configuration, and not switched since. */
		volatile boolean configuredOff;

		volatile boolean disabledByFleet;

		volatile boolean forcedByFleet;


		ProviderView(Provider provider) {
			this.provider = provider;
			this.configuredOff = !provider.isEnabled();
			long longest = 0;
			var waits = provider.getCircuitBreaker().getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState();
			for (int attempt = 1; attempt <= 32; attempt++) {
				longest = Math.max(longest, waits.apply(attempt));
			}
			this.longestOpen = Duration.ofMillis(longest);
		}

	}

}
