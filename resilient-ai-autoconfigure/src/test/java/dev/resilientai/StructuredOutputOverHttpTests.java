package dev.resilientai;

import java.util.List;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.jayway.jsonpath.JsonPath;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.client.AdvisorParams;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ResponseEntity;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.converter.BeanOutputConverter;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.ParameterizedTypeReference;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.resilientai.support.ProviderStubs.ANTHROPIC_PATH;
import static dev.resilientai.support.ProviderStubs.OLLAMA_PATH;
import static dev.resilientai.support.ProviderStubs.OPENAI_PATH;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicError;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicSse;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structured output through failover, with the real OpenAI, Anthropic and Ollama models over
 * HTTP: {@code entity(...)} with native structured output sends the output's JSON schema in
 * each provider's own field (OpenAI {@code response_format}, Anthropic {@code output_config},
 * Ollama {@code format}) to whichever provider the attempt reaches, and format instructions in
 * the prompt to a provider set not to take a schema; without native structured output the
 * {@code ChatClient}'s own format instructions reach every provider, as they do over one model.
 */
@SpringBootTest(classes = StructuredOutputOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=jdk", "spring.ai.openai.chat.options.model=gpt-4o-mini",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.plain-ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.plain-ollama.native-structured-output=false",
				"resilient-ai.failover.attempt-timeout=2s",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=100" })
class StructuredOutputOverHttpTests extends ThreeProviderHttpTests {

	private static final String ANSWER = "{\"city\":\"Paris\",\"celsius\":21}";

	@Autowired
	ResilientChatClient chatClient;

	record Forecast(String city, int celsius) {
	}

	@BeforeEach
	void healthyProviders() {
		this.executor.getProviders().forEach((provider) -> {
			provider.setEnabled(!provider.getName().equals("plain-ollama"));
			provider.clearComebackProbe();
		});
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion(ANSWER, "stop"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage(ANSWER, "end_turn"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat(ANSWER))));
	}

	@Test
	void nativeStructuredOutputSendsTheSchemaInOpenAisResponseFormat() {
		Forecast forecast = askNatively();

		assertThat(forecast).isEqualTo(new Forecast("Paris", 21));
		String body = onlyBody(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH))));
		assertThat((String) JsonPath.read(body, "$.response_format.type")).isEqualTo("json_schema");
		assertThat((Object) JsonPath.read(body, "$.response_format.json_schema.schema.properties.celsius"))
			.isNotNull();
		assertThat(lastUserText(body, "$.messages[-1].content")).doesNotContain("JSON Schema")
			.doesNotContain("celsius");
	}

	@Test
	void nativeStructuredOutputSendsTheSchemaToAnthropicWhenOpenAiFails() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));

		ResponseEntity<ChatResponse, Forecast> entity = this.chatClient.prompt()
			.user("Weather in Paris?")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.responseEntity(Forecast.class);

		assertThat(entity.entity()).isEqualTo(new Forecast("Paris", 21));
		assertThat((String) entity.response().getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		String body = onlyBody(anthropicServer.findAll(postRequestedFor(urlPathEqualTo(ANTHROPIC_PATH))));
		assertThat((String) JsonPath.read(body, "$.output_config.format.type")).isEqualTo("json_schema");
		assertThat((Object) JsonPath.read(body, "$.output_config.format.schema.properties.celsius")).isNotNull();
		assertThat(body).doesNotContain("Answer with JSON only");
	}

	@Test
	void nativeStructuredOutputSendsTheSchemaAsOllamasFormatWhenTheOthersFail() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(500, anthropicError("api_error", "down"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("[" + ANSWER + "]"))));

		List<Forecast> forecasts = this.chatClient.prompt()
			.user("Weather in Paris?")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.entity(new ParameterizedTypeReference<List<Forecast>>() {
			});

		assertThat(forecasts).containsExactly(new Forecast("Paris", 21));
		String body = onlyBody(ollamaServer.findAll(postRequestedFor(urlPathEqualTo(OLLAMA_PATH))));
		assertThat((String) JsonPath.read(body, "$.format.type")).isEqualTo("array");
		assertThat((Object) JsonPath.read(body, "$.format.items.properties.celsius")).isNotNull();
		assertThat(body).doesNotContain("Answer with JSON only");
	}

	@Test
	void aProviderSetNotToTakeASchemaGetsFormatInstructionsInstead() {
		enableOnly("plain-ollama");

		Forecast forecast = askNatively();

		assertThat(forecast).isEqualTo(new Forecast("Paris", 21));
		String body = onlyBody(ollamaServer.findAll(postRequestedFor(urlPathEqualTo(OLLAMA_PATH))));
		assertThat(JsonPath.<java.util.Map<String, Object>>read(body, "$")).doesNotContainKey("format");
		String userText = lastUserText(body, "$.messages[-1].content");
		assertThat(userText).startsWith("Weather in Paris?")
			.contains("Answer with JSON only")
			.contains("\"celsius\"");
	}

	@Test
	void withoutNativeStructuredOutputEveryProviderGetsTheChatClientsFormatInstructions() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));

		Forecast forecast = this.chatClient.prompt().user("Weather in Paris?").call().entity(Forecast.class);

		assertThat(forecast).isEqualTo(new Forecast("Paris", 21));
		for (String body : List.of(onlyBody(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)))),
				onlyBody(anthropicServer.findAll(postRequestedFor(urlPathEqualTo(ANTHROPIC_PATH)))))) {
			assertThat(body).doesNotContain("response_format").doesNotContain("output_config");
			assertThat(body).contains("JSON Schema").contains("celsius");
		}
	}

	@Test
	void aPlainChatClientOverTheFailoverModelAlsoSendsTheSchemaNatively(
			@Autowired ChatClient.Builder chatClientBuilder) {
		Forecast forecast = chatClientBuilder.build()
			.prompt()
			.user("Weather in Paris?")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.entity(Forecast.class);

		assertThat(forecast).isEqualTo(new Forecast("Paris", 21));
		String body = onlyBody(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH))));
		assertThat((String) JsonPath.read(body, "$.response_format.type")).isEqualTo("json_schema");
	}

	@Test
	void aStreamAskedForASchemaSendsItNativelyToTheProviderThatStreams() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(
				sseResponse(anthropicSse("{\"city\":\"Paris\",", "\"celsius\":21}"))));
		String schema = new BeanOutputConverter<>(Forecast.class).getJsonSchema();

		String answer = String.join("", this.chatClient.prompt()
			.user("Weather in Paris?")
			.options(FailoverChatOptions.builder().outputSchema(schema))
			.stream()
			.content()
			.collectList()
			.block(java.time.Duration.ofSeconds(10)));

		assertThat(new BeanOutputConverter<>(Forecast.class).convert(answer)).isEqualTo(new Forecast("Paris", 21));
		assertThat(onlyBody(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)))))
			.contains("\"response_format\"");
		String body = onlyBody(anthropicServer.findAll(postRequestedFor(urlPathEqualTo(ANTHROPIC_PATH))));
		assertThat((Boolean) JsonPath.read(body, "$.stream")).isTrue();
		assertThat((Object) JsonPath.read(body, "$.output_config.format.schema.properties.celsius")).isNotNull();
	}

	private Forecast askNatively() {
		return this.chatClient.prompt()
			.user("Weather in Paris?")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.entity(Forecast.class);
	}

	private void enableOnly(String name) {
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(provider.getName().equals(name)));
	}

	private static String onlyBody(List<LoggedRequest> requests) {
		assertThat(requests).hasSize(1);
		return requests.get(0).getBodyAsString();
	}

	private static String lastUserText(String body, String path) {
		return JsonPath.read(body, path);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@org.springframework.context.annotation.Bean
		org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer<org.springframework.boot.http.client.JdkClientHttpRequestFactoryBuilder> http11() {
			return (builder) -> builder
				.withHttpClientCustomizer((client) -> client.version(java.net.http.HttpClient.Version.HTTP_1_1));
		}

	}

}
