package dev.resilientai.actuate;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.fleet.FleetSync;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code resilientai} actuator endpoint: the routing table and, per data class, the
 * providers that would serve it now; and the operator's switches: take a provider out of
 * rotation (and back), force its breaker open or closed. Like every actuator endpoint it is
 * not exposed over the web unless {@code management.endpoints.web.exposure.include} names it.
 * Over the web, {@link ResilientAiEndpointWebExtension} answers a bad request with a 400 and
 * an unknown provider with a 404, each with a message.
 */
@Endpoint(id = "resilientai")
public class ResilientAiEndpoint {

	/** The actions {@link #update(String, String)} accepts, in the order messages name them. */
	public static final List<String> ACTIONS = List.of("disable", "enable", "open", "close");

	private static final Log logger = LogFactory.getLog("dev.resilientai");

	private final FailoverExecutor executor;

	private final Clock clock;

	private final @Nullable FleetSync fleet;

	public ResilientAiEndpoint(FailoverExecutor executor, Clock clock) {
		this(executor, clock, null);
	}

	/**
	 * Create the endpoint.
	 * @param executor the failover loop
	 * @param clock the clock
	 * @param fleet this instance's fleet sharing, when it is on
	 */
	public ResilientAiEndpoint(FailoverExecutor executor, Clock clock, @Nullable FleetSync fleet) {
		this.executor = executor;
		this.clock = clock;
		this.fleet = fleet;
	}

	@ReadOperation
	public RoutingTable routing() {
		List<ProviderState> providers = new ArrayList<>();
		for (Provider provider : this.executor.getProviders()) {
			providers.add(state(provider));
		}
		return new RoutingTable(providers, ProviderAvailability.servingProviders(this.executor, this.clock),
				ProviderAvailability.faultDomains(this.executor, this.clock),
				(this.fleet != null) ? this.fleet.status() : null);
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
	 * @throws InvalidEndpointRequestException if the action is missing or unknown (a 400
	 * over the web)
	 */
	@WriteOperation
	public @Nullable ProviderState update(@Selector String name, @Nullable String action) {
		String checked = checkAction(action);
		Provider provider = find(name);
		if (provider == null) {
			return null;
		}
		switch (checked) {
			case "disable" -> provider.setEnabled(false);
			case "enable" -> provider.setEnabled(true);
			case "open" -> provider.getCircuitBreaker().transitionToForcedOpenState();
			case "close" -> {
				provider.getCircuitBreaker().transitionToClosedState();
				provider.getCircuitBreaker().reset();
			}
			default -> throw new IllegalStateException("Unhandled action '" + checked + "'");
		}
		logger.info("Provider '" + provider.getName() + "': '" + checked + "' through the resilientai endpoint; now "
				+ (provider.isEnabled() ? "enabled" : "disabled") + ", breaker " + provider.getCircuitBreaker().getState());
		return state(provider);
	}

	/**
	 * Return the names of the providers, in the order they are tried.
	 * @return the provider names
	 */
	List<String> providerNames() {
		return this.executor.getProviders().stream().map(Provider::getName).toList();
	}

	private static String checkAction(@Nullable String action) {
		if (action == null || action.isBlank()) {
			throw invalidAction("Missing field 'action'");
		}
		String normalized = action.trim().toLowerCase(Locale.ROOT);
		if (!ACTIONS.contains(normalized)) {
			throw invalidAction("Unknown action '" + action + "'");
		}
		return normalized;
	}

	static InvalidEndpointRequestException invalidAction(String problem) {
		String message = problem + ": 'action' is one of " + String.join(", ", ACTIONS) + ".";
		return new InvalidEndpointRequestException(message, message);
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
				ProviderAvailability.isAvailable(provider, this.clock), ResilientAiHealthContributor.stateSource(provider),
				provider.getFaultDomainLabel());
	}

	/**
	 * The routing table.
	 *
	 * @param providers the providers in the order they are tried
	 * @param servingNow per data class, the providers that would serve it now
	 * @param faultDomainsNow per data class, how many distinct fault domains those providers
	 * run in
	 * @param fleet this instance's fleet sharing, or {@code null} when it is off
	 */
	public record RoutingTable(List<ProviderState> providers, Map<String, List<String>> servingNow,
			Map<String, Integer> faultDomainsNow, FleetSync.@Nullable FleetStatus fleet) {
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
	 * @param stateSource {@code local}, or {@code fleet:<instance>} when another instance's
	 * shared change set the provider's state (see {@code resilient-ai.fleet.enabled})
	 * @param faultDomain its {@code fault-domain} label, or {@code null} (a domain of its own)
	 */
	public record ProviderState(String name, int priority, String timeout, @Nullable Set<String> allowedDataClasses,
			String breakerState, float failureRate, boolean enabled, @Nullable String rateLimitedUntil,
			boolean available, String stateSource, @Nullable String faultDomain) {
	}

}
