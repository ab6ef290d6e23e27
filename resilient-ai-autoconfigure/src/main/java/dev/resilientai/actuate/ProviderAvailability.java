package dev.resilientai.actuate;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * Which providers could take a request now, read from their breakers, kill switches and
 * {@code Retry-After} rests, never by calling them.
 */
public final class ProviderAvailability {

	private ProviderAvailability() {
	}

	/**
	 * Whether a provider would be tried now (allowed classes aside).
	 * @param provider the provider
	 * @param clock the clock that times rests
	 * @return {@code true} if enabled, not resting and its breaker is not open
	 */
	public static boolean isAvailable(Provider provider, Clock clock) {
		CircuitBreaker.State state = provider.getCircuitBreaker().getState();
		return provider.isEnabled() && !provider.isRateLimited(clock) && state != CircuitBreaker.State.OPEN
				&& state != CircuitBreaker.State.FORCED_OPEN;
	}

	/**
	 * For each data class, the providers that would serve it now, in routing order.
	 * @param executor the failover executor
	 * @param clock the clock that times rests
	 * @return the providers per data class
	 */
	public static Map<String, List<String>> servingProviders(FailoverExecutor executor, Clock clock) {
		DataClassPolicy policy = executor.getPolicy();
		List<String> classes = policy.isEnforced() ? policy.getClasses() : List.of(policy.getDefaultClass());
		Map<String, List<String>> serving = new LinkedHashMap<>();
		for (String dataClass : classes) {
			serving.put(dataClass,
					executor.getProviders()
						.stream()
						.filter((provider) -> provider.isAllowed(dataClass) && isAvailable(provider, clock))
						.map(Provider::getName)
						.toList());
		}
		return serving;
	}

	/**
	 * Return, per data class, how many distinct fault domains the providers that would serve
	 * it now run in.
	 * @param executor the failover loop
	 * @param clock the clock
	 * @return the number of fault domains per data class
	 */
	public static Map<String, Integer> faultDomains(FailoverExecutor executor, Clock clock) {
		Map<String, Integer> domains = new LinkedHashMap<>();
		Map<String, Provider> byName = new LinkedHashMap<>();
		executor.getProviders().forEach((provider) -> byName.put(provider.getName(), provider));
		servingProviders(executor, clock).forEach((dataClass, names) -> domains.put(dataClass,
				(int) names.stream().map((name) -> byName.get(name).getFaultDomain()).distinct().count()));
		return domains;
	}

}
