package dev.resilientai.autoconfigure;

import java.lang.reflect.Method;
import java.util.Arrays;

import dev.resilientai.actuate.ApiKeySanitizingFunction;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.actuate.ResilientAiEndpointWebExtension;
import dev.resilientai.actuate.ResilientAiHealthContributor;
import dev.resilientai.metrics.ResilientAiMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conditions of the health, endpoint and metrics auto-configurations.
 */
class ResilientAiActuatorAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
				ResilientAiHealthAutoConfiguration.class, ResilientAiEndpointAutoConfiguration.class,
				ResilientAiMetricsAutoConfiguration.class))
		.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class);

	@Test
	void healthSanitizingAndNoEndpointByDefault() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(ResilientAiHealthContributor.class)
				.hasBean("resilientAiHealthContributor")
				.hasSingleBean(ApiKeySanitizingFunction.class)
				.doesNotHaveBean(ResilientAiEndpoint.class)
				.doesNotHaveBean(ResilientAiMetrics.class);
		});
	}

	@Test
	void theHealthIndicatorCanBeDisabled() {
		this.runner.withPropertyValues("management.health.resilientai.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiHealthContributor.class));
	}

	@Test
	void withoutSpringBootHealthThereIsNoHealthContributor() {
		this.runner.withClassLoader(new FilteredClassLoader(HealthContributor.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ResilientAiHealthContributor.class));
	}

	@Test
	void withoutTheActuatorThereIsNoEndpointAndNoSanitizer() {
		this.runner.withClassLoader(new FilteredClassLoader(Endpoint.class))
			.withPropertyValues("management.endpoints.web.exposure.include=resilientai")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ResilientAiEndpoint.class)
				.doesNotHaveBean(ApiKeySanitizingFunction.class));
	}

	@Test
	void theEndpointExistsOnceExposed() {
		this.runner.withPropertyValues("management.endpoints.web.exposure.include=resilientai")
			.run((context) -> assertThat(context).hasSingleBean(ResilientAiEndpoint.class)
				.hasSingleBean(ResilientAiEndpointWebExtension.class));
	}

	@Test
	void theWebExtensionIsOnlyThereWhenTheEndpointIsExposedOverTheWeb() {
		this.runner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=resilientai")
			.run((context) -> assertThat(context).hasSingleBean(ResilientAiEndpoint.class)
				.doesNotHaveBean(ResilientAiEndpointWebExtension.class));
	}

	@Test
	void metricsNeedAMeterRegistryAndBindTheBreakersWhenResilience4jDoesNot() {
		this.runner
			.withConfiguration(AutoConfigurations.of(
					org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration.class,
					org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration.class,
					org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration.class))
			.run((context) -> {
			assertThat(context).hasSingleBean(ResilientAiMetrics.class).hasSingleBean(TaggedCircuitBreakerMetrics.class);
			assertThat(context.getBean(MeterRegistry.class)
				.find("resilience4j.circuitbreaker.state")
				.tag("name", "openai")
				.gauges()).isNotEmpty();
		});
	}

	@Test
	void withoutMicrometerThereAreNoMetrics() {
		this.runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ResilientAiMetrics.class));
	}

	@Test
	void apiKeysAreMaskedInEveryRelaxedSpelling() {
		ApiKeySanitizingFunction function = new ApiKeySanitizingFunction();
		for (String key : new String[] { "spring.ai.openai.api-key", "resilient-ai.providers.vllm.api-key",
				"OPENAI_API_KEY", "SPRING_AI_ANTHROPIC_API_KEY", "apiKey" }) {
			assertThat(function.apply(new SanitizableData(null, key, "sk-secret")).getValue()).as(key)
				.isEqualTo(SanitizableData.SANITIZED_VALUE);
		}
		assertThat(function.apply(new SanitizableData(null, "spring.ai.openai.base-url", "http://x")).getValue())
			.isEqualTo("http://x");
	}

	@Test
	void everyBeanMethodIsConditionalOnMissingBean() {
		for (Class<?> type : new Class<?>[] { ResilientAiHealthAutoConfiguration.class,
				ResilientAiEndpointAutoConfiguration.class, ResilientAiMetricsAutoConfiguration.class,
				ResilientAiMetricsAutoConfiguration.CircuitBreakerMetricsConfiguration.class }) {
			Arrays.stream(type.getDeclaredMethods())
				.filter((method) -> method.isAnnotationPresent(Bean.class))
				.forEach((Method method) -> assertThat(method.isAnnotationPresent(ConditionalOnMissingBean.class))
					.as(type.getSimpleName() + "." + method.getName())
					.isTrue());
		}
	}

}
