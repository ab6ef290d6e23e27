package dev.resilientai;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.RestClient;

import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicError;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A canary API key and a canary prompt, DEBUG logging everywhere, every actuator endpoint
 * exposed with values shown: after calls, failovers, failures and streams, neither canary
 * appears in the logs, in exceptions or in any actuator output. Only the stubs see them.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(classes = SecretHygieneTests.TestApplication.class,
		webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "spring.ai.openai.api-key=" + SecretHygieneTests.KEY_CANARY,
				"spring.ai.anthropic.api-key=" + SecretHygieneTests.KEY_CANARY, "logging.level.root=DEBUG",
				// the stubs' own logs are the provider's side of the wire
				"logging.level.wiremock=INFO", "resilient-ai.failover.attempt-timeout=2s",
				"resilient-ai.audit.log-enabled=true", "management.endpoints.web.exposure.include=*",
				"management.endpoint.env.show-values=always", "management.endpoint.configprops.show-values=always",
				"management.endpoint.health.show-details=always" })
class SecretHygieneTests extends ThreeProviderHttpTests {

	static final String KEY_CANARY = "sk-canary-key-5d71c2";

	static final String PROMPT_CANARY = "canary-prompt-a93e04";

	/** Binary or side-effecting endpoints that are not output to read. */
	private static final Set<String> SKIPPED_ENDPOINTS = Set.of("self", "heapdump", "shutdown", "logfile",
			"threaddump");

	private static final ObjectMapper json = new ObjectMapper();

	@LocalServerPort
	int port;

	@Autowired
	ResilientChatClient chatClient;

	@Test
	void neitherCanaryAppearsInLogsExceptionsOrActuatorOutput(CapturedOutput output) throws Exception {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(401,
				openAiError("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-can****c2"))));
		anthropicServer
			.stubFor(anthropic().willReturn(jsonResponse(529, anthropicError("overloaded_error", "Overloaded"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("an answer"))));
		List<String> exceptionTexts = new ArrayList<>();

		String answer = this.chatClient.prompt().user("Summarize " + PROMPT_CANARY).call().content();
		this.chatClient.prompt().user("Stream " + PROMPT_CANARY).stream().content().collectList().block();
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(500, "{\"error\":\"down\"}")));
		Throwable failure = catchThrowable(
				() -> this.chatClient.prompt().user("Fail " + PROMPT_CANARY).call().content());
		exceptionTexts.add(stackTrace(failure));
		exceptionTexts.add(stackTrace(catchThrowable(
				() -> this.chatClient.prompt().user(PROMPT_CANARY).dataClass("secret").call().content())));

		List<String> actuatorOutput = readEveryEndpoint();

		assertThat(answer).isEqualTo("an answer");
		assertThat(failure).isInstanceOf(AllProvidersFailedException.class);
		assertThat(ProviderStubs.openAiRequests(openAiServer)).isPositive();
		assertThat(actuatorOutput).hasSizeGreaterThan(10);
		assertThat(String.join("\n", actuatorOutput)).contains("resilientAi", "resilient.ai.requests")
			.doesNotContain(KEY_CANARY, PROMPT_CANARY);
		assertThat(exceptionTexts).allSatisfy((text) -> assertThat(text).doesNotContain(KEY_CANARY, PROMPT_CANARY));
		assertThat(output.getAll()).contains("dev.resilientai.audit").doesNotContain(KEY_CANARY, PROMPT_CANARY);
	}

	@Test
	void anEmptyAnswerDoesNotWriteThePromptToTheLogs(CapturedOutput output) {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, """
				{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
				 "choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}}
				""")));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, """
				{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],
				 "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":0}}
				""")));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(500, "{\"error\":\"down\"}")));

		Throwable failure = catchThrowable(
				() -> this.chatClient.prompt().user("Summarize " + PROMPT_CANARY).call().content());

		assertThat(failure).isInstanceOf(AllProvidersFailedException.class);
		assertThat(ProviderStubs.openAiRequests(openAiServer)).isPositive();
		assertThat(ProviderStubs.anthropicRequests(anthropicServer)).isPositive();
		assertThat(output.getAll()).doesNotContain(PROMPT_CANARY);
	}

	private List<String> readEveryEndpoint() throws Exception {
		RestClient actuator = RestClient.create("http://127.0.0.1:" + this.port);
		List<String> bodies = new ArrayList<>();
		JsonNode links = json.readTree(actuator.get().uri("/actuator").retrieve().body(String.class)).get("_links");
		for (Iterator<Map.Entry<String, JsonNode>> it = links.properties().iterator(); it.hasNext();) {
			Map.Entry<String, JsonNode> link = it.next();
			if (SKIPPED_ENDPOINTS.contains(link.getKey()) || link.getValue().get("templated").asBoolean()) {
				continue;
			}
			bodies.add(get(actuator, link.getValue().get("href").asText()));
		}
		JsonNode meters = json.readTree(actuator.get().uri("/actuator/metrics").retrieve().body(String.class))
			.get("names");
		for (JsonNode name : meters) {
			if (name.asText().startsWith("resilient") || name.asText().startsWith("gen_ai")) {
				bodies.add(get(actuator, "/actuator/metrics/" + name.asText()));
			}
		}
		return bodies;
	}

	private static String get(RestClient client, String uri) {
		return client.get().uri(uri).retrieve().onStatus((status) -> true, (request, response) -> {
		}).body(String.class);
	}

	private static String stackTrace(Throwable failure) {
		java.io.StringWriter text = new java.io.StringWriter();
		failure.printStackTrace(new java.io.PrintWriter(text));
		return text.toString();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
