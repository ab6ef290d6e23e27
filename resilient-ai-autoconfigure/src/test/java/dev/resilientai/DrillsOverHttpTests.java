package dev.resilientai;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.resilientai.support.ThreeProviderHttpTests;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Failover drills through the {@code resilientai} endpoint of a running web application, with
 * the real OpenAI, Anthropic and Ollama models over HTTP: an injected error fails the attempt
 * without calling the provider, latency is added before the real call, a hang holds the
 * attempt until its timeout; a drill ends by itself or when stopped, is audited and counted;
 * bad fields are a 400 naming the field.
 */
@SpringBootTest(classes = DrillsOverHttpTests.TestApplication.class,
		webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.failover.attempt-timeout=700ms", "resilient-ai.drills.enabled=true",
				"resilient-ai.drills.max-duration=10m",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.local.chat-model=ollamaChatModel",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000",
				"management.endpoints.web.exposure.include=health,resilientai",
				"management.endpoint.health.show-details=always" })
class DrillsOverHttpTests extends ThreeProviderHttpTests {

	private static final ObjectMapper json = new ObjectMapper();

	@LocalServerPort
	int port;

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	MeterRegistry meterRegistry;

	@Autowired
	List<AuditApplicationEvent> audits;

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	@AfterEach
	void stopDrills() {
		postToEndpoint("openai", "{\"action\":\"drill\",\"fault\":\"none\"}");
	}

	@Test
	void anInjectedErrorFailsTheAttemptWithoutCallingTheProviderAndIsAuditedAndCounted() throws Exception {
		double injected = injectedErrors();
		ResponseEntity<String> started = drill("error", "1.0", "1m");

		ChatResponse response = this.chatClient.prompt("hi").call().chatResponse();

		assertThat(started.getStatusCode().value()).isEqualTo(200);
		assertThat(json.readTree(started.getBody()).at("/drill/fault").asText()).isEqualTo("ERROR");
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(openAiRequests(openAiServer)).as("the drilled provider is not called").isZero();
		assertThat(injectedErrors()).isEqualTo(injected + 1);
		assertThat(this.audits.stream().map((e) -> e.getAuditEvent().getType()).toList())
			.contains("RESILIENT_AI_DRILL_STARTED");
		JsonNode health = json.readTree(actuator().get().uri("/health").retrieve().body(String.class));
		assertThat(health.at("/components/resilientAi/components/openai/details/drill/fault").asText())
			.isEqualTo("ERROR");
	}

	@Test
	void anInjectedErrorMovesAStreamToTheNextProvider() {
		drill("error", "1.0", "1m");

		List<ChatResponse> chunks = this.chatClient.prompt("hi").stream().chatResponse().collectList()
			.block(Duration.ofSeconds(10));

		assertThat((String) chunks.get(0).getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(openAiRequests(openAiServer)).isZero();
	}

	@Test
	void injectedLatencyIsAddedBeforeTheRealCall() {
		postToEndpoint("openai",
				"{\"action\":\"drill\",\"fault\":\"latency\",\"ratio\":1.0,\"duration\":\"1m\",\"latency\":\"300ms\"}");

		long start = System.nanoTime();
		ChatResponse response = this.chatClient.prompt("hi").call().chatResponse();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(300));
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
	}

	@Test
	void anInjectedHangHoldsTheAttemptUntilItsTimeoutThenFailsOver() {
		drill("hang", "1.0", "1m");

		long start = System.nanoTime();
		ChatResponse response = this.chatClient.prompt("hi").call().chatResponse();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(700));
		assertThat(openAiRequests(openAiServer)).isZero();
	}

	@Test
	void aDrillEndsByItselfAndIsAudited() throws Exception {
		drill("error", "1.0", "1s");
		assertThat((String) this.chatClient.prompt("hi").call().chatResponse().getMetadata()
			.get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");

		Thread.sleep(1300);

		assertThat((String) this.chatClient.prompt("hi").call().chatResponse().getMetadata()
			.get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(this.audits.stream()
			.filter((e) -> e.getAuditEvent().getType().equals("RESILIENT_AI_DRILL_ENDED"))
			.map((e) -> e.getAuditEvent().getData().get("how"))
			.toList()).contains("ended by itself");
	}

	@Test
	void aDrillIsStoppedWithFaultNone() {
		drill("error", "1.0", "1m");

		ResponseEntity<String> stopped = postToEndpoint("openai", "{\"action\":\"drill\",\"fault\":\"none\"}");

		assertThat(stopped.getStatusCode().value()).isEqualTo(200);
		assertThat((String) this.chatClient.prompt("hi").call().chatResponse().getMetadata()
			.get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(anthropicRequests(anthropicServer)).isZero();
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', value = { "{\"action\":\"drill\",\"fault\":\"melt\",\"duration\":\"1m\"}|'fault'",
			"{\"action\":\"drill\",\"duration\":\"1m\"}|'fault'",
			"{\"action\":\"drill\",\"fault\":\"error\",\"ratio\":2,\"duration\":\"1m\"}|'ratio'",
			"{\"action\":\"drill\",\"fault\":\"error\",\"ratio\":\"half\",\"duration\":\"1m\"}|'ratio'",
			"{\"action\":\"drill\",\"fault\":\"error\"}|'duration'",
			"{\"action\":\"drill\",\"fault\":\"error\",\"duration\":\"soon\"}|'duration'",
			"{\"action\":\"drill\",\"fault\":\"error\",\"duration\":\"1h\"}|resilient-ai.drills.max-duration",
			"{\"action\":\"drill\",\"fault\":\"latency\",\"duration\":\"1m\",\"latency\":\"slow\"}|'latency'" })
	void badDrillFieldsAreA400NamingTheField(String body, String named) throws Exception {
		ResponseEntity<String> response = postToEndpoint("openai", body);

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(json.readTree(response.getBody()).at("/message").asText()).contains(named);
		assertThat((String) this.chatClient.prompt("hi").call().chatResponse().getMetadata()
			.get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
	}

	private double injectedErrors() {
		return this.meterRegistry.get("resilient.ai.drills")
			.tags("provider", "openai", "drill", "error")
			.functionCounter()
			.count();
	}

	private ResponseEntity<String> drill(String fault, String ratio, String duration) {
		ResponseEntity<String> response = postToEndpoint("openai", "{\"action\":\"drill\",\"fault\":\"" + fault
				+ "\",\"ratio\":" + ratio + ",\"duration\":\"" + duration + "\"}");
		assertThat(response.getStatusCode().value()).as(response.getBody()).isEqualTo(200);
		return response;
	}

	private ResponseEntity<String> postToEndpoint(String provider, String body) {
		return actuator().post()
			.uri("/resilientai/" + provider)
			.contentType(MediaType.APPLICATION_JSON)
			.body(body)
			.retrieve()
			.onStatus((status) -> true, (request, reply) -> {
			})
			.toEntity(String.class);
	}

	private RestClient actuator() {
		return RestClient.create("http://127.0.0.1:" + this.port + "/actuator");
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@org.springframework.context.annotation.Bean
		List<AuditApplicationEvent> audits() {
			return new java.util.concurrent.CopyOnWriteArrayList<>();
		}

		@org.springframework.context.annotation.Bean
		org.springframework.context.ApplicationListener<AuditApplicationEvent> auditRecorder(
				List<AuditApplicationEvent> audits) {
			return audits::add;
		}

	}

}
