package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.anthropic.models.messages.OutputConfig;
import dev.resilientai.provider.ChatClientChatModel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import org.springframework.ai.anthropic.AnthropicChatModel;
import org.springframework.ai.anthropic.AnthropicChatOptions;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.converter.BeanOutputConverter;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.annotation.Tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Hostile review of issue 14 at the level of one provider's prompt and the failover model's
 * defaults. Every test here FAILS on the reviewed code; each states the expected behaviour
 * and why.
 */
class ProviderPromptReviewTests {

	/**
	 * Expected: a request's tools reach a provider declared with {@code chat-client:} (a
	 * {@link ChatClientChatModel}, whose own {@code ChatClient} runs tools perfectly well),
	 * as the docs promise ("every provider is offered every default tool"; tools "as on one
	 * model"). The model's options are {@code ChatModel}'s default {@code DefaultChatOptions},
	 * so {@code Provider.promptFor} builds the provider's options from a
	 * {@code DefaultChatOptionsBuilder}, whose {@code combineWith} keeps only the portable
	 * scalar options: the tools are dropped and a request that fails over to this provider
	 * is answered as if it had none. Custom {@code ChatModel}s that keep the interface's
	 * default {@code getOptions()} lose them the same way (only a {@code null} options model
	 * keeps them).
	 */
	@Test
	void aChatClientProviderIsOfferedTheRequestsTools() {
		RecordingModel inner = new RecordingModel(ToolCallingChatOptions.builder().build());
		FailoverChatModel failover = failoverModel(new ChatClientChatModel(ChatClient.builder(inner).build()));

		failover.call(new Prompt("Weather in Paris?",
				FailoverChatOptions.builder().toolCallbacks(ToolCallbacks.from(new Weather())).build()));

		assertThat(inner.prompts).hasSize(1);
		assertThat(inner.prompts.get(0).getOptions()).isInstanceOf(ToolCallingChatOptions.class);
		assertThat(((ToolCallingChatOptions) inner.prompts.get(0).getOptions()).getToolCallbacks())
			.extracting((tool) -> tool.getToolDefinition().name())
			.containsExactly("weather");
	}

	/**
	 * Expected: with {@code native-structured-output: false}, Anthropic gets the schema as
	 * format instructions and otherwise its own options unchanged, its default effort
	 * included. {@code Provider.promptFor} clears the schema with
	 * {@code outputSchema(null)}, and Anthropic's builder implements that as
	 * {@code outputConfig = null}, which also drops the {@code effort} configured on the
	 * model: turning native structured output off silently changes the model's reasoning
	 * effort for every structured request.
	 */
	@Test
	void formatInstructionsForAnthropicKeepTheModelsEffort() {
		AnthropicChatModel model = AnthropicChatModel.builder()
			.options(AnthropicChatOptions.builder().apiKey("sk-ant-test").model("claude-haiku-4-5")
				.effort(OutputConfig.Effort.HIGH).build())
			.build();
		Provider provider = provider("anthropic", model);
		provider.setNativeStructuredOutput(false);
		String schema = new BeanOutputConverter<>(Forecast.class).getJsonSchema();

		Prompt adapted = provider.promptFor(new Prompt("Weather?", FailoverChatOptions.builder().outputSchema(schema).build()));

		assertThat(adapted.getUserMessage().getText()).contains("Answer with JSON only");
		OutputConfig config = ((AnthropicChatOptions) adapted.getOptions()).getOutputConfig();
		assertThat(config).as("Anthropic's output_config after format instructions").isNotNull();
		assertThat(config.effort()).contains(OutputConfig.Effort.HIGH);
		assertThat(config.format()).isEmpty();
	}

