package dev.resilientai;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.jayway.jsonpath.JsonPath;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.anthropic.AnthropicChatModel;
import org.springframework.ai.anthropic.AnthropicChatOptions;
import org.springframework.ai.chat.client.AdvisorParams;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.ollama.api.OllamaChatOptions;
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
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.resilientai.support.ProviderStubs.ANTHROPIC_PATH;
import static dev.resilientai.support.ProviderStubs.OLLAMA_PATH;
import static dev.resilientai.support.ProviderStubs.OPENAI_PATH;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaError;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile review of issue 14 ("a true drop-in ChatClient"), with the real OpenAI, Anthropic
 * and Ollama models over HTTP. Every test here FAILS on the reviewed code: each one states
 * the behaviour expected and why, and the report that goes with the commit names the root
 * cause.
 * <p>
 * Set-up: OpenAI's model declares a default tool ({@code weather}); Anthropic's model, the
 * only provider allowed {@code phi}, declares a default tool that returns patient records
 * ({@code patient_record}); Ollama's model declares none (as a local model without tool
 * support would).
 */
@SpringBootTest(classes = ChatClientReviewTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=jdk", "resilient-ai.failover.timeout=10s",
				"resilient-ai.failover.attempt-timeout=2s", "resilient-ai.data-classes=public,phi",
				"resilient-ai.default-data-class=public",
				"resilient-ai.providers.openai.chat-model=weatherOpenAi",
				"resilient-ai.providers.openai.priority=10",
				"resilient-ai.providers.openai.allowed-data-classes=public",
				"resilient-ai.providers.anthropic.chat-model=recordsAnthropic",
				"resilient-ai.providers.anthropic.priority=20",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,phi",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.priority=30",
				"resilient-ai.providers.ollama.allowed-data-classes=public",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000" })
class ChatClientReviewTests extends ThreeProviderHttpTests {

	@Autowired
	ResilientChatClient chatClient;

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	/**
	 * Expected: a tool declared only on the model of the provider allowed {@code phi} (it
	 * returns patient records) is never offered to a provider that is not allowed
	 * {@code phi}. Before issue 14 each provider was offered its own model's tools only; now
	 * {@code FailoverChatModel.defaultOptions} puts every model's default tools into the
	 * failover model's defaults and {@code Provider.promptFor} replaces each model's own tools
	 * with that union, so OpenAI (public only) is offered {@code patient_record}, and if it
	 * asks for it the client's tool loop runs it and sends the patient record to OpenAI. The
	 * data-class routing this starter exists for is bypassed through a tool.
	 */
	@Test
	void aToolOfTheOnlyProviderAllowedPhiIsNotOfferedToAProviderNotAllowedPhi() {
		String answer = this.chatClient.prompt().user("Hello").call().content();

		assertThat(answer).isEqualTo("from openai");
		List<String> offered = JsonPath.read(onlyBody(openAiServer, OPENAI_PATH), "$.tools[*].function.name");
		assertThat(offered).doesNotContain("patient_record");
	}

	/**
	 * Expected: when OpenAI and Anthropic cannot serve, the request fails over to the local
	 * Ollama model, which declares no tools and, like many local models, rejects a request
	 * that carries any ({@code 400 "... does not support tools"}). Before issue 14 Ollama got
	 * its own (no) tools and answered. Now every provider is offered the union of the other
	 * models' default tools, the 400 is an INVALID_REQUEST (no failover) and the request that
	 * the last healthy provider could serve fails: another provider's configuration breaks
	 * failover to this one.
	 */
	@Test
	void aFailoverToALocalModelWithoutToolSupportIsNotBrokenByTheOtherModelsDefaultTools() {
		// Ollama's request always carries "tools" (an empty list without tools): match a tool
		ollamaServer.stubFor(ollama().withRequestBody(matchingJsonPath("$.tools[0]"))
			.atPriority(1)
			.willReturn(jsonResponse(400, ollamaError("registry.ollama.ai/library/llama3.2:latest does not support tools"))));
		enableOnly("ollama");

		String answer = this.chatClient.prompt().user("Hello").call().content();

		assertThat(answer).isEqualTo("from local");
	}

	/**
	 * Expected, as on a {@code ChatClient} over OpenAI's model alone: tools named on the
	 * request ({@code tools(...)}) replace every other tool, those of provider-specific
	 * options given on the same request included; Spring AI's client builds the prompt's
	 * tool list from the request's tools only. Through failover, the request's
	 * {@code OpenAiChatOptions} are kept aside as provider-specific options and
	 * {@code Provider.promptFor} merges their tools back in after the replacement, so OpenAI is
	 * offered {@code stock} as well, a tool the client's tool loop does not have (its prompt
	 * options hold only {@code time}): if OpenAI asks for it the request fails with "No
	 * ToolCallback found for tool name: stock".
	 */
	@Test
	void toolsOfProviderSpecificOptionsAreReplacedByTheRequestsToolsAsOnAPlainChatClient(
			@Autowired @Qualifier("weatherOpenAi") OpenAiChatModel weatherOpenAi) {
		this.chatClient.prompt()
			.user("Time?")
			.options(OpenAiChatOptions.builder().toolCallbacks(List.of(ToolCallbacks.from(new StockTools()))))
			.tools(new ClockTools())
			.call()
			.content();
		ChatClient.builder(weatherOpenAi)
			.build()
			.prompt()
			.user("Time?")
			.options(OpenAiChatOptions.builder().toolCallbacks(List.of(ToolCallbacks.from(new StockTools()))))
			.tools(new ClockTools())
			.call()
			.content();

		List<LoggedRequest> requests = openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)));
		assertThat(requests).hasSize(2);
		List<String> plainClient = JsonPath.read(requests.get(1).getBodyAsString(), "$.tools[*].function.name");
		assertThat(plainClient).containsExactly("time");
		List<String> throughFailover = JsonPath.read(requests.get(0).getBodyAsString(), "$.tools[*].function.name");
		assertThat(throughFailover).isEqualTo(plainClient);
	}

	/**
	 * Expected: the schema sent natively is a valid, self-contained JSON schema whichever
	 * provider the attempt reaches. A data class with two fields of one record type makes
	 * Spring AI's generator emit {@code $defs} and {@code $ref: "#/$defs/Place"}. OpenAI gets
	 * it whole, but Anthropic's options builder (Spring AI 2.0.0
	 * {@code AnthropicChatOptions.Builder.outputSchema}) strips {@code $defs} and keeps the
	 * {@code $ref}s, so the schema that reaches Anthropic after a failover refers to
	 * definitions it does not carry; Anthropic rejects it with a 400 (INVALID_REQUEST: no
	 * further failover). Resilient-ai chose to send this schema natively
	 * ({@code Provider.promptFor}), so it must send one that works (inline the definitions,
	 * or fall back to format instructions for Anthropic).
	 */
	@Test
	void aNativeSchemaOfNestedTypesReachesAnthropicSelfContained() {
		openAiServer.stubFor(openAi().atPriority(1).willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().atPriority(1)
			.willReturn(jsonResponse(200, anthropicMessage(
					"{\"from\":{\"name\":\"Paris\",\"country\":\"FR\"},\"to\":{\"name\":\"Rome\",\"country\":\"IT\"}}",
					"end_turn"))));

		Trip trip = this.chatClient.prompt()
			.user("Plan a trip")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.entity(Trip.class);

		assertThat(trip).isEqualTo(new Trip(new Place("Paris", "FR"), new Place("Rome", "IT")));
		String body = onlyBody(anthropicServer, ANTHROPIC_PATH);
		Map<String, Object> request = JsonPath.read(body, "$");
		if (request.containsKey("output_config")) {
			Map<String, Object> schema = JsonPath.read(body, "$.output_config.format.schema");
			assertThat(unresolvedRefs(schema, schema)).as("$refs the schema sent to Anthropic cannot resolve")
				.isEmpty();
		}
		else {
			// a schema with references goes to Anthropic as format instructions, whole
			assertThat(body).contains("Answer with JSON only").contains("$defs");
		}
	}

	/**
	 * Expected: a provider that rejects the schema resilient-ai chose to send it natively (an
	 * OpenAI-compatible server without {@code json_schema} support, for which
	 * {@code native-structured-output} defaults to true) does not end the request: the
	 * request is served by the next provider, or by the same one with format instructions.
	 * Before issue 14 every provider got format instructions and this request was served.
	 * Now the 400 is classified INVALID_REQUEST (a caller error: no failover) although the
	 * caller sent no {@code response_format}; the provider adaptation did.
	 */
	@Test
	void aProviderRejectingTheNativelySentSchemaDoesNotEndTheRequest() {
		openAiServer.stubFor(openAi().withRequestBody(containing("\"response_format\""))
			.atPriority(1)
			.willReturn(jsonResponse(400, openAiError("invalid_request_error", null,
					"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."))));
		anthropicServer.stubFor(anthropic().atPriority(1)
			.willReturn(jsonResponse(200, anthropicMessage("{\"city\":\"Paris\",\"celsius\":21}", "end_turn"))));

		Forecast forecast = this.chatClient.prompt()
			.user("Weather in Paris?")
			.advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
			.call()
			.entity(Forecast.class);

		assertThat(forecast).isEqualTo(new Forecast("Paris", 21));
	}

	/**
	 * Expected: code that calls the primary {@code ChatModel} (the failover model) with
	 * Ollama's JSON mode, {@code OllamaChatOptions.format("json")}, keeps working: Ollama gets
	 * {@code "format":"json"} as before issue 14. {@code Provider.promptFor} now reads the
	 * request's options as {@code StructuredOutputChatOptions}, takes {@code "json"} for a
	 * JSON schema and feeds it to each provider's {@code outputSchema(...)}: Ollama's and
	 * Anthropic's builders throw parsing it (counted as INVALID_RESPONSE failures of healthy
	 * providers, against their breakers) and OpenAI's fails to build its request, so the
	 * call fails on every provider.
	 */
	@Test
	void ollamasJsonModeOnADirectCallOfTheFailoverModelStillReachesOllama(@Autowired FailoverChatModel failoverModel) {
		enableOnly("ollama");

		ChatResponse response = failoverModel
			.call(new Prompt("Answer in JSON", OllamaChatOptions.builder().format("json").build()));

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from local");
		assertThat((String) JsonPath.read(onlyBody(ollamaServer, OLLAMA_PATH), "$.format")).isEqualTo("json");
	}

	/**
	 * Expected: "requests made inside a request (tool callbacks, models that call back)
	 * inherit its class" (README), whichever way the class was named. A client whose builder
	 * got the class as a default advisor param ({@code ResilientChatClient.Builder} is a
	 * {@code ChatClient.Builder}, and {@code DATA_CLASS} is documented for code that only
	 * sees plain {@code ChatClient} APIs) runs its tools outside that class: only
	 * {@code RoutingAdvisor.beforeModel()} reads the param, just around the model call, and
	 * {@code DefaultResilientChatClient.DefaultBuilder.defaultAdvisors} does not record it as
	 * the client's default class the way {@code defaultDataClass(...)} and a request's
	 * {@code advisors(a -> a.param(...))} are recorded. A tool of a phi request that asks the
	 * application's client something nested sends it as {@code public}, to OpenAI.
	 */
	@Test
	void aToolOfAClientWhoseDefaultAdvisorParamNamesPhiMakesItsNestedRequestsAsPhi() {
		anthropicServer.stubFor(anthropic().atPriority(5).willReturn(jsonResponse(200, ANTHROPIC_NOTES_TOOL_USE)));
		anthropicServer.stubFor(anthropic().withRequestBody(containing("\"tool_result\""))
			.atPriority(2)
			.willReturn(jsonResponse(200, anthropicMessage("done", "end_turn"))));
		anthropicServer.stubFor(anthropic().withRequestBody(containing("nested question"))
			.atPriority(1)
			.willReturn(jsonResponse(200, anthropicMessage("nested answer", "end_turn"))));
		NotesTool notes = new NotesTool(this.chatClient);
		ResilientChatClient phiClient = this.chatClient.mutate()
			.defaultAdvisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.build();

		String answer = phiClient.prompt().user("Summarize the notes of patient 7").tools(notes).call().content();

		assertThat(answer).isEqualTo("done");
		assertThat(notes.nestedProvider).as("provider of the tool's nested request").hasValue("anthropic");
		assertThat(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)))).isEmpty();
	}

	/**
	 * Expected: "mutate() builds another ResilientChatClient ... with the original's defaults
	 * plus its own" (README). A client whose default options name the class
	 * ({@code defaultOptions(FailoverChatOptions.builder().dataClass("phi"))}, the documented
	 * way for any {@code ChatClient}) loses it when a mutated copy sets default options of
	 * its own, such as a temperature: Spring AI's builder replaces the options customizer,
	 * and {@code DefaultResilientChatClient.DefaultBuilder.defaultOptions} does not keep the
	 * class among the client's default classes (as {@code RequestSpec.options(...)} does for
	 * a request). The phi request goes to OpenAI.
	 */
	@Test
	void aMutatedCopyOfAPhiClientThatSetsItsOwnDefaultOptionsStaysPhi() {
		ResilientChatClient phiClient = this.chatClient.mutate()
			.defaultOptions(dev.resilientai.failover.FailoverChatOptions.builder().dataClass("phi"))
			.build();
		ResilientChatClient tuned = phiClient.mutate().defaultOptions(OpenAiChatOptions.builder().temperature(0.2)).build();

		ChatResponse response = tuned.prompt().user("Summarize the notes of patient 7").call().chatResponse();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(openAiServer.findAll(postRequestedFor(urlPathEqualTo(OPENAI_PATH)))).isEmpty();
	}

	/**
	 * As the README states: the portable part of provider-specific options (temperature,
	 * tools...) reaches every provider; only the rest (OpenAI's logit bias, say) stays with
	 * providers of that kind. Tools given in a request's {@code OpenAiChatOptions} are
	 * therefore offered to Anthropic after a failover, and the tool loop knows them.
	 */
	@Test
	void toolsInOpenAiSpecificOptionsArePortableAndTheToolLoopKnowsThem() {
		openAiServer.stubFor(openAi().atPriority(1).willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));

		String answer = this.chatClient.prompt()
			.user("Price of ACME?")
			.options(OpenAiChatOptions.builder().toolCallbacks(List.of(ToolCallbacks.from(new StockTools()))))
			.call()
			.content();

		// as documented: the portable part of provider-specific options (tools included) reaches
		// every provider, and the client's tool loop knows those tools whichever provider asks
		assertThat(answer).isEqualTo("from anthropic");
		List<String> offered = JsonPath.read(onlyBody(anthropicServer, ANTHROPIC_PATH), "$.tools[*].name");
		assertThat(offered).contains("stock");
	}

	private void enableOnly(String name) {
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(provider.getName().equals(name)));
	}

	private static String onlyBody(com.github.tomakehurst.wiremock.junit5.WireMockExtension server, String path) {
		List<LoggedRequest> requests = server.findAll(postRequestedFor(urlPathEqualTo(path)));
		assertThat(requests).hasSize(1);
		return requests.get(0).getBodyAsString();
	}

	/** Every local {@code $ref} of the node that does not resolve within the root schema. */
	@SuppressWarnings("unchecked")
	private static List<String> unresolvedRefs(Object node, Map<String, Object> root) {
		List<String> unresolved = new ArrayList<>();
		if (node instanceof Map<?, ?> map) {
			Object ref = map.get("$ref");
			if (ref instanceof String pointer && pointer.startsWith("#/")) {
				Object target = root;
				for (String part : pointer.substring(2).split("/")) {
					target = (target instanceof Map<?, ?> m) ? m.get(part) : null;
				}
				if (target == null) {
					unresolved.add(pointer);
				}
			}
			for (Object value : map.values()) {
				unresolved.addAll(unresolvedRefs(value, root));
			}
		}
		else if (node instanceof List<?> list) {
			for (Object value : list) {
				unresolved.addAll(unresolvedRefs(value, root));
			}
		}
		return unresolved;
	}

	private static final String ANTHROPIC_NOTES_TOOL_USE = """
			{"id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4-5",
			 "content":[{"type":"tool_use","id":"toolu_1","name":"lookup_notes","input":{}}],
			 "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}
			""";

	/** A tool that asks the application's client a nested question and notes who served it. */
	static class NotesTool {

		final java.util.concurrent.atomic.AtomicReference<String> nestedProvider = new java.util.concurrent.atomic.AtomicReference<>();

		private final ResilientChatClient client;

		NotesTool(ResilientChatClient client) {
			this.client = client;
		}

		@Tool(name = "lookup_notes", description = "The notes of the patient")
		String lookupNotes() {
			ChatResponse nested = this.client.prompt().user("nested question").call().chatResponse();
			this.nestedProvider.set((String) nested.getMetadata().get(ResilientChatClient.PROVIDER));
			return "notes";
		}

	}

	record Forecast(String city, int celsius) {
	}

	record Place(String name, String country) {
	}

	record Trip(Place from, Place to) {
	}

	static class WeatherTools {

		@Tool(description = "The current temperature in a city")
		String weather(String city) {
			return "21 degrees in " + city;
		}

	}

	static class PatientRecords {

		@Tool(name = "patient_record", description = "The medical record of a patient")
		String patientRecord(String patientId) {
			return "PHI: diagnosis of patient " + patientId;
		}

	}

	static class StockTools {

		@Tool(description = "The price of a stock")
		String stock(String symbol) {
			return "42";
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

		/** OpenAI's model with a default tool, allowed public data only. */
		@Bean
		OpenAiChatModel weatherOpenAi(@Value("${spring.ai.openai.base-url}") String baseUrl) {
			return OpenAiChatModel.builder()
				.options(OpenAiChatOptions.builder()
					.baseUrl(baseUrl)
					.apiKey("sk-test")
					.model("gpt-4o-mini")
					.maxRetries(0)
					.toolCallbacks(ToolCallbacks.from(new WeatherTools()))
					.build())
				.build();
		}

		/** Anthropic's model, the provider allowed phi, with a tool that reads patient records. */
		@Bean
		AnthropicChatModel recordsAnthropic(@Value("${spring.ai.anthropic.base-url}") String baseUrl) {
			return AnthropicChatModel.builder()
				.options(AnthropicChatOptions.builder()
					.baseUrl(baseUrl)
					.apiKey("sk-ant-test")
					.model("claude-haiku-4-5")
					.maxRetries(0)
					.toolCallbacks(ToolCallbacks.from(new PatientRecords()))
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
