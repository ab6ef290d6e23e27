package dev.resilientai.actuate;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code resilientAi} health: one child per provider, read from its breaker (never a
 * token-spending ping), and a {@value #DATA_CLASSES} child that is {@code DOWN} only when some
 * data class has no provider left that could serve it. A dead provider is a degraded detail
 * with a custom status ({@code CIRCUIT_OPEN} and friends, which Spring Boot's default status
 * order ignores), not an outage.
 */
public class ResilientAiHealthContributor implements CompositeHealthContributor {

	/** Name of the child that tells whether every data class can still be served. */
	public static final String DATA_CLASSES = "dataClasses";

	/** The child that shows this instance's fleet sharing, when it is on. */
	public static final String FLEET = "fleet";

	/** A provider whose breaker is open or forced open. */
	public static final Status CIRCUIT_OPEN = new Status("CIRCUIT_OPEN");

	/** A provider whose breaker lets probes through. */
	public static final Status CIRCUIT_HALF_OPEN = new Status("CIRCUIT_HALF_OPEN");

	/** A provider resting after a 429 with Retry-After. */
	public static final Status RATE_LIMITED = new Status("RATE_LIMITED");

	/** A provider taken out of rotation. */
	public static final Status DISABLED = new Status("DISABLED");

	private final CompositeHealthContributor children;

	public ResilientAiHealthContributor(FailoverExecutor executor, Clock clock) {
		this(executor, clock, null);
	}

	/**
	 * Create the contributor.
	 * @param executor the failover loop
	 * @param clock the clock
	 * @param fleet this instance's fleet sharing, when it is on: a {@code fleet} child that
	 * is UP whether or not Redis is reachable, with its state as details
	 */
	public ResilientAiHealthContributor(FailoverExecutor executor, Clock clock,
			dev.resilientai.fleet.@Nullable FleetSync fleet) {
		Map<String, HealthContributor> children = new LinkedHashMap<>();
		for (Provider provider : executor.getProviders()) {
			children.put(provider.getName(), (HealthIndicator) () -> providerHealth(provider, clock));
		}
		children.put(DATA_CLASSES, (HealthIndicator) () -> dataClassHealth(executor, clock));
		if (fleet != null) {
			children.put(FLEET, (HealthIndicator) () -> {
				dev.resilientai.fleet.FleetSync.FleetStatus status = fleet.status();
				return Health.up()
					.withDetail("instance", status.instance())
					.withDetail("redis", status.state())
					.withDetail("since", (status.since() != null) ? status.since() : "none")
					.withDetail("lastSync", (status.lastSync() != null) ? status.lastSync() : "none")
					.withDetail("outages", status.outages())
					.build();
			});
		}
		this.children = CompositeHealthContributor.fromMap(children);
	}

	static Health providerHealth(Provider provider, Clock clock) {
		CircuitBreaker breaker = provider.getCircuitBreaker();
		CircuitBreaker.State state = breaker.getState();
		Status status;
		if (!provider.isEnabled()) {
			status = DISABLED;
		}
		else if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
			status = CIRCUIT_OPEN;
		}
		else if (provider.isRateLimited(clock)) {
			status = RATE_LIMITED;
		}
		else if (state == CircuitBreaker.State.HALF_OPEN) {
			status = CIRCUIT_HALF_OPEN;
		}
		else {
			status = Status.UP;
		}
		CircuitBreaker.Metrics metrics = breaker.getMetrics();
		return Health.status(status)
			.withDetail("state", state.name())
			.withDetail("failureRate", metrics.getFailureRate())
			.withDetail("slowCallRate", metrics.getSlowCallRate())
			.withDetail("rateLimitedUntil", (provider.getRateLimitedUntil() != null && provider.isRateLimited(clock))
					? provider.getRateLimitedUntil().toString() : "none")
			.withDetail("enabled", provider.isEnabled())
			.withDetail("stateSource", stateSource(provider))
			.withDetail("drill", (provider.getDrill(clock.instant()) != null) ? provider.getDrill(clock.instant()) : "none")
			.withDetail("bulkhead", java.util.Map.of("availableConcurrentCalls",
					provider.getBulkhead().getMetrics().getAvailableConcurrentCalls(), "maxAllowedConcurrentCalls",
					provider.getBulkhead().getMetrics().getMaxAllowedConcurrentCalls()))
			.build();
	}

	/**
	 * Where the provider's current state came from: {@code local}, or
	 * {@code fleet:<instance>} when another instance's shared change set it.
	 * @param provider the provider
	 * @return the source
	 */
	public static String stateSource(Provider provider) {
		String origin = provider.getFleetOrigin();
		return (origin != null) ? "fleet:" + origin : "local";
	}

	static Health dataClassHealth(FailoverExecutor executor, Clock clock) {
		Map<String, List<String>> serving = ProviderAvailability.servingProviders(executor, clock);
		List<String> unservable = serving.entrySet()
			.stream()
			.filter((entry) -> entry.getValue().isEmpty())
			.map(Map.Entry::getKey)
			.toList();
		Health.Builder health = unservable.isEmpty() ? Health.up() : Health.down();
		return health.withDetail("serving", serving)
			.withDetail("unservable", unservable)
			.withDetail("faultDomains", ProviderAvailability.faultDomains(executor, clock))
			.build();
	}

	@Override
	public @Nullable HealthContributor getContributor(String name) {
		return this.children.getContributor(name);
	}

	@Override
	public Stream<HealthContributors.Entry> stream() {
		return this.children.stream();
	}

}
