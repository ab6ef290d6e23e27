package dev.resilientai.autoconfigure;

import java.time.Duration;

import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class ResilientAiEnvironmentPostProcessorTests {

	@Test
	void innerRetriesAreOffUnlessTheApplicationSetsThem() {
		MockEnvironment environment = new MockEnvironment().withProperty("spring.ai.anthropic.max-retries", "4");

		new ResilientAiEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());

		assertThat(environment.getProperty("spring.ai.openai.max-retries")).isEqualTo("0");
		assertThat(environment.getProperty("spring.ai.retry.max-attempts")).isEqualTo("0");
		assertThat(environment.getProperty("spring.ai.anthropic.max-retries")).isEqualTo("4");
	}

	@Test
	void aTunedProviderBreakerInstanceKeepsTheLlmDefaults() {
		MockEnvironment environment = new MockEnvironment()
			.withProperty("resilient-ai.providers.openai.chat-model", "openAiChatModel")
			.withProperty("resilient-ai.providers.local.chat-model", "ollamaChatModel")
			.withProperty("resilience4j.circuitbreaker.instances.openai.failure-rate-threshold", "30");

		new ResilientAiEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());

		assertThat(environment.getProperty("resilience4j.circuitbreaker.instances.openai.base-config"))
			.isEqualTo("resilient-ai");
		assertThat(environment.containsProperty("resilience4j.circuitbreaker.instances.local.base-config")).isFalse();
	}

	@Test
	void theSharedBreakerConfigurationMatchesTheJavaDefaults() {
		SpringApplication application = new SpringApplication(Models.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		try (ConfigurableApplicationContext context = application.run("--resilient-ai.failover.attempt-timeout=10s",
				"--resilient-ai.providers.memory.chat-model=inMemoryChatModel", "--spring.ai.openai.api-key=unused",
				"--spring.ai.anthropic.api-key=unused")) {
			CircuitBreakerConfig config = context.getBean(FailoverExecutor.class)
				.getProviders()
				.get(0)
				.getCircuitBreaker()
				.getCircuitBreakerConfig();
			CircuitBreakerConfig expected = ProviderFactory.LLM_DEFAULTS;
			assertThat(config.getSlidingWindowSize()).isEqualTo(expected.getSlidingWindowSize());
			assertThat(config.getMinimumNumberOfCalls()).isEqualTo(expected.getMinimumNumberOfCalls());
			assertThat(config.getFailureRateThreshold()).isEqualTo(expected.getFailureRateThreshold());
			assertThat(config.getSlowCallRateThreshold()).isEqualTo(expected.getSlowCallRateThreshold());
			assertThat(config.getPermittedNumberOfCallsInHalfOpenState())
				.isEqualTo(expected.getPermittedNumberOfCallsInHalfOpenState());
			assertThat(config.getWaitIntervalFunctionInOpenState().apply(1))
				.isEqualTo(expected.getWaitIntervalFunctionInOpenState().apply(1));
			assertThat(config.getSlowCallDurationThreshold()).isEqualTo(Duration.ofSeconds(8));
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Models {

		@Bean
		ChatModel inMemoryChatModel() {
			return ResilientAiAutoConfigurationTests.fixed("in-memory");
		}

	}

}
