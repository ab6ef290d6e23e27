package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.resilientai.failover.Drill;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.fleet.FleetSync;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
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
	public static final List<String> ACTIONS = List.of("disable", "enable", "open", "close", "drill");

	private static final Log logger = LogFactory.getLog("dev.resilientai");

	private final FailoverExecutor executor;

	private final Clock clock;

	private final @Nullable FleetSync fleet;

	private final @Nullable Drills drills;

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
		this(executor, clock, fleet, null);
	}

	/**
	 * Create the endpoint.
	 * @param executor the failover loop
	 * @param clock the clock
	 * @param fleet this instance's fleet sharing, when it is on
	 * @param drills the drills, or {@code null} (the {@code drill} action is then refused)
	 */
	public ResilientAiEndpoint(FailoverExecutor executor, Clock clock, @Nullable FleetSync fleet,
			@Nullable Drills drills) {
		this.executor = executor;
		this.clock = clock;
		this.fleet = fleet;
		this.drills = drills;
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
	public @Nullable ProviderState update(String name, @Nullable String action) {
		return update(name, action, null, null, null, null, null);
	}

	/**
	 * Act on one provider: {@code disable}, {@code enable}, {@code open} (force the breaker
	 * open), {@code close} (force it closed, clearing its window), or {@code drill} (with
	 * {@code fault}, {@code ratio}, {@code duration} and, for latency, {@code latency}).
	 * @param name the provider
	 * @param action the action
	 * @param fault a drill's fault: {@code error}, {@code latency}, {@code hang} or {@code none}
	 * (stop the drill)
	 * @param ratio a drill's share of attempts, from 0 to 1 (default 1)
	 * @param duration a drill's duration, such as {@code 5m} (required)
	 * @param latency the delay a latency drill adds (default half the provider's attempt timeout)
	 * @param securityContext who calls
	 * @return the provider's state after the action, or {@code null} if there is no such
	 * provider
	 * @throws InvalidEndpointRequestException if the action is missing or unknown, or a drill
	 * field is bad (a 400 over the web)
	 * @throws DrillsDisabledException for a drill while drills are disabled (a 403 over the web)
	 */
	@WriteOperation
	public @Nullable ProviderState update(@Selector String name, @Nullable String action, @Nullable String fault,
			@Nullable String ratio, @Nullable String duration, @Nullable String latency,
			@Nullable SecurityContext securityContext) {
		String checked = checkAction(action);
		Provider provider = find(name);
		if (provider == null) {
			return null;
		}
		String who = (securityContext != null && securityContext.getPrincipal() != null)
				? securityContext.getPrincipal().getName() : "anonymous";
		switch (checked) {
			case "disable" -> provider.setEnabled(false);
			case "enable" -> provider.setEnabled(true);
			case "open" -> provider.getCircuitBreaker().transitionToForcedOpenState();
			case "close" -> {
				provider.getCircuitBreaker().transitionToClosedState();
				provider.getCircuitBreaker().reset();
			}
			case "drill" -> {
				drill(provider, fault, ratio, duration, latency, who);
				return state(provider);
			}
			default -> throw new IllegalStateException("Unhandled action '" + checked + "'");
		}
		logger.info("Provider '" + provider.getName() + "': '" + checked + "' through the resilientai endpoint; now "
				+ (provider.isEnabled() ? "enabled" : "disabled") + ", breaker " + provider.getCircuitBreaker().getState());
		return state(provider);
	}

	private void drill(Provider provider, @Nullable String fault, @Nullable String ratio, @Nullable String duration,
			@Nullable String latency, String who) {
		Drills drills = this.drills;
		if (drills == null || !drills.isEnabled()) {
			throw new DrillsDisabledException();
		}
		if (fault == null || fault.isBlank()) {
			throw invalidField("fault", "Missing field 'fault': one of error, latency, hang, none");
		}
		if ("none".equalsIgnoreCase(fault.trim())) {
			drills.stop(provider, who);
			return;
		}
		Drill.Fault kind = Drill.Fault.of(fault);
		if (kind == null) {
			throw invalidField("fault", "Unknown fault '" + fault + "': 'fault' is one of error, latency, hang, none");
		}
		double share = 1.0;
		if (ratio != null && !ratio.isBlank()) {
			try {
				share = Double.parseDouble(ratio.trim());
			}
			catch (NumberFormatException ex) {
				throw invalidField("ratio", "Bad 'ratio' '" + ratio + "': a number from 0.0 to 1.0");
			}
			if (!(share >= 0 && share <= 1)) {
				throw invalidField("ratio", "Bad 'ratio' " + ratio + ": a number from 0.0 to 1.0");
			}
		}
		if (duration == null || duration.isBlank()) {
			throw invalidField("duration", "Missing field 'duration' (such as \"5m\"): a drill always ends");
		}
		Duration length = parseDuration("duration", duration);
		if (length.isZero() || length.isNegative() || length.compareTo(drills.getMaxDuration()) > 0) {
			throw invalidField("duration", "Bad 'duration' '" + duration + "': more than 0 and at most "
					+ drills.getMaxDuration() + " (resilient-ai.drills.max-duration)");
		}
		Duration delay = (latency != null && !latency.isBlank()) ? parseDuration("latency", latency)
				: provider.getTimeout().dividedBy(2);
		if (delay.isNegative()) {
			throw invalidField("latency", "Bad 'latency' '" + latency + "': not negative");
		}
		drills.start(provider, kind, share, length, delay, who);
	}

	private static Duration parseDuration(String field, String value) {
		try {
			return org.springframework.boot.convert.DurationStyle.detectAndParse(value.trim());
		}
		catch (IllegalArgumentException ex) {
			throw invalidField(field, "Bad '" + field + "' '" + value + "': a duration such as 30s, 5m or PT5M");
		}
	}

	private static InvalidEndpointRequestException invalidField(String field, String message) {
		return new InvalidEndpointRequestException(message, message);
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
				provider.getFaultDomainLabel(), provider.getDrill(this.clock.instant()));
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
	/**
	 * A drill was asked for while drills are disabled ({@code resilient-ai.drills.enabled}).
	 */
	public static final class DrillsDisabledException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		DrillsDisabledException() {
			super("Drills are disabled: set resilient-ai.drills.enabled=true to allow the 'drill' action");
		}

	}

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
	 * @param drill the drill running on it, or {@code null}
	 */
	public record ProviderState(String name, int priority, String timeout, @Nullable Set<String> allowedDataClasses,
			String breakerState, float failureRate, boolean enabled, @Nullable String rateLimitedUntil,
			boolean available, String stateSource, @Nullable String faultDomain, @Nullable Drill drill) {
	}

}
