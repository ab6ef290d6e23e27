package dev.resilientai.autoconfigure;

import dev.resilientai.actuate.ProviderAvailability;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code resilient-ai.providers.<name>.fault-domain}: bound to the provider, counted per data
 * class in health and the endpoint, and a startup WARN for a class served by a single domain.
 */
@ExtendWith(OutputCaptureExtension.class)
class FaultDomainConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
				HttpCancellationAutoConfiguration.class, CircuitBreakerAutoConfiguration.class))
		.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
		.withPropertyValues("resilient-ai.data-classes=public,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.fault-domain=aws-us-east-1",
				"resilient-ai.providers.openai.allowed-data-classes=public",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.fault-domain=aws-us-east-1",
				"resilient-ai.providers.anthropic.allowed-data-classes=public",
				"resilient-ai.providers.local.chat-model=ollamaChatModel",
				"resilient-ai.providers.local.fault-domain=on-prem",
				"resilient-ai.providers.local.allowed-data-classes=public,phi");

	@Test
	void aDataClassServedByASingleFaultDomainIsNamedAtStartup(CapturedOutput output) {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output.getOut())
				.contains("Data class 'phi' is served by a single fault domain ('on-prem')")
				.doesNotContain("Data class 'public' is served by a single fault domain");
		});
	}

	@Test
	void faultDomainsAreBoundAndCountedPerDataClass() {
		this.runner.run((context) -> {
			FailoverExecutor executor = context.getBean(FailoverExecutor.class);
			assertThat(executor.getProviders()).extracting(Provider::getName, Provider::getFaultDomain)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("openai", "aws-us-east-1"),
						org.assertj.core.groups.Tuple.tuple("anthropic", "aws-us-east-1"),
						org.assertj.core.groups.Tuple.tuple("local", "on-prem"));
			assertThat(ProviderAvailability.faultDomains(executor, java.time.Clock.systemUTC()))
				.containsEntry("public", 2)
				.containsEntry("phi", 1);
			ResilientAiEndpoint endpoint = new ResilientAiEndpoint(executor, java.time.Clock.systemUTC());
			assertThat(endpoint.routing().faultDomainsNow()).containsEntry("phi", 1);
			assertThat(endpoint.provider("local").faultDomain()).isEqualTo("on-prem");
		});
	}

	@Test
	void withoutLabelsEachProviderIsADomainOfItsOwnAndNothingIsLogged(CapturedOutput output) {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
					HttpCancellationAutoConfiguration.class, CircuitBreakerAutoConfiguration.class))
			.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.run((context) -> {
				FailoverExecutor executor = context.getBean(FailoverExecutor.class);
				assertThat(executor.getProviders()).extracting(Provider::getFaultDomain)
					.containsExactly("openai", "anthropic", "ollama");
				assertThat(output.getOut()).doesNotContain("single fault domain");
			});
	}

}
