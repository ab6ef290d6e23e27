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
			org.springframework.beans.factory.ObjectProvider<dev.resilientai.fleet.FleetSync> fleet) {
		return new ResilientAiEndpoint(executor, Clock.systemUTC(), fleet.getIfAvailable());
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
