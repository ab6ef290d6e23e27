package dev.resilientai.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.retry.TransientAiException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the starter writes to the logs: the routing table at startup, provider trouble rate
 * limited, operator actions.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProviderLoggingTests {

	private static final String CANARY_KEY = "sk-canary-summary-4f2";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class));

	@Test
	void theStartupSummaryListsProvidersInRoutingOrderWithoutSecrets(CapturedOutput output) {
		this.runner.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.withPropertyValues("resilient-ai.failover.timeout=45s", "resilient-ai.data-classes=public,pii",
					"resilient-ai.default-data-class=public", "resilient-ai.providers.openai.type=openai",
					"resilient-ai.providers.openai.api-key=" + CANARY_KEY,
					"resilient-ai.providers.openai.base-url=https://proxy-user:canary-password@proxy.example.com/v1?token=canary-query",
					"resilient-ai.providers.openai.priority=20", "resilient-ai.providers.openai.timeout=20s",
					"resilient-ai.providers.openai.allowed-data-classes=public",
					"resilient-ai.providers.local.chat-model=ollamaChatModel", "resilient-ai.providers.local.priority=10",
					"resilient-ai.providers.local.allowed-data-classes=public,pii")
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output)
			.contains("resilient-ai routes across 2 providers, tried in this order within a request deadline of 45s:")
			.contains("  1. local: priority 10, chat-model 'ollamaChatModel', base-url unknown, attempt timeout 30s, "
					+ "data classes [public, pii], bulkhead 100 concurrent calls, breaker built-in defaults")
			.contains("  2. openai: priority 20, type openai, base-url https://proxy.example.com/v1, attempt timeout 20s, "
					+ "data classes [public], bulkhead 100 concurrent calls, breaker built-in defaults")
			.doesNotContain(CANARY_KEY)
			.doesNotContain("canary-password")
			.doesNotContain("canary-query")
			.doesNotContain("proxy-user");
	}

	@Test
	void theSummaryNamesTheBreakerConfigurationAndTheSdkDefaultUrl(CapturedOutput output) {
		this.runner.withUserConfiguration(FlakyProviders.class)
			.withPropertyValues("resilient-ai.providers.flaky.chat-model=flakyModel",
					"resilient-ai.providers.claude.type=anthropic", "resilient-ai.providers.claude.api-key=" + CANARY_KEY)
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output).contains("1. flaky: priority none, chat-model 'flakyModel'")
			.contains("breaker resilience4j.circuitbreaker.instances.flaky")
			.contains("2. claude: priority none, type anthropic, base-url https://api.anthropic.com,")
			.doesNotContain(CANARY_KEY);
	}

	@Test
	void anOutageOfAThousandRequestsLogsAHandfulOfLinesAndNoStackTraces(CapturedOutput output) {
		this.runner.withUserConfiguration(FlakyProviders.class)
			.withPropertyValues("resilient-ai.providers.flaky.chat-model=flakyModel",
					"resilient-ai.providers.flaky.priority=1", "resilient-ai.providers.blip.chat-model=blipModel",
					"resilient-ai.providers.blip.priority=2")
			.run((context) -> {
				FailoverChatModel model = context.getBean(FailoverChatModel.class);
				for (int i = 0; i < 500; i++) {
					try {
						model.call(new Prompt("hello"));
					}
					catch (RuntimeException ex) {
						// expected while both providers fail
					}
					try {
						model.stream(new Prompt("hello")).blockLast();
					}
					catch (RuntimeException ex) {
						// expected while both providers fail
					}
				}
				assertThat(context.getBean(FlakyProviders.class).flakyCalls.get())
					.as("the flaky provider's breaker flapped, so it was called again and again")
					.isGreaterThan(20);
			});

		List<String> lines = output.getAll().lines().filter((line) -> line.contains("Provider '")).toList();
		assertThat(lines.stream().filter((line) -> line.contains("WARN"))).hasSizeBetween(2, 8);
		assertThat(lines).hasSizeLessThanOrEqualTo(10)
			.anyMatch((line) -> line.contains("Provider 'flaky': circuit breaker CLOSED -> OPEN"))
			.anyMatch((line) -> line.contains("Provider 'flaky' failed (overloaded, HTTP 503)"))
			.anyMatch((line) -> line.contains("Provider 'blip' failed"))
			.noneMatch((line) -> line.contains("Provider 'blip': circuit breaker"));
		assertThat(output.getAll()).doesNotContain("\tat ").doesNotContain("canary-error-text");
	}

	@Test
	void everyEndpointActionLogsOneInfoLine(CapturedOutput output) {
		this.runner.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.withPropertyValues("resilient-ai.providers.openai.chat-model=openAiChatModel")
			.run((context) -> {
				ResilientAiEndpoint endpoint = new ResilientAiEndpoint(context.getBean(FailoverExecutor.class),
						java.time.Clock.systemUTC());
				for (String action : ResilientAiEndpoint.ACTIONS.stream().filter((a) -> !a.equals("drill")).toList()) {
					endpoint.update("openai", action);
				}
			});

		List<String> lines = output.getAll()
			.lines()
			.filter((line) -> line.contains("through the resilientai endpoint"))
			.toList();
		assertThat(lines).hasSize(ResilientAiEndpoint.ACTIONS.size() - 1);
		assertThat(lines.get(0)).contains("INFO")
			.contains("Provider 'openai': 'disable' through the resilientai endpoint; now disabled, breaker CLOSED");
		assertThat(lines.get(2)).contains("'open' through the resilientai endpoint; now enabled, breaker FORCED_OPEN");
		assertThat(lines.get(3)).contains("'close' through the resilientai endpoint; now enabled, breaker CLOSED");
		// a forced state is the operator's doing: logged once, by the endpoint, not as a transition
		assertThat(output.getAll()).doesNotContain("circuit breaker");
	}

	@Configuration(proxyBeanMethods = false)
	static class FlakyProviders {

		final AtomicInteger flakyCalls = new AtomicInteger();

		final AtomicInteger blipCalls = new AtomicInteger();

		/** A breaker that opens after two failures and half-opens a millisecond later: it flaps. */
		@Bean
		CircuitBreakerRegistry circuitBreakerRegistry() {
			CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
			registry.circuitBreaker("flaky",
					CircuitBreakerConfig.custom()
						.slidingWindowSize(2)
						.minimumNumberOfCalls(2)
						.permittedNumberOfCallsInHalfOpenState(1)
						.waitDurationInOpenState(Duration.ofMillis(1))
						.build());
			// never opens: a provider that fails every other request
			registry.circuitBreaker("blip", CircuitBreakerConfig.custom().failureRateThreshold(100).build());
			return registry;
		}

		@Bean
		ChatModel flakyModel() {
			return new ScriptedModel(() -> {
				this.flakyCalls.incrementAndGet();
				return false;
			});
		}

		@Bean
		ChatModel blipModel() {
			return new ScriptedModel(() -> this.blipCalls.incrementAndGet() % 2 == 0);
		}

	}

	/** Answers or fails with a 503-like error whose text must never reach the logs. */
	record ScriptedModel(java.util.function.BooleanSupplier answers) implements ChatModel {

		@Override
		public ChatResponse call(Prompt prompt) {
			if (!this.answers.getAsBoolean()) {
				throw new TransientAiException("HTTP 503 - canary-error-text");
			}
			return new ChatResponse(List.of(new Generation(new AssistantMessage("ok"),
					ChatGenerationMetadata.builder().finishReason("STOP").build())));
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.defer(() -> Flux.just(call(prompt)));
		}

	}

}
