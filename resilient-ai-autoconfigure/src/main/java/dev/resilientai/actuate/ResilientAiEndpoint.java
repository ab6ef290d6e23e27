package dev.resilientai.actuate;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code resilientai} actuator endpoint: the routing table and, per data class, the
 * providers that would serve it now; and the operator's switches: take a provider out of
 * rotation (and back), force its breaker open or closed. Like every actuator endpoint it is
 * not exposed over the web unless {@code management.endpoints.web.exposure.include} names it.
 */
@Endpoint(id = "resilientai")
public class ResilientAiEndpoint {

	private final FailoverExecutor executor;

	private final Clock clock;

	public ResilientAiEndpoint(FailoverExecutor executor, Clock clock) {
		this.executor = executor;
		this.clock = clock;
	}

	@ReadOperation
	public RoutingTable routing() {
		List<ProviderState> providers = new ArrayList<>();
		for (Provider provider : this.executor.getProviders()) {
			providers.add(state(provider));
		}
		return new RoutingTable(providers, ProviderAvailability.servingProviders(this.executor, this.clock));
	}

	@ReadOperation
	public @Nullable ProviderState provider(@Selector String name) {
		Provider provider = find(name);
		return (provider != null) ? state(provider) : null;
	}

	/**
	 * Act on one provider.
	 * @param name the provider
	 * @param action {@code disable}, {@code enable}, {@code open} (force the breaker open) or
	 * {@code close} (force it closed, clearing its window)
	 * @return the provider's state after the action, or {@code null} if there is no such
	 * provider
	 */
	@WriteOperation
	public @Nullable ProviderState update(@Selector String name, String action) {
		Provider provider = find(name);
		if (provider == null) {
			return null;
		}
		switch (action.toLowerCase(Locale.ROOT)) {
			case "disable" -> provider.setEnabled(false);
			case "enable" -> provider.setEnabled(true);
			case "open" -> provider.getCircuitBreaker().transitionToForcedOpenState();
			case "close" -> {
				provider.getCircuitBreaker().transitionToClosedState();
				provider.getCircuitBreaker().reset();
			}
			default -> throw new IllegalArgumentException(
					"Unknown action '" + action + "'; use disable, enable, open or close");
		}
		return state(provider);
	}

	private @Nullable Provider find(String name) {
		return this.executor.getProviders().stream().filter((p) -> p.getName().equals(name)).findFirst().orElse(null);
	}

	private ProviderState state(Provider provider) {
		CircuitBreaker breaker = provider.getCircuitBreaker();
		boolean resting = provider.isRateLimited(this.clock);
		return new ProviderState(provider.getName(), provider.getPriority(), provider.getTimeout().toString(),
				provider.getAllowedDataClasses(), breaker.getState().name(), breaker.getMetrics().getFailureRate(),
				provider.isEnabled(),
				(resting && provider.getRateLimitedUntil() != null) ? provider.getRateLimitedUntil().toString() : null,
				ProviderAvailability.isAvailable(provider, this.clock));
	}

	/**
	 * The routing table.
	 *
	 * @param providers the providers in the order they are tried
	 * @param servingNow per data class, the providers that would serve it now
	 */
	public record RoutingTable(List<ProviderState> providers, Map<String, List<String>> servingNow) {
	}

	/**
	 * One provider's routing state.
	 *
	 * @param name the provider name
	 * @param priority its priority (lower first)
	 * @param timeout its attempt timeout
	 * @param allowedDataClasses the classes it may serve, or {@code null} for every class
	 * @param breakerState its breaker's state
	 * @param failureRate its breaker's failure rate (-1 until the window has enough calls)
	 * @param enabled whether it takes traffic
	 * @param rateLimitedUntil the end of its {@code Retry-After} rest, if resting
	 * @param available whether it would be tried now
	 */
	public record ProviderState(String name, int priority, String timeout, @Nullable Set<String> allowedDataClasses,
			String breakerState, float failureRate, boolean enabled, @Nullable String rateLimitedUntil,
			boolean available) {
	}

}
