package dev.resilientai;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.jayway.jsonpath.JsonPath;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.anthropic.AnthropicChatModel;
import org.springframework.ai.anthropic.AnthropicChatOptions;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.resilientai.support.ProviderStubs.ANTHROPIC_PATH;
import static dev.resilientai.support.ProviderStubs.OPENAI_PATH;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiSse;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tools declared in a provider model's own default options, through failover with the real
 * OpenAI and Anthropic models over HTTP: each provider is offered its own model's default
 * tools (never another model's, which may be meant for that provider only), and the
 * {@code ChatClient}'s tool loop, which knows every provider's default tools, runs a tool
 * whichever provider asked for it, on calls and streams. Tools named on a request replace the
 * models' defaults, as they do on a {@code ChatClient} over one model.
 */
@SpringBootTest(classes = ProviderDefaultToolsOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=jdk",
				"resilient-ai.providers.openai.chat-model=weatherOpenAi",
				"resilient-ai.providers.anthropic.chat-model=stockAnthropic",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel", "resilient-ai.failover.attempt-timeout=2s",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=100" })
class ProviderDefaultToolsOverHttpTests extends ThreeProviderHttpTests {

	private static final String OPENAI_TOOL_CALL = """
			{"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
			 "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,
			 "tool_calls":[{"id":"call_1","type":"function",
			 "function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
			 "logprobs":null,"finish_reason":"tool_calls"}],
			 "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}
			""";

	private static final String ANTHROPIC_TOOL_USE = """
			{"id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4-5",
			 "content":[{"type":"tool_use","id":"toolu_1","name":"stock","input":{"symbol":"ACME"}}],
			 "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}
			""";

	private static final String OPENAI_TOOL_CALL_SSE = """
			data: {"id":"chatcmpl-3","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}

			data: {"id":"chatcmpl-3","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":\\"Paris\\"}"}}]},"finish_reason":null}]}

			data: {"id":"chatcmpl-3","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

			data: [DONE]

			""";

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	WeatherTools weatherTools;

