package dev.resilientai.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * What the dashboard polls (providers, their breakers and faults, live traffic), the
 * simulator's fault switches and the load generator's switch.
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

	private final ObjectProvider<dev.resilientai.actuate.ResilientAiEndpoint> endpoint;

	DashboardController(FailoverExecutor executor, ObjectProvider<ProviderSimulator> simulator, TrafficStats stats,
			LoadGenerator load, ObjectProvider<dev.resilientai.actuate.ResilientAiEndpoint> endpoint) {
		this.executor = executor;
		this.simulator = simulator;
		this.stats = stats;
		this.load = load;
		this.endpoint = endpoint;
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
					(simulator != null && kind != null) ? simulator.requests(kind) : null,
					DrillCard.of(provider.getDrill(java.time.Instant.now()))));
		}
		return new Dashboard(cards,
				this.stats.snapshot(this.executor.getProviders().stream().map(Provider::getName).toList()),
				this.load.state(), simulator != null);
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

	/**
	 * Start or stop a failover drill on a provider, through the resilientai endpoint's
	 * {@code drill} action (the same validation, audit and bounds as over the actuator).
	 * @param provider the provider
	 * @param request the drill: fault (error, latency, hang or none), ratio, duration
	 * @return the provider's drill now
	 */
	@PostMapping("/drill/{provider}")
	@Nullable DrillCard drill(@PathVariable String provider, @RequestBody DrillRequest request) {
		var endpoint = this.endpoint.getIfAvailable();
		if (endpoint == null) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND, "The resilientai endpoint is not exposed");
		}
		dev.resilientai.actuate.ResilientAiEndpoint.ProviderState state;
		try {
			state = endpoint.update(provider, "drill", request.fault(),
					(request.ratio() != null) ? request.ratio().toString() : null, request.duration(),
					request.latency(), null);
		}
		catch (org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException ex) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, ex.getReason());
		}
		catch (dev.resilientai.actuate.ResilientAiEndpoint.DrillsDisabledException ex) {
			throw new ResponseStatusException(HttpStatus.FORBIDDEN, ex.getMessage());
		}
		if (state == null) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND, "No provider named '" + provider + "'");
		}
		return DrillCard.of(state.drill());
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
			boolean simulated) {
	}

	record ProviderCard(String name, String breakerState, java.util.@Nullable Set<String> allowedDataClasses,
			boolean enabled, @Nullable String simulates, @Nullable String mode, @Nullable Long requests,
			@Nullable DrillCard drill) {
	}

	/**
	 * A running drill, as the dashboard shows it.
	 *
	 * @param fault the injected fault
	 * @param ratio the share of attempts that meet it
	 * @param secondsLeft until it ends by itself
	 */
	record DrillCard(String fault, double ratio, long secondsLeft) {

		static @Nullable DrillCard of(dev.resilientai.failover.@Nullable Drill drill) {
			if (drill == null) {
				return null;
			}
			return new DrillCard(drill.fault().wireName(), drill.ratio(),
					Math.max(0, java.time.Duration.between(java.time.Instant.now(), drill.until()).toSeconds()));
		}

	}

	record DrillRequest(String fault, @Nullable Double ratio, @Nullable String duration, @Nullable String latency) {
	}

	record SimulatorState(String provider, String mode) {
	}

	record LoadRequest(boolean running, @Nullable Integer requestsPerSecond) {
	}

}
