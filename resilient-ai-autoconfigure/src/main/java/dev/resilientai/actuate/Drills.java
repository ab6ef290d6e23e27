package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.resilientai.failover.Drill;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;

/**
 * Failover drills: starts and stops them on the endpoint's behalf, bounds them, ends them on
 * time and audits each start and end (who, what, when), whether the drill was started here
 * or, with fleet sharing, on another instance.
 */
public class Drills implements DisposableBean {

	private static final Log logger = LogFactory.getLog("dev.resilientai");

	private final boolean enabled;

	private final Duration maxDuration;

	private final Clock clock;

	private final Consumer<Map<String, Object>> audit;

	private final ScheduledExecutorService scheduler;

	/** Each provider's drill that started and has not ended (in the audit's terms). */
	private final Map<Provider, Drill> running = new java.util.concurrent.ConcurrentHashMap<>();

	/**
	 * Create the drills of the executor's providers.
	 * @param executor the failover loop
	 * @param enabled whether drills may be started ({@code resilient-ai.drills.enabled})
	 * @param maxDuration the longest drill ({@code resilient-ai.drills.max-duration})
	 * @param clock the clock
	 * @param audit receives the audit data of each start and end
	 */
	public Drills(FailoverExecutor executor, boolean enabled, Duration maxDuration, Clock clock,
			Consumer<Map<String, Object>> audit) {
		this.enabled = enabled;
		this.maxDuration = maxDuration;
		this.clock = clock;
		this.audit = audit;
		ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "resilient-ai-drills");
			thread.setDaemon(true);
			return thread;
		});
		scheduler.setRemoveOnCancelPolicy(true);
		this.scheduler = scheduler;
		for (Provider provider : executor.getProviders()) {
			provider.addListener(new Provider.Listener() {

				@Override
				public void drillChanged(Provider changed, @Nullable Drill previous, @Nullable Drill drill) {
					changed(changed, previous, drill);
				}

			});
		}
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	public Duration getMaxDuration() {
		return this.maxDuration;
	}

	/**
	 * Start a drill on a provider.
	 * @param provider the provider
	 * @param fault the fault to inject
	 * @param ratio the share of attempts that meet it
	 * @param duration how long it runs (at most the maximum)
	 * @param latency the delay a latency drill adds
	 * @param by who starts it
	 * @return the drill
	 */
	public Drill start(Provider provider, Drill.Fault fault, double ratio, Duration duration, Duration latency,
			String by) {
		Drill drill = new Drill(fault, ratio, latency, this.clock.instant().plus(duration), by);
		provider.setDrill(drill);
		return drill;
	}

	/**
	 * Stop a provider's drill, if one runs.
	 * @param provider the provider
	 * @param by who stops it
	 */
	public void stop(Provider provider, String by) {
		Drill running = this.running.remove(provider);
		if (running == null) {
			provider.setDrill(null);
			return;
		}
		// only the drill found running stops: one started meanwhile goes on
		provider.clearDrill(running);
		ended(provider, running, "stopped by " + by);
	}

	/**
	 * A provider's drill changed, here or through the fleet: the drill it replaces (if any)
	 * ends, and the new one starts.
	 */
	private void changed(Provider provider, @Nullable Drill previous, @Nullable Drill drill) {
		if (drill == null) {
			// only the drill that was stopped ends (one that ended by itself is gone already)
			if (previous != null && this.running.remove(provider, previous)) {
				ended(provider, previous, "stopped");
			}
			return;
		}
		Drill replaced = this.running.put(provider, drill);
		if (replaced != null && replaced != drill) {
			ended(provider, replaced, "replaced by a drill of " + drill.by());
		}
		if (replaced != drill) {
			started(provider, drill);
		}
	}

	private void started(Provider provider, Drill drill) {
		logger.info("Drill started on provider '" + provider.getName() + "' by " + drill.by() + ": "
				+ drill.fault().wireName() + " on " + Math.round(drill.ratio() * 100) + " % of attempts until "
				+ drill.until());
		this.audit.accept(auditData("RESILIENT_AI_DRILL_STARTED", provider, drill, null));
		// rounded up, a millisecond over: listeners (the fleet's) take a drill cleared while it
		// is still active for an operator's stop, so its own end must come at or after its end
		long delay = Math.max(0, Duration.between(this.clock.instant(), drill.until()).toNanos())
				+ TimeUnit.MILLISECONDS.toNanos(1);
		try {
			this.scheduler.schedule(() -> {
				// ends by itself, unless replaced or stopped meanwhile
				if (this.running.remove(provider, drill)) {
					provider.clearDrill(drill);
					ended(provider, drill, "ended by itself");
				}
			}, delay, TimeUnit.NANOSECONDS);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// shutting down
		}
	}

	private void ended(Provider provider, Drill drill, String how) {
		logger.info("Drill on provider '" + provider.getName() + "' " + how + " (" + drill.fault().wireName() + ", "
				+ provider.drillInjections(drill.fault()) + " faults injected so far)");
		this.audit.accept(auditData("RESILIENT_AI_DRILL_ENDED", provider, drill, how));
	}

	private Map<String, Object> auditData(String type, Provider provider, Drill drill, @Nullable String how) {
		Map<String, Object> data = new LinkedHashMap<>();
		data.put("type", type);
		data.put("principal", drill.by());
		data.put("provider", provider.getName());
		data.put("fault", drill.fault().wireName());
		data.put("ratio", drill.ratio());
		data.put("until", drill.until().toString());
		data.put("at", Instant.now(this.clock).toString());
		if (how != null) {
			data.put("how", how);
		}
		return data;
	}

	@Override
	public void destroy() {
		this.scheduler.shutdownNow();
	}

}
