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

	DashboardController(FailoverExecutor executor, ObjectProvider<ProviderSimulator> simulator, TrafficStats stats,
			LoadGenerator load) {
		this.executor = executor;
		this.simulator = simulator;
		this.stats = stats;
		this.load = load;
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
					(simulator != null && kind != null) ? simulator.requests(kind) : null));
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
			boolean enabled, @Nullable String simulates, @Nullable String mode, @Nullable Long requests) {
	}

	record SimulatorState(String provider, String mode) {
	}

	record LoadRequest(boolean running, @Nullable Integer requestsPerSecond) {
	}

}
