package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.annotation.Tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The failover model's default options: every provider's default tools and tool context,
 * told apart by name.
 */
class FailoverChatModelDefaultsTests {

	@Test
	void defaultToolsOfEveryProviderAreOfferedOnceEach() {
		FailoverChatModel model = failoverModel(modelWithTools(new Lookup(), new Weather()),
				modelWithTools(new Lookup(), new Stock()));

		assertThat(toolNames(model.getOptions())).containsExactly("lookup", "weather", "stock");
		assertThat(toolNames(model.routedView().getOptions())).containsExactly("lookup", "weather", "stock");
	}

	@Test
	void twoDifferentDefaultToolsOfOneNameAreAStartupError() {
		assertThatIllegalStateException()
			.isThrownBy(() -> failoverModel(modelWithTools(new Lookup()), modelWithTools(new OtherLookup())))
			.withMessageContaining("Providers 'p0' and 'p1' declare different default tools named 'lookup'");
	}

	@Test
	void defaultToolContextsAreMergedAndAClashIsAStartupError() {
		FailoverChatModel model = failoverModel(modelWithContext("tenant", "acme"), modelWithContext("region", "eu"));
		assertThat(((ToolCallingChatOptions) model.getOptions()).getToolContext())
			.containsExactlyInAnyOrderEntriesOf(java.util.Map.of("tenant", "acme", "region", "eu"));

		assertThatIllegalStateException()
			.isThrownBy(() -> failoverModel(modelWithContext("tenant", "acme"), modelWithContext("tenant", "other")))
			.withMessageContaining("different default tool-context values for 'tenant'");
	}

	@Test
	void modelsWithoutToolOptionsAddNothing() {
		FailoverChatModel model = failoverModel(new OptionsModel(ChatOptions.builder().temperature(0.1).build()));

		assertThat(((ToolCallingChatOptions) model.getOptions()).getToolCallbacks()).isNullOrEmpty();
	}

	private static List<String> toolNames(ChatOptions options) {
		return ((ToolCallingChatOptions) options).getToolCallbacks()
			.stream()
			.map((tool) -> tool.getToolDefinition().name())
			.toList();
	}

	private static ChatModel modelWithTools(Object... tools) {
		ToolCallback[] callbacks = ToolCallbacks.from(tools);
		return new OptionsModel(ToolCallingChatOptions.builder().toolCallbacks(callbacks).build());
	}

	private static ChatModel modelWithContext(String key, String value) {
		return new OptionsModel(ToolCallingChatOptions.builder().toolContext(key, value).build());
	}

	private static FailoverChatModel failoverModel(ChatModel... models) {
		List<Provider> providers = new java.util.ArrayList<>();
		for (int i = 0; i < models.length; i++) {
			providers.add(new Provider("p" + i, i, Duration.ofSeconds(1), true, models[i],
					CircuitBreaker.ofDefaults("p" + i)));
		}
		Clock clock = Clock.systemUTC();
		return new FailoverChatModel(new FailoverExecutor(providers, FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), clock));
	}

	private record OptionsModel(ChatOptions options) implements ChatModel {

		@Override
		public ChatResponse call(Prompt prompt) {
			throw new UnsupportedOperationException();
		}

		@Override
		public ChatOptions getOptions() {
			return this.options;
		}

	}

	static class Lookup {

		@Tool(description = "Look a word up")
		String lookup(String word) {
			return word;
		}

	}

	static class OtherLookup {

		@Tool(name = "lookup", description = "Look a customer up")
		String find(String id) {
			return id;
		}

	}

	static class Weather {

		@Tool(description = "The weather")
		String weather(String city) {
			return city;
		}

	}

	static class Stock {

		@Tool(description = "A stock price")
		String stock(String symbol) {
			return symbol;
		}

	}

}
