package dev.resilientai.autoconfigure;

import dev.resilientai.failover.FailoverExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Startup validation of providers declared by type, and of provider names.
 */
@ExtendWith(OutputCaptureExtension.class)
class TypedProviderValidationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
		.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class);

	@Test
	void aProviderOfEveryTypeIsBuiltFromConfigurationAlone() {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=openai", "resilient-ai.providers.a.api-key=sk-a",
					"resilient-ai.providers.b.type=openai-compatible",
					"resilient-ai.providers.b.base-url=http://localhost:8000/v1",
					"resilient-ai.providers.c.type=anthropic", "resilient-ai.providers.c.api-key=sk-c",
					"resilient-ai.providers.d.type=ollama")
			.run((context) -> assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting((provider) -> provider.getModel().getClass().getSimpleName())
				.containsExactly("OpenAiChatModel", "OpenAiChatModel", "AnthropicChatModel", "OllamaChatModel"));
	}

	@Test
	void anUnknownTypeFailsNamingTheProperty() {
		this.runner.withPropertyValues("resilient-ai.providers.x.type=mistral")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("Failed to bind properties under 'resilient-ai.providers.x.type'")
				.rootCause()
				.hasMessageContaining("mistral"));
	}

	@Test
	void anOpenAiCompatibleProviderNeedsABaseUrl() {
		this.runner.withPropertyValues("resilient-ai.providers.vllm.type=openai-compatible")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.vllm.base-url"));
	}

	@Test
	void aMalformedBaseUrlFails() {
		this.runner
			.withPropertyValues("resilient-ai.providers.vllm.type=openai-compatible",
					"resilient-ai.providers.vllm.base-url=localhost:8000/v1")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.vllm.base-url"));
		this.runner
			.withPropertyValues("resilient-ai.providers.vllm.type=ollama",
					"resilient-ai.providers.vllm.base-url=http://bad host:11434")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.vllm.base-url"));
	}

	@Test
	void aKeySentOverPlainHttpToAnotherHostIsWarnedAboutWithoutTheKey(CapturedOutput output) {
		this.runner
			.withPropertyValues("resilient-ai.providers.remote.type=openai-compatible",
					"resilient-ai.providers.remote.base-url=http://gpu-box.internal:8000/v1",
					"resilient-ai.providers.remote.api-key=sk-canary-http-7c1",
					"resilient-ai.providers.near.type=openai-compatible",
					"resilient-ai.providers.near.base-url=http://127.0.0.1:8000/v1",
					"resilient-ai.providers.near.api-key=sk-canary-http-7c1")
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output).contains("resilient-ai.providers.remote.api-key is sent over plain http://")
			.doesNotContain("resilient-ai.providers.near.api-key is sent")
			.doesNotContain("sk-canary-http-7c1");
	}

	@Test
	void turningPromptLoggingOnOrInnerRetriesBackOnIsWarnedAboutAtStartup(CapturedOutput output) {
		this.runner
			.withPropertyValues("spring.ai.chat.observations.log-prompt=true",
					"logging.level.org.springframework.web.client.DefaultRestClient=DEBUG",
					"spring.ai.openai.max-retries=3")
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output).contains("spring.ai.chat.observations.log-prompt=true: prompt or completion text")
			.contains("logging.level.org.springframework.web.client.DefaultRestClient=DEBUG")
			.contains("spring.ai.openai.max-retries=3 makes one provider attempt up to 4 HTTP requests");
	}

	@Test
	void aProviderMayNotNameABeanAndAType() {
		this.runner
			.withPropertyValues("resilient-ai.providers.x.type=ollama",
					"resilient-ai.providers.x.chat-model=ollamaChatModel")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.x.type"));
	}

	@Test
	void providerNamesAreUniqueRegardlessOfCaseValidAndNotReserved() {
		this.runner
			.withPropertyValues("resilient-ai.providers.[Local].chat-model=ollamaChatModel",
					"resilient-ai.providers.[local].chat-model=openAiChatModel")
			.run((context) -> assertFailsNaming(context, "unique"));
		this.runner.withPropertyValues("resilient-ai.providers.fallback.chat-model=ollamaChatModel")
			.run((context) -> assertFailsNaming(context, "reserved"));
		this.runner.withPropertyValues("resilient-ai.providers.[my provider].chat-model=ollamaChatModel")
			.run((context) -> assertFailsNaming(context, "letters, digits"));
	}

	private static void assertFailsNaming(AssertableApplicationContext context, String text) {
		assertThat(context).getFailure().rootCause().hasMessageContaining(text);
	}

}
