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