	/**
	 * Expected: "two different tools of one name are a startup error" (docs/chat-client.md).
	 * Two default tools named {@code lookup} with the same description and input schema but
	 * different behaviour, one of them {@code returnDirect} (its result goes straight to the
	 * caller, never back to the model), are different tools; {@code FailoverChatModel}
	 * compares only their {@code ToolDefinition}s, keeps the first and silently drops the
	 * other, so when the second provider asks for {@code lookup} the first provider's
	 * callback runs and the answer's shape changes.
	 */
	@Test
	void twoDefaultToolsOfOneNameThatDifferInReturnDirectAreAStartupError() {
		ChatModel first = new RecordingModel(ToolCallingChatOptions.builder().toolCallbacks(ToolCallbacks.from(new Lookup())).build());
		ChatModel second = new RecordingModel(
				ToolCallingChatOptions.builder().toolCallbacks(ToolCallbacks.from(new DirectLookup())).build());

		assertThatIllegalStateException().isThrownBy(() -> failoverModel(first, second))
			.withMessageContaining("'lookup'");
	}

	/**
	 * Expected: Spring AI's portable way to ask for a schema,
	 * {@code .options(StructuredOutputChatOptions.builder().outputSchema(schema))}, sets the
	 * failover options' schema, as {@code FailoverChatOptions.builder().outputSchema(schema)}
	 * does and as a direct {@code failoverModel.call(...)} with those options already does
	 * ({@code Provider.promptFor} reads any {@code StructuredOutputChatOptions}).
	 * {@code FailoverChatOptions.Builder.combineWith} excludes only
	 * {@code DefaultChatOptionsBuilder} and {@code DefaultToolCallingChatOptions.Builder} from
	 * the provider-specific options, so {@code DefaultStructuredOutputChatOptions} is kept
	 * aside as the options of a "provider kind" no provider has, and the schema never reaches
	 * any provider: no {@code response_format}, and no format instructions either.
	 */
	@Test
	void aSchemaGivenAsSpringAisPortableStructuredOutputOptionsReachesTheProvider() {
		RecordingModel openAi = new RecordingModel(OpenAiChatOptions.builder().model("gpt-4o-mini").build());
		FailoverChatModel failover = failoverModel(openAi);
		String schema = new BeanOutputConverter<>(Forecast.class).getJsonSchema();

		ChatClient.builder(failover)
			.build()
			.prompt()
			.user("Weather?")
			.options(StructuredOutputChatOptions.builder().outputSchema(schema))
			.call()
			.content();

		assertThat(openAi.prompts).hasSize(1);
		assertThat(((OpenAiChatOptions) openAi.prompts.get(0).getOptions()).getOutputSchema()).isEqualTo(schema);
	}

	private static Provider provider(String name, ChatModel model) {
		return new Provider(name, 0, Duration.ofSeconds(1), true, model, CircuitBreaker.ofDefaults(name));
	}

	private static FailoverChatModel failoverModel(ChatModel... models) {
		List<Provider> providers = new java.util.ArrayList<>();
		for (int i = 0; i < models.length; i++) {
			providers.add(new Provider("p" + i, i, Duration.ofSeconds(5), true, models[i],
					CircuitBreaker.ofDefaults("review-p" + i)));
		}
		Clock clock = Clock.systemUTC();
		return new FailoverChatModel(new FailoverExecutor(providers, FailoverSettings.of(Duration.ofSeconds(10)),
				new ErrorClassifier(clock), clock));
	}

	/** A model that records its prompts and answers "ok". */
	private record RecordingModel(ChatOptions options, List<Prompt> prompts) implements ChatModel {

		RecordingModel(ChatOptions options) {
			this(options, new CopyOnWriteArrayList<>());
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			this.prompts.add(prompt);
			return new ChatResponse(List.of(new Generation(new AssistantMessage("ok"))));
		}

		@Override
		public ChatOptions getOptions() {
			return this.options;
		}

	}

	record Forecast(String city, int celsius) {
	}

	static class Weather {

		@Tool(description = "The weather")
		String weather(String city) {
			return city;
		}

	}

	static class Lookup {

		@Tool(description = "Look a word up")
		String lookup(String word) {
			return word;
		}

	}

	static class DirectLookup {

		@Tool(description = "Look a word up", returnDirect = true)
		String lookup(String word) {
			return "DIRECT " + word;
		}

	}

}
