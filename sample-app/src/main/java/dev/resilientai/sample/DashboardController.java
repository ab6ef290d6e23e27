package dev.resilientai.sample;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.resilientai.actuate.Drills;
import dev.resilientai.failover.Drill;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * What the dashboard polls (providers, their breakers, simulated faults and drills, live
 * traffic), the simulator's fault switches and the load generator's switch. Drills are
 * started and stopped by the page through the starter's own {@code resilientai} actuator
 * endpoint, as an operator would, so they are audited like any other drill.
 */
@RestController
@RequestMapping("/api")
class DashboardController {

	/** Which simulated provider each configured provider talks to. */
	private static final Map<String, ProviderSimulator.Kind> SIMULATED = Map.of("openai",
			ProviderSimulator.Kind.OPENAI, "anthropic", ProviderSimulator.Kind.ANTHROPIC, "local",
			ProviderSimulator.Kind.OLLAMA);

	private final FailoverExecutor executor;

	private final ObjectProvider<ProviderSimulator> simulator;

	private final TrafficStats stats;

	private final LoadGenerator load;

	private final ObjectProvider<Drills> drills;

	/** Per provider, its count of injected faults when its current drill started. */
	private final Map<String, Long> injectedBefore = new ConcurrentHashMap<>();

	DashboardController(FailoverExecutor executor, ObjectProvider<ProviderSimulator> simulator, TrafficStats stats,
			LoadGenerator load, ObjectProvider<Drills> drills) {
		this.executor = executor;
		this.simulator = simulator;
		this.stats = stats;
		this.load = load;
		this.drills = drills;
		for (Provider provider : executor.getProviders()) {
			provider.addListener(new Provider.Listener() {

				@Override
				public void drillChanged(Provider changed, @Nullable Drill drill) {
					if (drill != null) {
						DashboardController.this.injectedBefore.put(changed.getName(),
								changed.drillInjections(drill.fault()));
					}
				}

			});
		}
	}

	@GetMapping("/dashboard")
	Dashboard dashboard() {
		ProviderSimulator simulator = this.simulator.getIfAvailable();
		List<ProviderCard> cards = new ArrayList<>();
		for (Provider provider : this.executor.getProviders()) {
			ProviderSimulator.Kind kind = SIMULATED.get(provider.getName());
			cards.add(new ProviderCard(provider.getName(), provider.getCircuitBreaker().getState().name(),
					provider.getAllowedDataClasses(), provider.isEnabled(),
					(simulator != null && kind != null) ? kind.name().toLowerCase(Locale.ROOT) : null,
					(simulator != null && kind != null) ? simulator.mode(kind).name().toLowerCase(Locale.ROOT) : null,
					(simulator != null && kind != null) ? simulator.requests(kind) : null, drill(provider)));
		}
		Drills drills = this.drills.getIfAvailable();
		return new Dashboard(cards,
				this.stats.snapshot(this.executor.getProviders().stream().map(Provider::getName).toList()),
				this.load.state(), simulator != null, new DrillSettings(drills != null && drills.isEnabled(),
						(drills != null) ? drills.getMaxDuration().toSeconds() : 0));
	}

	private @Nullable DrillCard drill(Provider provider) {
		Instant now = Instant.now();
		Drill drill = provider.getDrill(now);
		if (drill == null) {
			return null;
		}
		long injected = provider.drillInjections(drill.fault())
				- this.injectedBefore.getOrDefault(provider.getName(), 0L);
		return new DrillCard(drill.fault().wireName(), drill.ratio(),
				(drill.fault() == Drill.Fault.LATENCY) ? drill.latency().toMillis() : null, drill.until().toString(),
				Math.max(0, Duration.between(now, drill.until()).toSeconds()), drill.by(), Math.max(0, injected));
	}

	@PostMapping("/simulator/{provider}/{mode}")
	SimulatorState simulate(@PathVariable String provider, @PathVariable String mode) {
		ProviderSimulator simulator = this.simulator.getIfAvailable();
		if (simulator == null) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND, "The simulator is not running (real profile)");
		}
		ProviderSimulator.Kind kind = parse(ProviderSimulator.Kind.class, provider);
		simulator.setMode(kind, parse(ProviderSimulator.Mode.class, mode));
		return new SimulatorState(kind.name().toLowerCase(Locale.ROOT),
				simulator.mode(kind).name().toLowerCase(Locale.ROOT));
	}

	@PostMapping("/load")
	LoadGenerator.State load(@RequestBody LoadRequest request) {
		return this.load.set(request.running(), (request.requestsPerSecond() != null) ? request.requestsPerSecond() : 10);
	}

	private static <E extends Enum<E>> E parse(Class<E> type, String value) {
		try {
			return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("Unknown " + type.getSimpleName().toLowerCase(Locale.ROOT) + " '" + value
					+ "'; one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
		}
	}

	record Dashboard(List<ProviderCard> providers, TrafficStats.Snapshot traffic, LoadGenerator.State load,
			boolean simulated, DrillSettings drills) {
	}

	/**
	 * One provider: its breaker, its simulated fault ({@code mode}, with the requests the
	 * simulator received) and its drill, kept apart because they are different things.
	 */
	record ProviderCard(String name, String breakerState, java.util.@Nullable Set<String> allowedDataClasses,
			boolean enabled, @Nullable String simulates, @Nullable String mode, @Nullable Long requests,
			@Nullable DrillCard drill) {
	}

	/**
	 * A running drill.
	 *
	 * @param fault {@code error}, {@code latency} or {@code hang}
	 * @param ratio the share of attempts that meet it
	 * @param latencyMillis the delay a latency drill adds, or {@code null}
	 * @param until when it ends by itself
	 * @param secondsLeft how long until then
	 * @param by who started it
	 * @param injected how many attempts met its fault so far
	 */
	record DrillCard(String fault, double ratio, @Nullable Long latencyMillis, String until, long secondsLeft,
			String by, long injected) {
	}

	/**
	 * Whether the page may start drills ({@code resilient-ai.drills.enabled}) and for how long.
	 */
	record DrillSettings(boolean enabled, long maxDurationSeconds) {
	}

	record SimulatorState(String provider, String mode) {
	}

	record LoadRequest(boolean running, @Nullable Integer requestsPerSecond) {
	}

}
