package dev.resilientai.autoconfigure;

import java.lang.reflect.Method;
import java.util.Arrays;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wiring of {@link ResilientAiAutoConfiguration}.
 */
class ResilientAiAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
				HttpCancellationAutoConfiguration.class, CircuitBreakerAutoConfiguration.class))
		.withUserConfiguration(ThreeModels.class);

	@Test
	void whenNoProvidersAreConfiguredThenEveryChatModelBeanBecomesOneNamedAfterItsBean() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(ResilientChatClient.class).hasSingleBean(FailoverChatModel.class);
			assertThat(context.getBean(FailoverExecutor.class).getProviders()).extracting(Provider::getName)
				.containsExactly("openai", "anthropic", "ollama");
			assertThat(context.getBean(ChatModel.class)).isInstanceOf(FailoverChatModel.class);
		});
	}

	@Test
	void aProviderCanRequireEndMarkersOfAModelThatDoesNotGuaranteeThem() {
		this.runner
			.withPropertyValues("resilient-ai.providers.strict.chat-model=openAiChatModel",
					"resilient-ai.providers.strict.require-end-marker=true",
					"resilient-ai.providers.lenient.chat-model=anthropicChatModel")
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting(Provider::getName, Provider::isEndMarkerRequired)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("strict", true),
						org.assertj.core.groups.Tuple.tuple("lenient", false)));
	}

	@Test
	void nativeStructuredOutputCanBeTurnedOffButNotOnForAModelThatTakesNoSchema() {
		this.runner
			.withBean("schemaModel", ChatModel.class, () -> new SchemaModel())
			.withPropertyValues("resilient-ai.providers.a.chat-model=schemaModel",
					"resilient-ai.providers.b.chat-model=schemaModel",
					"resilient-ai.providers.b.native-structured-output=false",
					"resilient-ai.providers.c.chat-model=openAiChatModel")
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting(Provider::getName, Provider::isNativeStructuredOutput)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("a", true),
						org.assertj.core.groups.Tuple.tuple("b", false), org.assertj.core.groups.Tuple.tuple("c", false)));
		this.runner
			.withPropertyValues("resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.a.native-structured-output=true")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.a.native-structured-output")
				.hasMessageContaining("takes no output schema"));
	}

	/** A model whose options take an output schema, as OpenAI's, Anthropic's and Ollama's do. */
	static class SchemaModel implements ChatModel {

		@Override
		public ChatResponse call(Prompt prompt) {
			throw new UnsupportedOperationException();
		}

		@Override
		public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
			return org.springframework.ai.model.tool.StructuredOutputChatOptions.builder().build();
		}

	}

	@Test
	void providersAreOrderedByPriorityWithDeclarationOrderBreakingTiesAndUnsetLast() {
		this.runner
			.withPropertyValues("resilient-ai.providers.c.chat-model=ollamaChatModel",
					"resilient-ai.providers.b.chat-model=anthropicChatModel", "resilient-ai.providers.b.priority=5",
					"resilient-ai.providers.a.chat-model=openAiChatModel", "resilient-ai.providers.a.priority=5",
					"resilient-ai.providers.z.chat-model=openAiChatModel", "resilient-ai.providers.z.priority=1")
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting(Provider::getName)
				.containsExactly("z", "b", "a", "c"));
	}

	@Test
	void providerTimeoutsFallBackToTheSharedAttemptTimeout() {
		this.runner
			.withPropertyValues("resilient-ai.failover.attempt-timeout=7s",
					"resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.b.chat-model=ollamaChatModel", "resilient-ai.providers.b.timeout=2s")
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting((provider) -> provider.getTimeout().toSeconds())
				.containsExactly(7L, 2L));
	}

	@Test
	void aChatClientBeanCanBeAProvider() {
		this.runner.withUserConfiguration(ClientConfiguration.class)
			.withPropertyValues("resilient-ai.providers.assistant.chat-client=assistantClient")
			.run((context) -> {
				ChatResponse response = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("hi")
					.call()
					.chatResponse();
				assertThat(response.getResult().getOutput().getText()).isEqualTo("ollama");
				assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("assistant");
			});
	}

	@Test
	void toolsWorkThroughTheFailoverModel() {
		this.runner.withUserConfiguration(ToolCallingModel.class)
			.withPropertyValues("resilient-ai.providers.tools.chat-model=toolCallingModel")
			.run((context) -> {
				String answer = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("What is the weather?")
					.tools(new WeatherTools())
					.call()
					.content();
				assertThat(answer).isEqualTo("The tool said: sunny");
			});
	}

	@Test
	void aDisabledProviderIsKeptButSkipped() {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.a.enabled=false", "resilient-ai.providers.b.chat-model=ollamaChatModel")
			.run((context) -> assertThat(context.getBean(ResilientChatClient.class).prompt().user("hi").call().content())
				.isEqualTo("ollama"));
	}

	@Test
	void eachProviderGetsABreakerFromTheSharedResilientAiConfiguration() {
		this.runner
			.withPropertyValues("resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=3",
					"resilient-ai.providers.a.chat-model=openAiChatModel", "resilient-ai.providers.a.timeout=10s")
			.run((context) -> {
				CircuitBreaker breaker = context.getBean(CircuitBreakerRegistry.class).circuitBreaker("a");
				assertThat(breaker.getCircuitBreakerConfig().getMinimumNumberOfCalls()).isEqualTo(3);
				assertThat(breaker.getCircuitBreakerConfig().getSlowCallDurationThreshold().toMillis())
					.isEqualTo(8000);
			});
	}

	@Test
	void aBreakerInstanceConfiguredWithResilience4jKeysIsUsedAsIs() {
		this.runner
			.withPropertyValues("resilience4j.circuitbreaker.instances.a.failure-rate-threshold=20",
					"resilience4j.circuitbreaker.instances.a.minimum-number-of-calls=7",
					"resilient-ai.providers.a.chat-model=openAiChatModel")
			.run((context) -> {
				Provider provider = context.getBean(FailoverExecutor.class).getProviders().get(0);
				assertThat(provider.getCircuitBreaker().getCircuitBreakerConfig().getFailureRateThreshold())
					.isEqualTo(20f);
				assertThat(provider.getCircuitBreaker().getCircuitBreakerConfig().getMinimumNumberOfCalls())
					.isEqualTo(7);
			});
	}

	@Test
	void withoutResilience4jAutoConfigurationTheLlmDefaultsApply() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
			.withUserConfiguration(ThreeModels.class)
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class)
				.getProviders()
				.get(0)
				.getCircuitBreaker()
				.getCircuitBreakerConfig()
				.getMinimumNumberOfCalls()).isEqualTo(ProviderFactory.LLM_DEFAULTS.getMinimumNumberOfCalls()));
	}

	@Test
	void anUnknownBeanFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("resilient-ai.providers.openai.chat-model=gptModel")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("resilient-ai.providers.openai.chat-model")
				.hasMessageContaining("gptModel"));
	}

	@Test
	void aBeanOfTheWrongTypeFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("resilient-ai.providers.openai.chat-client=openAiChatModel")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.openai.chat-client"));
	}

	@Test
	void aProviderWithNeitherBeanNorClientFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("resilient-ai.providers.openai.priority=1")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.openai.chat-model"));
	}

	@Test
	void aNegativeOrZeroTimeoutFailsStartupNamingTheProperty() {
		this.runner
			.withPropertyValues("resilient-ai.providers.openai.chat-model=openAiChatModel",
					"resilient-ai.providers.openai.timeout=-1s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.openai.timeout"));
		this.runner.withPropertyValues("resilient-ai.failover.timeout=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.failover.timeout"));
	}

	@Test
	void zeroAttemptsPerProviderFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("resilient-ai.failover.max-attempts-per-provider=0")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.failover.max-attempts-per-provider"));
	}

	@Test
	void noChatModelAtAllFailsStartupWithAClearMessage() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers"));
	}

	@Test
	void aUserDefinedResilientChatClientReplacesOurs() {
		this.runner.withUserConfiguration(CustomClient.class)
			.run((context) -> assertThat(context.getBean(ResilientChatClient.class))
				.isSameAs(context.getBean("myClient")));
	}

	@Test
	void withoutAPrimaryChatModelOfTheApplicationTheFailoverModelIsThePrimaryOneAndSpringAisChatClientUsesIt() {
		this.runner.withConfiguration(AutoConfigurations.of(ChatClientAutoConfiguration.class))
			.withPropertyValues("resilient-ai.providers.a.chat-model=openAiChatModel")
			.run((context) -> {
				assertThat(context.getBean(ChatModel.class)).isSameAs(context.getBean("resilientAiChatModel"));
				ChatResponse response = context.getBean(ChatClient.Builder.class)
					.build()
					.prompt()
					.user("hi")
					.call()
					.chatResponse();
				assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("a");
			});
	}

	@Test
	void withAPrimaryChatModelOfTheApplicationItStaysTheChatModelAndResilientChatClientStillFailsOver() {
		this.runner.withConfiguration(AutoConfigurations.of(ChatClientAutoConfiguration.class))
			.withUserConfiguration(PrimaryModel.class)
			.withPropertyValues("resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.a.enabled=false", "resilient-ai.providers.b.chat-model=anthropicChatModel")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(ChatModel.class)).isSameAs(context.getBean("myPrimaryModel"));
				assertThat(context.getBean(ChatClient.Builder.class).build().prompt().user("hi").call().content())
					.isEqualTo("mine");
				ChatResponse response = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("hi")
					.call()
					.chatResponse();
				assertThat(response.getResult().getOutput().getText()).isEqualTo("anthropic");
				assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("b");
				assertThat(context.getBean(FailoverChatModel.class)).isSameAs(context.getBean("resilientAiChatModel"));
			});
	}

	@Test
	void aPrimaryChatModelRegisteredWithoutAFactoryMethodStaysTheChatModelToo() {
		this.runner.withConfiguration(AutoConfigurations.of(ChatClientAutoConfiguration.class))
			.withBean("registeredModel", MineModel.class, MineModel::new, (definition) -> definition.setPrimary(true))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(ChatModel.class)).isSameAs(context.getBean("registeredModel"));
				assertThat(context.getBean(ChatClient.Builder.class).build().prompt().user("hi").call().content())
					.isEqualTo("mine");
			});
	}

	@Test
	void everyBeanMethodIsConditionalOnMissingBean() {
		for (Class<?> type : new Class<?>[] { ResilientAiAutoConfiguration.class,
				HttpCancellationAutoConfiguration.OpenAiCancellationConfiguration.class,
				HttpCancellationAutoConfiguration.AnthropicCancellationConfiguration.class }) {
			Arrays.stream(type.getDeclaredMethods())
				.filter((method) -> method.isAnnotationPresent(Bean.class))
				.forEach((Method method) -> assertThat(method.isAnnotationPresent(ConditionalOnMissingBean.class))
					.as(type.getSimpleName() + "." + method.getName())
					.isTrue());
		}
	}

	static ChatModel fixed(String answer) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return new ChatResponse(java.util.List.of(new Generation(new AssistantMessage(answer))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

	@Configuration(proxyBeanMethods = false)
	static class PrimaryModel {

		@Bean
		@org.springframework.context.annotation.Primary
		ChatModel myPrimaryModel() {
			return fixed("mine");
		}

	}

	static class MineModel implements ChatModel {

		@Override
		public ChatResponse call(Prompt prompt) {
			return fixed("mine").call(prompt);
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.just(call(prompt));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ThreeModels {

		@Bean
		ChatModel openAiChatModel() {
			return fixed("openai");
		}

		@Bean
		ChatModel anthropicChatModel() {
			return fixed("anthropic");
		}

		@Bean
		ChatModel ollamaChatModel() {
			return fixed("ollama");
		}

	}

	static class WeatherTools {

		@org.springframework.ai.tool.annotation.Tool(description = "Current weather")
		String weather() {
			return "sunny";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ToolCallingModel {

		/** Asks for the weather tool, then answers with what the tool returned. */
		@Bean
		ChatModel toolCallingModel() {
			return new ChatModel() {

				@Override
				public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
					return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().build();
				}

				@Override
				public ChatResponse call(Prompt prompt) {
					org.springframework.ai.chat.messages.Message last = prompt.getInstructions()
						.get(prompt.getInstructions().size() - 1);
					if (last instanceof org.springframework.ai.chat.messages.ToolResponseMessage toolResponse) {
						return new ChatResponse(java.util.List.of(new Generation(new AssistantMessage(
								"The tool said: " + toolResponse.getResponses().get(0).responseData().replace("\"", "")))));
					}
					assertThat(((org.springframework.ai.model.tool.ToolCallingChatOptions) prompt.getOptions())
						.getToolCallbacks()).extracting((callback) -> callback.getToolDefinition().name())
						.containsExactly("weather");
					AssistantMessage toolCall = AssistantMessage.builder()
						.content("")
						.toolCalls(java.util.List.of(new AssistantMessage.ToolCall("call-1", "function", "weather", "{}")))
						.build();
					return new ChatResponse(java.util.List.of(new Generation(toolCall)));
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ClientConfiguration {

		@Bean
		ChatClient assistantClient(org.springframework.beans.factory.BeanFactory beanFactory) {
			return ChatClient.create(beanFactory.getBean("ollamaChatModel", ChatModel.class));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class CustomClient {

		@Bean
		ResilientChatClient myClient(FailoverChatModel model) {
			return new dev.resilientai.client.DefaultResilientChatClient(ChatClient.create(model));
		}

	}

}
