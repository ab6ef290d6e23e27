package dev.resilientai.autoconfigure;

import java.time.Clock;

import dev.resilientai.actuate.ApiKeySanitizingFunction;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.actuate.ResilientAiEndpointWebExtension;
import dev.resilientai.failover.FailoverExecutor;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code resilientai} actuator endpoint and the sanitizing of API keys in actuator output.
 */
@AutoConfiguration(after = ResilientAiAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
public final class ResilientAiEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(FailoverExecutor.class)
	@ConditionalOnAvailableEndpoint(ResilientAiEndpoint.class)
	ResilientAiEndpoint resilientAiEndpoint(FailoverExecutor executor,
			org.springframework.beans.factory.ObjectProvider<dev.resilientai.fleet.FleetSync> fleet,
			org.springframework.beans.factory.ObjectProvider<dev.resilientai.actuate.Drills> drills) {
		return new ResilientAiEndpoint(executor, Clock.systemUTC(), fleet.getIfAvailable(), drills.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(FailoverExecutor.class)
	dev.resilientai.actuate.Drills resilientAiDrills(FailoverExecutor executor, ResilientAiProperties properties,
			org.springframework.context.ApplicationEventPublisher events) {
		ResilientAiProperties.Drills drills = properties.getDrills();
		if (drills.getMaxDuration().isNegative() || drills.getMaxDuration().isZero()) {
			throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
					"resilient-ai.drills.max-duration", drills.getMaxDuration(), "The duration must be positive.");
		}
		return new dev.resilientai.actuate.Drills(executor, drills.isEnabled(), drills.getMaxDuration(),
				Clock.systemUTC(), (data) -> events.publishEvent(new org.springframework.boot.actuate.audit.listener.AuditApplicationEvent(
						String.valueOf(data.get("principal")), String.valueOf(data.get("type")), data)));
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(ResilientAiEndpoint.class)
	@ConditionalOnAvailableEndpoint(endpoint = ResilientAiEndpoint.class, exposure = EndpointExposure.WEB)
	ResilientAiEndpointWebExtension resilientAiEndpointWebExtension(ResilientAiEndpoint endpoint) {
		return new ResilientAiEndpointWebExtension(endpoint);
	}

	@Bean
	@ConditionalOnMissingBean
	ApiKeySanitizingFunction resilientAiApiKeySanitizingFunction() {
		return new ApiKeySanitizingFunction();
	}

}