	@BeforeEach
	void toolCallingProviders() {
		this.weatherTools.calls.set(0);
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, OPENAI_TOOL_CALL)));
		openAiServer.stubFor(openAi().withRequestBody(matchingJsonPath("$.messages[?(@.role == 'tool')]"))
			.willReturn(jsonResponse(200, openAiCompletion("It is 21 degrees in Paris.", "stop"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, ANTHROPIC_TOOL_USE)));
		anthropicServer.stubFor(anthropic().withRequestBody(containing("\"tool_result\""))
			.willReturn(jsonResponse(200, anthropicMessage("Paris: 21 degrees.", "end_turn"))));
	}

	@Test
	void aDefaultToolOfTheAnsweringProviderRunsInTheClientsToolLoop() {
		ChatResponse response = this.chatClient.prompt().user("Weather in Paris?").call().chatResponse();

		assertThat(response.getResult().getOutput().getText()).isEqualTo("It is 21 degrees in Paris.");
		assertThat(this.weatherTools.calls).hasValue(1);
		List<LoggedRequest> requests = openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)));
		assertThat(requests).hasSize(2);
		// each provider is offered its own model's default tools, not the other models'
		assertThat(toolNames(requests.get(0), "$.tools[*].function.name")).containsExactly("weather");
		assertThat(requests.get(1).getBodyAsString()).contains("21 degrees in Paris (from the weather tool)");
	}

	@Test
	void aDefaultToolOfTheProviderFailoverReachesRunsInTheToolLoopAndOnlyItsOwnToolsAreOffered() {
		openAiServer.stubFor(openAi().atPriority(1)
			.willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));

		ChatResponse response = this.chatClient.prompt().user("Price of ACME?").call().chatResponse();

		assertThat(response.getResult().getOutput().getText()).isEqualTo("Paris: 21 degrees.");
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(this.weatherTools.calls).hasValue(0);
		List<LoggedRequest> requests = anthropicServer.findAll(postRequestedFor(urlPathEqualTo(ANTHROPIC_PATH)));
		assertThat(requests).hasSize(2);
		// Anthropic's model declares stock, not OpenAI's weather (which may be one only OpenAI may see)
		assertThat(toolNames(requests.get(0), "$.tools[*].name")).containsExactly("stock");
		assertThat(requests.get(1).getBodyAsString()).contains("ACME: 42 (from the stock tool)");
	}

	@Test
	void aStreamedCallOfADefaultToolRunsAndTheAnswerStreams() {
		openAiServer.stubFor(openAi().withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
			.willReturn(sseResponse(OPENAI_TOOL_CALL_SSE)));
		openAiServer.stubFor(openAi().withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
			.withRequestBody(matchingJsonPath("$.messages[?(@.role == 'tool')]"))
			.willReturn(sseResponse(openAiSse("It is 21 ", "degrees."))));

		List<String> chunks = this.chatClient.prompt().user("Weather in Paris?").stream().content().collectList()
			.block(java.time.Duration.ofSeconds(10));

		assertThat(String.join("", chunks)).isEqualTo("It is 21 degrees.");
		assertThat(this.weatherTools.calls).hasValue(1);
		List<LoggedRequest> requests = openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)));
		assertThat(requests).hasSize(2);
		assertThat(requests.get(1).getBodyAsString()).contains("21 degrees in Paris (from the weather tool)");
	}

	@Test
	void toolsNamedOnARequestReplaceTheModelsDefaultToolsAsOnAPlainChatClient(
			@Autowired @Qualifier("weatherOpenAi") OpenAiChatModel weatherOpenAi) {
		openAiServer.stubFor(openAi().atPriority(1)
			.willReturn(jsonResponse(200, openAiCompletion("It is noon.", "stop"))));

		this.chatClient.prompt().user("Time?").tools(new ClockTools()).call().content();
		ChatClient.builder(weatherOpenAi).build().prompt().user("Time?").tools(new ClockTools()).call().content();

		List<LoggedRequest> requests = openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)));
		assertThat(requests).hasSize(2);
		assertThat(toolNames(requests.get(0), "$.tools[*].function.name")).containsExactly("time");
		assertThat(toolNames(requests.get(1), "$.tools[*].function.name")).containsExactly("time");
	}

	private static List<String> toolNames(LoggedRequest request, String path) {
		return JsonPath.read(request.getBodyAsString(), path);
	}

	static class WeatherTools {

		final AtomicInteger calls = new AtomicInteger();

		@Tool(description = "The current temperature in a city")
		String weather(String city) {
			this.calls.incrementAndGet();
			return "21 degrees in " + city + " (from the weather tool)";
		}

	}

	static class StockTools {

		@Tool(description = "The price of a stock")
		String stock(String symbol) {
			return symbol + ": 42 (from the stock tool)";
		}

	}

	static class ClockTools {

		@Tool(description = "The time now")
		String time() {
			return "12:00";
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		WeatherTools weatherTools() {
			return new WeatherTools();
		}

		/** OpenAI's model with a default tool, as an application may declare it. */
		@Bean
		OpenAiChatModel weatherOpenAi(@Value("${spring.ai.openai.base-url}") String baseUrl, WeatherTools tools) {
			return OpenAiChatModel.builder()
				.options(OpenAiChatOptions.builder()
					.baseUrl(baseUrl)
					.apiKey("sk-test")
					.model("gpt-4o-mini")
					.maxRetries(0)
					.toolCallbacks(ToolCallbacks.from(tools))
					.build())
				.build();
		}

		/** Anthropic's model with another default tool. */
		@Bean
		AnthropicChatModel stockAnthropic(@Value("${spring.ai.anthropic.base-url}") String baseUrl) {
			return AnthropicChatModel.builder()
				.options(AnthropicChatOptions.builder()
					.baseUrl(baseUrl)
					.apiKey("sk-ant-test")
					.model("claude-haiku-4-5")
					.maxRetries(0)
					.toolCallbacks(ToolCallbacks.from(new StockTools()))
					.build())
				.build();
		}

		@Bean
		org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer<org.springframework.boot.http.client.JdkClientHttpRequestFactoryBuilder> http11() {
			return (builder) -> builder
				.withHttpClientCustomizer((client) -> client.version(java.net.http.HttpClient.Version.HTTP_1_1));
		}

	}

}
