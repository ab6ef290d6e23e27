package dev.resilientai.autoconfigure;

import java.time.Clock;

import dev.resilientai.actuate.ResilientAiHealthContributor;
import dev.resilientai.failover.FailoverExecutor;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * The {@code resilientAi} health contributor.
 */
@AutoConfiguration(after = ResilientAiAutoConfiguration.class)
@ConditionalOnClass(HealthContributor.class)
@ConditionalOnBean(FailoverExecutor.class)
@ConditionalOnEnabledHealthIndicator("resilientai")
public final class ResilientAiHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "resilientAiHealthContributor")
	ResilientAiHealthContributor resilientAiHealthContributor(FailoverExecutor executor,
			org.springframework.beans.factory.ObjectProvider<dev.resilientai.fleet.FleetSync> fleet) {
		return new ResilientAiHealthContributor(executor, Clock.systemUTC(), fleet.getIfAvailable());
	}

}
