package dev.resilientai.autoconfigure;

import java.time.Clock;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.metrics.ResilientAiMetrics;
import dev.resilientai.metrics.ResilientAiRoutingGauges;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetricsPublisher;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Micrometer meters of the failover layer, and Resilience4j's own breaker meters when
 * Resilience4j's auto-configuration does not bind them already.
 */
@AutoConfiguration(after = ResilientAiAutoConfiguration.class, afterName = {
		// the meter registry must exist before the conditions on it are evaluated
		"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
		// binds the breakers' meters itself when present
		"io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerMetricsAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public final class ResilientAiMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ResilientAiMetrics resilientAiMetrics(MeterRegistry meterRegistry) {
		return new ResilientAiMetrics(meterRegistry);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(FailoverExecutor.class)
	ResilientAiRoutingGauges resilientAiRoutingGauges(FailoverExecutor executor) {
		return new ResilientAiRoutingGauges(executor, Clock.systemUTC());
	}

	/**
	 * Hedged attempts per provider: started, won (answered first) and cancelled (lost).
	 */
	@Bean
	@ConditionalOnMissingBean(name = "resilientAiHedgeMetrics")
	@ConditionalOnBean(FailoverExecutor.class)
	io.micrometer.core.instrument.binder.MeterBinder resilientAiHedgeMetrics(FailoverExecutor executor) {
		return (registry) -> {
			dev.resilientai.failover.Hedging hedging = executor.getHedging();
			if (!hedging.isEnabled()) {
				return;
			}
			for (var provider : executor.getProviders()) {
				String name = provider.getName();
				hedgeCounter(registry, hedging, name, "started", (h) -> h.startedCount(name));
				hedgeCounter(registry, hedging, name, "won", (h) -> h.wonCount(name));
				hedgeCounter(registry, hedging, name, "cancelled", (h) -> h.cancelledCount(name));
			}
		};
	}

	/**
	 * Recovery: probes sent to providers coming back (half-open breaker, end of a rest or of
	 * the kill switch), probes answered, and the time from a provider's first answered probe
	 * to its breaker closing.
	 */
	@Bean
	@ConditionalOnMissingBean(name = "resilientAiRecoveryMetrics")
	@ConditionalOnBean(FailoverExecutor.class)
	io.micrometer.core.instrument.binder.MeterBinder resilientAiRecoveryMetrics(FailoverExecutor executor) {
		return (registry) -> {
			for (var provider : executor.getProviders()) {
				io.micrometer.core.instrument.FunctionCounter
					.builder("resilient.ai.probes", provider, (p) -> p.getProbesSent())
					.description("Probes sent to a provider coming back")
					.tags("provider", provider.getName(), "outcome", "sent")
					.register(registry);
				io.micrometer.core.instrument.FunctionCounter
					.builder("resilient.ai.probes", provider, (p) -> p.getProbesAnswered())
					.description("Probes sent to a provider coming back")
					.tags("provider", provider.getName(), "outcome", "answered")
					.register(registry);
				io.micrometer.core.instrument.Timer recovery = io.micrometer.core.instrument.Timer
					.builder("resilient.ai.recovery")
					.description("Time from a provider's first answered probe to its breaker closing")
					.tags("provider", provider.getName())
					.register(registry);
				provider.getCircuitBreaker().getEventPublisher().onStateTransition((event) -> {
					// every transition ends the half-open spell; only the close a probe's answer
					// brings about (HALF_OPEN to CLOSED, heard while the answer is judged) is a
					// recovery: not an operator's or the fleet's close, nor a spell that failed
					java.time.Duration time = provider.takeRecoveryTime();
					if (time != null && provider.isClosingOnProbeAnswer() && event
						.getStateTransition() == io.github.resilience4j.circuitbreaker.CircuitBreaker.StateTransition.HALF_OPEN_TO_CLOSED) {
						recovery.record(time);
					}
				});
			}
		};
	}

	/**
	 * Faults injected by drills, per provider and fault.
	 */
	@Bean
	@ConditionalOnMissingBean(name = "resilientAiDrillMetrics")
	@ConditionalOnBean(FailoverExecutor.class)
	io.micrometer.core.instrument.binder.MeterBinder resilientAiDrillMetrics(FailoverExecutor executor) {
		return (registry) -> {
			for (var provider : executor.getProviders()) {
				for (var fault : dev.resilientai.failover.Drill.Fault.values()) {
					io.micrometer.core.instrument.FunctionCounter
						.builder("resilient.ai.drills", provider, (p) -> p.drillInjections(fault))
						.description("Attempts that met a fault injected by a failover drill")
						.tags("provider", provider.getName(), "drill", fault.wireName())
						.register(registry);
				}
			}
		};
	}

	// the registry holds the Hedging weakly; the executor keeps it alive
	private static void hedgeCounter(MeterRegistry registry, dev.resilientai.failover.Hedging hedging,
			String provider, String outcome, java.util.function.ToLongFunction<dev.resilientai.failover.Hedging> count) {
		io.micrometer.core.instrument.FunctionCounter
			.builder("resilient.ai.hedges", hedging, (h) -> count.applyAsLong(h))
			.description("Hedged attempts: sent to a second provider (started), answered first (won), "
					+ "attempts cut short because the other answered first (cancelled)")
			.tags("provider", provider, "outcome", outcome)
			.register(registry);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(TaggedCircuitBreakerMetrics.class)
	@ConditionalOnProperty(name = "resilience4j.circuitbreaker.metrics.enabled", matchIfMissing = true)
	@ConditionalOnMissingBean({ TaggedCircuitBreakerMetrics.class, TaggedCircuitBreakerMetricsPublisher.class })
	static class CircuitBreakerMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TaggedCircuitBreakerMetrics resilientAiCircuitBreakerMetrics(CircuitBreakerRegistry circuitBreakerRegistry) {
			return TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(circuitBreakerRegistry);
		}

	}

}
