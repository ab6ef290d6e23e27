package dev.resilientai;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;
import dev.resilientai.metrics.ResilientAiMetrics;
import dev.resilientai.support.ThreeProviderHttpTests;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;
import org.springframework.web.client.RestClient;

import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaError;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Health, metrics and the management endpoint of a running web application whose providers
 * are the real Spring AI models over HTTP to WireMock.
 */
@SpringBootTest(classes = OperationsOverHttpTests.TestApplication.class,
		webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.data-classes=public,pii,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.failover.attempt-timeout=2s",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.allowed-data-classes=public",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,pii",
				"resilient-ai.providers.local.chat-model=ollamaChatModel",
				"resilient-ai.providers.local.allowed-data-classes=public,pii,phi",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=2",
				"resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size=2",
				"management.endpoints.web.exposure.include=health,resilientai,metrics",
				"management.endpoint.health.show-details=always", "management.endpoint.health.show-components=always" })
@RecordApplicationEvents
class OperationsOverHttpTests extends ThreeProviderHttpTests {

	private static final ObjectMapper json = new ObjectMapper();

	@LocalServerPort
	int port;

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	MeterRegistry meterRegistry;

	@Autowired
	ApplicationEvents events;

	@org.junit.jupiter.api.BeforeEach
	void healthyProviders() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200,
				dev.resilientai.support.ProviderStubs.openAiCompletion("from openai", "stop"))));
		anthropicServer.stubFor(dev.resilientai.support.ProviderStubs.anthropic()
			.willReturn(jsonResponse(200, dev.resilientai.support.ProviderStubs.anthropicMessage("from anthropic",
					"end_turn"))));
		ollamaServer.stubFor(
				ollama().willReturn(jsonResponse(200, dev.resilientai.support.ProviderStubs.ollamaChat("from local"))));
	}

	@Test
	void healthIsUpAndShowsEachProviderWhileOneBreakerIsOpen() throws Exception {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		ask("public");
		ask("public");

		ResponseEntity<String> response = actuator().get().uri("/health").retrieve().toEntity(String.class);
		JsonNode resilientAi = json.readTree(response.getBody()).at("/components/resilientAi");

		assertThat(response.getStatusCode().value()).isEqualTo(200);
		assertThat(resilientAi.at("/status").asText()).isEqualTo("UP");
		assertThat(resilientAi.at("/components/openai/status").asText()).isEqualTo("CIRCUIT_OPEN");
		assertThat(resilientAi.at("/components/openai/details/state").asText()).isEqualTo("OPEN");
		assertThat(resilientAi.at("/components/openai/details/failureRate").asDouble()).isEqualTo(100.0);
		assertThat(resilientAi.at("/components/anthropic/status").asText()).isEqualTo("UP");
		assertThat(resilientAi.at("/components/dataClasses/status").asText()).isEqualTo("UP");
		assertThat(openAiRequests(openAiServer)).isEqualTo(2);
	}

	@Test
	void healthGoesDownNamingTheClassThatCanNoLongerBeServed() throws Exception {
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(503, ollamaError("down"))));
		ask("phi");
		ask("phi");

		ResponseEntity<String> response = actuator().get()
			.uri("/health")
			.retrieve()
			.onStatus((status) -> true, (request, reply) -> {
			})
			.toEntity(String.class);
		JsonNode resilientAi = json.readTree(response.getBody()).at("/components/resilientAi");

		assertThat(response.getStatusCode().value()).isEqualTo(503);
		assertThat(resilientAi.at("/status").asText()).isEqualTo("DOWN");
		assertThat(resilientAi.at("/components/local/status").asText()).isEqualTo("CIRCUIT_OPEN");
		assertThat(resilientAi.at("/components/dataClasses/details/unservable").toString()).isEqualTo("[\"phi\"]");
		assertThat(resilientAi.at("/components/dataClasses/details/serving/pii").toString())
			.isEqualTo("[\"anthropic\"]");
		assertThat(this.meterRegistry.get(dev.resilientai.metrics.ResilientAiRoutingGauges.DATA_CLASS_PROVIDERS)
			.tag("data.class", "phi")
			.gauge()
			.value()).isZero();
		assertThat(this.meterRegistry.get(dev.resilientai.metrics.ResilientAiRoutingGauges.DATA_CLASS_PROVIDERS)
			.tag("data.class", "public")
			.gauge()
			.value()).isEqualTo(2);
		assertThat(this.meterRegistry.get(dev.resilientai.metrics.ResilientAiRoutingGauges.PROVIDER_AVAILABLE)
			.tag("provider", "local")
			.gauge()
			.value()).isZero();
	}

	@Test
	void metricsCountFailoversSkipsAttemptsAndRequestsWithBoundedTags() {
		String[] failover = { "from", "openai", "to", "anthropic", "reason", "server-error" };
		String[] skip = { "provider", "openai", "reason", "not-allowed" };
		String[] attempt = { "provider", "openai", "outcome", "failure", "error.kind", "server-error" };
		String[] request = { "data.class", "phi", "outcome", "success", "streaming", "false" };
		double failoversBefore = count(ResilientAiMetrics.FAILOVERS, failover);
		double skipsBefore = count(ResilientAiMetrics.SKIPS, skip);
		double attemptsBefore = count(ResilientAiMetrics.ATTEMPTS, attempt);
		double requestsBefore = count(ResilientAiMetrics.REQUESTS, request);
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "boom"))));

		ask("public");
		ask("phi");

		assertThat(count(ResilientAiMetrics.FAILOVERS, failover) - failoversBefore).isEqualTo(1);
		assertThat(count(ResilientAiMetrics.SKIPS, skip) - skipsBefore).isEqualTo(1);
		assertThat(count(ResilientAiMetrics.ATTEMPTS, attempt) - attemptsBefore).isEqualTo(1);
		assertThat(count(ResilientAiMetrics.REQUESTS, request) - requestsBefore).isEqualTo(1);
		assertThat(this.meterRegistry.getMeters())
			.filteredOn((meter) -> meter.getId().getName().startsWith("resilient.ai."))
			.isNotEmpty()
			.allSatisfy((meter) -> assertThat(meter.getId().getDescription()).isNotBlank());
		// Resilience4j's own breaker meters, one set per provider
		assertThat(this.meterRegistry.get("resilience4j.circuitbreaker.state").tag("name", "openai").gauges())
			.isNotEmpty();
	}

	private double count(String name, String... tags) {
		io.micrometer.core.instrument.search.Search search = this.meterRegistry.find(name).tags(tags);
		io.micrometer.core.instrument.Counter counter = search.counter();
		if (counter != null) {
			return counter.count();
		}
		io.micrometer.core.instrument.Timer timer = search.timer();
		return (timer != null) ? timer.count() : 0;
	}

	@Test
	void springAiObservationsStillCarryTheRealProviderThroughTheFailoverModel() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "boom"))));
		ask("public");

		List<Meter> genAi = this.meterRegistry.getMeters()
			.stream()
			.filter((meter) -> meter.getId().getName().startsWith("gen_ai.client"))
			.toList();
		assertThat(genAi).isNotEmpty();
		assertThat(genAi).anySatisfy((meter) -> assertThat(meter.getId().getTags().toString()).contains("anthropic"));
		assertThat(genAi).anySatisfy((meter) -> assertThat(meter.getId().getTags().toString()).contains("openai"));
	}

	@Test
	void theEndpointShowsTheRoutingTableAndItsKillSwitchMovesTraffic() throws Exception {
		JsonNode table = json.readTree(actuator().get().uri("/resilientai").retrieve().body(String.class));
		assertThat(table.at("/providers/0/name").asText()).isEqualTo("openai");
		assertThat(table.at("/providers/0/breakerState").asText()).isEqualTo("CLOSED");
		assertThat(table.at("/servingNow/phi").toString()).isEqualTo("[\"local\"]");

		JsonNode disabled = json.readTree(actuator().post()
			.uri("/resilientai/openai")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("action", "disable"))
			.retrieve()
			.body(String.class));
		ChatResponse whileDisabled = ask("public");
		AuditRecord audit = lastAudit();
		actuator().post()
			.uri("/resilientai/openai")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("action", "enable"))
			.retrieve()
			.toBodilessEntity();
		// the first request after the kill switch probes openai beside anthropic; the next is openai's
		ChatResponse probe = ask("public");
		ChatResponse afterEnable = ask("public");

		assertThat(disabled.at("/enabled").asBoolean()).isFalse();
		assertThat((String) whileDisabled.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(audit.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::skipReason)
			.contains(org.assertj.core.groups.Tuple.tuple("openai", SkipReason.DISABLED));
		assertThat((String) probe.getMetadata().get(ResilientChatClient.PROVIDER)).isIn("openai", "anthropic");
		assertThat((String) afterEnable.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(openAiRequests(openAiServer)).isEqualTo(2);
	}

	@Test
	void theEndpointForcesABreakerOpenAndClosed() throws Exception {
		actuator().post()
			.uri("/resilientai/openai")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("action", "open"))
			.retrieve()
			.toBodilessEntity();
		ChatResponse whileOpen = ask("public");
		JsonNode health = json.readTree(actuator().get().uri("/health").retrieve().body(String.class));
		actuator().post()
			.uri("/resilientai/openai")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("action", "close"))
			.retrieve()
			.toBodilessEntity();
		ChatResponse afterClose = ask("public");

		assertThat((String) whileOpen.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(health.at("/components/resilientAi/components/openai/status").asText()).isEqualTo("CIRCUIT_OPEN");
		assertThat((String) afterClose.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
	}

	@Test
	void theEndpointAnswersAnUnknownActionWith400NamingTheAcceptedActions() throws Exception {
		ResponseEntity<String> response = postToEndpoint("openai", "{\"action\":\"explode\"}");
		JsonNode body = json.readTree(response.getBody());

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(body.at("/status").asInt()).isEqualTo(400);
		assertThat(body.at("/message").asText()).contains("'explode'").contains("disable, enable, open, close");
		JsonNode openAi = json.readTree(actuator().get().uri("/resilientai/openai").retrieve().body(String.class));
		assertThat(openAi.at("/enabled").asBoolean()).isTrue();
		assertThat(openAi.at("/breakerState").asText()).isEqualTo("CLOSED");
	}

	@ParameterizedTest
	@ValueSource(strings = { "{}", "{\"action\":null}", "{\"action\":\"\"}", "{\"acton\":\"open\"}",
			"{\"action\":5}", "{\"action\":true}" })
	void theEndpointAnswersAMissingOrMistypedActionWith400AndAMessage(String request) throws Exception {
		ResponseEntity<String> response = postToEndpoint("openai", request);

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(json.readTree(response.getBody()).at("/message").asText())
			.contains("disable, enable, open, close");
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"action\":{\"name\":\"open\"}}", "{\"action\":[\"open\"]}", "[]", "not json" })
	void theEndpointAnswersAnUnreadableBodyWith400(String request) {
		assertThat(postToEndpoint("openai", request).getStatusCode().value()).isEqualTo(400);
	}

	@Test
	void aDrillIsRefusedWith403WhileDrillsAreDisabled() throws Exception {
		ResponseEntity<String> response = postToEndpoint("openai",
				"{\"action\":\"drill\",\"fault\":\"error\",\"ratio\":1.0,\"duration\":\"1m\"}");

		assertThat(response.getStatusCode().value()).isEqualTo(403);
		assertThat(json.readTree(response.getBody()).at("/message").asText()).contains("resilient-ai.drills.enabled");
		assertThat((String) ask("public").getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
	}

	@Test
	void theEndpointAnswersAnUnknownProviderWith404NamingTheProviders() throws Exception {
		ResponseEntity<String> response = postToEndpoint("nope", "{\"action\":\"disable\"}");

		assertThat(response.getStatusCode().value()).isEqualTo(404);
		assertThat(json.readTree(response.getBody()).at("/message").asText()).contains("'nope'")
			.contains("openai, anthropic, local");
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

	private ChatResponse ask(String dataClass) {
		try {
			return this.chatClient.prompt().user("hello").dataClass(dataClass).call().chatResponse();
		}
		catch (ResilientAiException ex) {
			return null;
		}
	}

	private RestClient actuator() {
		return RestClient.create("http://127.0.0.1:" + this.port + "/actuator");
	}

	private AuditRecord lastAudit() {
		List<ResilientAiAuditEvent> all = this.events.stream(ResilientAiAuditEvent.class).toList();
		return all.get(all.size() - 1).getRecord();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
