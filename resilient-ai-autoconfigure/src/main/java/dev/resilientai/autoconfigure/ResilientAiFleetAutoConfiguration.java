package dev.resilientai.autoconfigure;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.fleet.FleetChannel;
import dev.resilientai.fleet.FleetSync;
import dev.resilientai.fleet.RedisFleetChannel;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.util.StringUtils;

/**
 * Fleet sharing of provider state through Redis, with {@code resilient-ai.fleet.enabled}: the
 * connection is Spring Boot's own, from {@code spring.data.redis.*}. With fleet sharing off,
 * nothing here is loaded.
 */
@AutoConfiguration(after = ResilientAiAutoConfiguration.class,
		afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnBooleanProperty("resilient-ai.fleet.enabled")
@ConditionalOnBean(FailoverExecutor.class)
public final class ResilientAiFleetAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(RedisConnectionFactory.class)
	static class RedisFleetConfiguration {

		@Bean
		@ConditionalOnMissingBean
		FleetChannel resilientAiFleetChannel(ObjectProvider<RedisConnectionFactory> connectionFactory,
				ResilientAiProperties properties, Environment environment) {
			RedisConnectionFactory factory = connectionFactory.getIfUnique();
			if (factory == null) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.fleet.enabled", true,
						"Fleet sharing needs one Redis connection: Spring Boot's, configured with spring.data.redis.*.");
			}
			return new RedisFleetChannel(factory, keyPrefix(properties.getFleet(), environment));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("org.springframework.data.redis.connection.RedisConnectionFactory")
	static class MissingRedisConfiguration {

		@Bean
		FleetChannel resilientAiFleetChannel() {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.fleet.enabled", true,
					"Fleet sharing needs Spring Data Redis: add org.springframework.boot:spring-boot-starter-data-redis.");
		}

	}

	@Bean
	@ConditionalOnMissingBean
	FleetSync resilientAiFleetSync(FailoverExecutor executor, FleetChannel channel, ResilientAiProperties properties) {
		ResilientAiProperties.Fleet fleet = properties.getFleet();
		String instanceId;
		if (StringUtils.hasText(fleet.getInstanceId())) {
			if (!fleet.getInstanceId().matches("[A-Za-z0-9._-]{1,64}")) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.fleet.instance-id",
						fleet.getInstanceId(), "An instance id is 1 to 64 letters, digits, '.', '_' or '-'.");
			}
			// a random suffix: instances given the same id still tell each other's changes from their own
			instanceId = fleet.getInstanceId() + "-" + UUID.randomUUID().toString().substring(0, 4);
		}
		else {
			instanceId = defaultInstanceId();
		}
		for (var provider : executor.getProviders()) {
			if (provider.getName().length() > 200) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.providers." + provider.getName(),
						provider.getName(), "Fleet sharing takes provider names of at most 200 characters.");
			}
		}
		check("resilient-ai.fleet.refresh-interval", fleet.getRefreshInterval(), true);
		check("resilient-ai.fleet.state-ttl", fleet.getStateTtl(), true);
		check("resilient-ai.fleet.recovery-jitter", fleet.getRecoveryJitter(), false);
		check("resilient-ai.fleet.command-timeout", fleet.getCommandTimeout(), true);
		return new FleetSync(executor.getProviders(), channel, instanceId,
				new FleetSync.Settings(fleet.getRefreshInterval(), fleet.getStateTtl(), fleet.getRecoveryJitter(),
						properties.getFailover().getMaxRetryAfter(), fleet.getCommandTimeout(),
						properties.getDrills().isEnabled() ? properties.getDrills().getMaxDuration() : Duration.ZERO),
				Clock.systemUTC());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	static class FleetMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "resilientAiFleetMetrics")
		MeterBinder resilientAiFleetMetrics(FleetSync fleet, FailoverExecutor executor) {
			return (registry) -> {
				Gauge.builder("resilient.ai.fleet.connected", fleet, (sync) -> sync.isConnected() ? 1 : 0)
					.description("Whether this instance reaches the fleet's Redis (1) or goes on alone (0)")
					.register(registry);
				FunctionCounter.builder("resilient.ai.fleet.outages", fleet, FleetSync::outages)
					.description("Times the fleet's Redis became unreachable")
					.register(registry);
				for (var provider : executor.getProviders()) {
					for (var type : dev.resilientai.fleet.FleetEvent.Type.values()) {
						String key = provider.getName() + "|" + type.wireName();
						eventCounter(registry, "published", provider.getName(), type.wireName(), fleet,
								(sync) -> sync.publishedCounts().getOrDefault(key, 0L));
						eventCounter(registry, "applied", provider.getName(), type.wireName(), fleet,
								(sync) -> sync.appliedCounts().getOrDefault(key, 0L));
					}
				}
			};
		}

		private static void eventCounter(MeterRegistry registry, String direction, String provider, String event,
				FleetSync fleet, Function<FleetSync, Long> count) {
			FunctionCounter.builder("resilient.ai.fleet.events", fleet, (sync) -> count.apply(sync))
				.description("Provider state changes shared with the fleet (published) or taken from it (applied)")
				.tags("direction", direction, "provider", provider, "event", event)
				.register(registry);
		}

	}

	static String keyPrefix(ResilientAiProperties.Fleet fleet, Environment environment) {
		if (StringUtils.hasText(fleet.getKeyPrefix())) {
			return fleet.getKeyPrefix();
		}
		String application = environment.getProperty("spring.application.name");
		return StringUtils.hasText(application) ? "resilient-ai:" + application : "resilient-ai";
	}

	private static String defaultInstanceId() {
		String host;
		try {
			host = InetAddress.getLocalHost().getHostName();
		}
		catch (Exception ex) {
			host = "instance";
		}
		host = host.replaceAll("[^A-Za-z0-9._-]", "-");
		if (host.length() > 40) {
			host = host.substring(0, 40);
		}
		return (host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 4))
			.toLowerCase(Locale.ROOT);
	}

	private static void check(String property, java.time.Duration value, boolean positive) {
		if (value.isNegative() || (positive && value.isZero())) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					positive ? "The duration must be positive." : "The duration must not be negative.");
		}
	}

}
