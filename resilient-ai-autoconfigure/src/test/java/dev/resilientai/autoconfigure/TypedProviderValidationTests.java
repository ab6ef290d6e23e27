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
	void anUnknownTypeListsTheAcceptedValues() {
		this.runner.withPropertyValues("resilient-ai.providers.x.type=gemini")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("resilient-ai.providers.x.type")
				.rootCause()
				.hasMessage("Unknown provider type 'gemini'. Accepted values: openai, openai-compatible, anthropic, ollama."));
	}

	@Test
	void typesBindAsRelaxedlyAsEnums() {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=OPENAI_COMPATIBLE",
					"resilient-ai.providers.a.base-url=http://localhost:8000/v1", "resilient-ai.providers.b.type=Ollama")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void anApiKeyWithAnUnresolvedPlaceholderFailsNamingThePropertyButNotTheRestOfTheValue() {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=openai",
					"resilient-ai.providers.a.api-key=sk-canary-prefix-${RESILIENT_AI_TEST_MISSING_KEY}")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.a.api-key")
				.hasMessageContaining("${RESILIENT_AI_TEST_MISSING_KEY}")
				.hasMessageNotContaining("sk-canary-prefix"));
	}

	@Test
	void aBlankApiKeyOfOpenAiOrAnthropicIsWarnedAbout(CapturedOutput output) {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=openai", "resilient-ai.providers.a.api-key=",
					"resilient-ai.providers.c.type=anthropic", "resilient-ai.providers.c.api-key= ")
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output).contains("resilient-ai.providers.a.api-key is blank: OpenAI will most likely refuse")
			.contains("api-key to let the SDK read OPENAI_API_KEY")
			.contains("resilient-ai.providers.c.api-key is blank: Anthropic will most likely refuse");
	}

	@Test
	void anUnresolvedSpringAiKeyOfAModelAProviderUsesIsWarnedAbout(CapturedOutput output) {
		this.runner
			.withPropertyValues("spring.ai.openai.api-key=${RESILIENT_AI_TEST_MISSING_OPENAI_KEY}",
					"spring.ai.anthropic.api-key=${RESILIENT_AI_TEST_MISSING_ANTHROPIC_KEY}",
					"resilient-ai.providers.openai.chat-model=openAiChatModel")
			.run((context) -> assertThat(context).hasNotFailed());

		assertThat(output)
			.contains("spring.ai.openai.api-key holds the unresolved placeholder ${RESILIENT_AI_TEST_MISSING_OPENAI_KEY}, "
					+ "used by resilient-ai.providers.openai.chat-model=openAiChatModel")
			// no provider uses the Anthropic model
			.doesNotContain("spring.ai.anthropic.api-key holds");
	}

	@Test
	void aBaseUrlEndingWithThePathTheClientAppendsFails() {
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=openai",
					"resilient-ai.providers.a.base-url=https://api.openai.com/v1/chat/completions")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.a.base-url")
				.hasMessageContaining("ends with /chat/completions")
				.hasMessageContaining("ends with /v1"));
		this.runner
			.withPropertyValues("resilient-ai.providers.c.type=anthropic",
					"resilient-ai.providers.c.base-url=https://api.anthropic.com/v1/messages/")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.c.base-url"));
	}

	@Test
	void theFailoverModelCannotBeAProvider() {
		this.runner.withPropertyValues("resilient-ai.providers.self.chat-model=resilientAiChatModel")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("resilient-ai.providers.self.chat-model")
				.hasMessageContaining("failover model"));
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
