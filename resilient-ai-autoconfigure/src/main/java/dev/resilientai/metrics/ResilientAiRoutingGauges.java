package dev.resilientai.metrics;

import java.time.Clock;

import dev.resilientai.actuate.ProviderAvailability;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Gauges of what could be served now, read from breakers, kill switches and rests: per data
 * class, how many providers could take it ({@value #DATA_CLASS_PROVIDERS}, 0 means the class
 * is unservable); per provider, whether it would be tried ({@value #PROVIDER_AVAILABLE}).
 */
public class ResilientAiRoutingGauges implements MeterBinder {

	/** Gauge of the providers that could serve a data class now; tag {@code data.class}. */
	public static final String DATA_CLASS_PROVIDERS = "resilient.ai.data.class.providers";

	/** Gauge, 1 if a provider would be tried now, else 0; tag {@code provider}. */
	public static final String PROVIDER_AVAILABLE = "resilient.ai.provider.available";

	private final FailoverExecutor executor;

	private final Clock clock;

	public ResilientAiRoutingGauges(FailoverExecutor executor, Clock clock) {
		this.executor = executor;
		this.clock = clock;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (String dataClass : ProviderAvailability.servingProviders(this.executor, this.clock).keySet()) {
			Gauge.builder(DATA_CLASS_PROVIDERS, this, (gauges) -> gauges.providersFor(dataClass))
				.description("Providers that could serve the data class now; 0 means it cannot be served")
				.tag("data.class", dataClass)
				.register(registry);
		}
		for (Provider provider : this.executor.getProviders()) {
			Gauge.builder(PROVIDER_AVAILABLE, provider,
					(p) -> ProviderAvailability.isAvailable(p, this.clock) ? 1 : 0)
				.description("1 if the provider is enabled, not resting and its breaker not open, else 0")
				.tag("provider", provider.getName())
				.register(registry);
		}
	}

	private double providersFor(String dataClass) {
		return this.executor.getProviders()
			.stream()
			.filter((provider) -> provider.isAllowed(dataClass) && ProviderAvailability.isAvailable(provider, this.clock))
			.count();
	}

}
