package dev.resilientai.sample;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.resilientai.actuate.Drills;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's HTTP API against its embedded simulator: chat, stream, each error mapping,
 * the simulator's switches and a drill, as the dashboard starts one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	private static final ObjectMapper json = new ObjectMapper();

	@LocalServerPort
	int port;

	@Autowired
	ProviderSimulator simulator;

	@Autowired
	CircuitBreakerRegistry circuitBreakerRegistry;

	@Autowired
	FailoverExecutor executor;

	@Autowired
	Drills drills;

	@AfterEach
	void heal() {
		this.executor.getProviders().forEach((provider) -> this.drills.stop(provider, "test"));
		for (ProviderSimulator.Kind kind : ProviderSimulator.Kind.values()) {
			this.simulator.setMode(kind, ProviderSimulator.Mode.HEALTHY);
		}
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		post("/actuator/resilientai/local", Map.of("action", "enable"));
	}

	@Test
	void answersAChatRequestThroughTheFailoverBeanWithNoApiKey() throws Exception {
		JsonNode answer = json.readTree(post("/api/chat", Map.of("message", "Hello")).getBody());

		assertThat(answer.get("provider").asText()).isEqualTo("openai");
		assertThat(answer.get("attempts").asInt()).isEqualTo(1);
		assertThat(answer.get("content").asText()).isEqualTo("Hello from the simulated openai provider.");
	}

	@Test
	void anOutageCausedThroughTheApiFailsOverToTheNextProvider() throws Exception {
		JsonNode state = json.readTree(post("/api/simulator/openai/outage", null).getBody());

		JsonNode answer = json.readTree(post("/api/chat", Map.of("message", "Hello")).getBody());

		assertThat(state.get("mode").asText()).isEqualTo("outage");
		assertThat(answer.get("provider").asText()).isEqualTo("anthropic");
		assertThat(answer.get("attempts").asInt()).isEqualTo(2);
	}

	@Test
	void phiOnlyEverGoesToTheLocalModel() throws Exception {
		long openAiBefore = this.simulator.requests(ProviderSimulator.Kind.OPENAI);
		long anthropicBefore = this.simulator.requests(ProviderSimulator.Kind.ANTHROPIC);

		JsonNode answer = json
			.readTree(post("/api/chat", Map.of("message", "Summarize the record", "dataClass", "phi")).getBody());

		assertThat(answer.get("provider").asText()).isEqualTo("local");
		assertThat(this.simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAiBefore);
		assertThat(this.simulator.requests(ProviderSimulator.Kind.ANTHROPIC)).isEqualTo(anthropicBefore);
	}

	@Test
	void theStreamingVariantSendsChunksThenDone() {
		this.simulator.setMode(ProviderSimulator.Kind.OPENAI, ProviderSimulator.Mode.OUTAGE);

		String events = client().post()
			.uri("/api/chat/stream")
			.contentType(MediaType.APPLICATION_JSON)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.body(Map.of("message", "Hello"))
			.retrieve()
			.body(String.class);

		assertThat(events).contains("event:chunk").contains("\"provider\":\"anthropic\"").contains("event:done");
		assertThat(events.replaceAll("(?s).*?\"content\":\"([^\"]*)\".*?(?=\"content\"|$)", "$1"))
			.contains("Hello", "anthropic");
	}

	@Test
	void anUnknownDataClassIsA400ProblemDetail() throws Exception {
		ResponseEntity<String> response = post("/api/chat", Map.of("message", "Hi", "dataClass", "secret"));
		JsonNode problem = json.readTree(response.getBody());

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(response.getHeaders().getContentType().toString()).isEqualTo("application/problem+json");
		assertThat(problem.get("type").asText()).isEqualTo("https://resilientai.dev/problems/unknown-data-class");
		assertThat(problem.get("detail").asText()).contains("secret");
	}

	@Test
	void noEligibleProviderIsA503WithTheReason() throws Exception {
		post("/actuator/resilientai/local", Map.of("action", "disable"));

		ResponseEntity<String> response = post("/api/chat", Map.of("message", "Hi", "dataClass", "phi"));
		JsonNode problem = json.readTree(response.getBody());

		assertThat(response.getStatusCode().value()).isEqualTo(503);
		assertThat(problem.get("type").asText()).isEqualTo("https://resilientai.dev/problems/no-eligible-provider");
		assertThat(problem.get("detail").asText()).contains("disabled");
	}

	@Test
	void allProvidersFailedIsA503WithTheAttempts() throws Exception {
		this.simulator.setMode(ProviderSimulator.Kind.OLLAMA, ProviderSimulator.Mode.OUTAGE);

		ResponseEntity<String> response = post("/api/chat", Map.of("message", "Hi", "dataClass", "phi"));
		JsonNode problem = json.readTree(response.getBody());

		assertThat(response.getStatusCode().value()).isEqualTo(503);
		assertThat(problem.get("type").asText()).isEqualTo("https://resilientai.dev/problems/all-providers-failed");
		assertThat(problem.at("/attempts/0/provider").asText()).isEqualTo("local");
		assertThat(problem.at("/attempts/0/errorKind").asText()).isEqualTo("OVERLOADED");
		assertThat(problem.at("/attempts/0/httpStatus").asInt()).isEqualTo(503);
	}

	@Test
	void anUnknownFaultModeIsA400() {
		assertThat(post("/api/simulator/openai/melting", null).getStatusCode().value()).isEqualTo(400);
		assertThat(post("/api/chat", Map.of("message", "")).getStatusCode().value()).isEqualTo(400);
	}

	@Test
	void theDashboardReportsProvidersFaultsAndTraffic() throws Exception {
		post("/api/simulator/anthropic/slow", null);
		post("/api/chat", Map.of("message", "Hello"));

		JsonNode dashboard = json.readTree(client().get().uri("/api/dashboard").retrieve().body(String.class));

		assertThat(dashboard.at("/providers/0/name").asText()).isEqualTo("openai");
		assertThat(dashboard.at("/providers/1/mode").asText()).isEqualTo("slow");
		assertThat(dashboard.at("/traffic/served/openai").toString()).contains("1");
		assertThat(dashboard.at("/load/running").asBoolean()).isFalse();
	}

	@Test
	void aDrillFailsOverWithoutCallingTheProviderAndShowsApartFromTheSimulatedFault() throws Exception {
		ResponseEntity<String> started = post("/actuator/resilientai/openai",
				Map.of("action", "drill", "fault", "error", "ratio", 1.0, "duration", "2m"));
		long openAiBefore = this.simulator.requests(ProviderSimulator.Kind.OPENAI);

		JsonNode answer = json.readTree(post("/api/chat", Map.of("message", "Hello")).getBody());
		JsonNode dashboard = json.readTree(client().get().uri("/api/dashboard").retrieve().body(String.class));

		assertThat(started.getStatusCode().value()).isEqualTo(200);
		assertThat(answer.get("provider").asText()).isEqualTo("anthropic");
		assertThat(answer.get("attempts").asInt()).isEqualTo(2);
		assertThat(this.simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAiBefore);
		assertThat(dashboard.at("/drills/enabled").asBoolean()).isTrue();
		assertThat(dashboard.at("/drills/maxDurationSeconds").asLong()).isEqualTo(600);
		assertThat(dashboard.at("/providers/0/mode").asText()).isEqualTo("healthy");
		assertThat(dashboard.at("/providers/0/drill/fault").asText()).isEqualTo("error");
		assertThat(dashboard.at("/providers/0/drill/ratio").asDouble()).isEqualTo(1.0);
		assertThat(dashboard.at("/providers/0/drill/secondsLeft").asLong()).isBetween(100L, 120L);
		assertThat(dashboard.at("/providers/0/drill/injected").asLong()).isEqualTo(1);
		assertThat(dashboard.at("/providers/0/drill/by").asText()).isEqualTo("anonymous");
		assertThat(dashboard.at("/providers/1/drill").isNull()).isTrue();

		post("/actuator/resilientai/openai", Map.of("action", "drill", "fault", "none"));
		JsonNode after = json.readTree(post("/api/chat", Map.of("message", "Hello")).getBody());
		JsonNode stopped = json.readTree(client().get().uri("/api/dashboard").retrieve().body(String.class));

		assertThat(after.get("provider").asText()).isEqualTo("openai");
		assertThat(this.simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAiBefore + 1);
		assertThat(stopped.at("/providers/0/drill").isNull()).isTrue();
	}

	@Test
	void aDrillLongerThanTheSamplesMaximumIsA400NamingTheDuration() throws Exception {
		ResponseEntity<String> response = post("/actuator/resilientai/openai",
				Map.of("action", "drill", "fault", "error", "duration", "1h"));

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(json.readTree(response.getBody()).get("message").asText()).contains("'duration'")
			.contains("resilient-ai.drills.max-duration");
	}

	private ResponseEntity<String> post(String uri, Object body) {
		RestClient.RequestBodySpec request = client().post().uri(uri).contentType(MediaType.APPLICATION_JSON);
		if (body != null) {
			request.body(body);
		}
		return request.retrieve().onStatus((status) -> true, (req, res) -> {
		}).toEntity(String.class);
	}

	private RestClient client() {
		return RestClient.create("http://127.0.0.1:" + this.port);
	}

}
