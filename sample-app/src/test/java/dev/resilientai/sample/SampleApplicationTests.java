package dev.resilientai.sample;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	@LocalServerPort
	int port;

	@Autowired
	ProviderSimulator simulator;

	@AfterEach
	void heal() {
		for (ProviderSimulator.Kind kind : ProviderSimulator.Kind.values()) {
			this.simulator.setMode(kind, ProviderSimulator.Mode.HEALTHY);
		}
	}

	@Test
	void answersAChatRequestThroughTheFailoverBeanWithNoApiKey() {
		Map<?, ?> answer = chat();

		assertThat(answer.get("provider")).isEqualTo("openai");
		assertThat(answer.get("attempts")).isEqualTo(1);
		assertThat((String) answer.get("content")).contains("openai");
	}

	@Test
	void anOutageCausedThroughTheApiFailsOverToTheNextProvider() {
		RestClient.create("http://127.0.0.1:" + this.port).post().uri("/api/simulator/openai/outage").retrieve().toBodilessEntity();

		Map<?, ?> answer = chat();

		assertThat(answer.get("provider")).isEqualTo("anthropic");
		assertThat(answer.get("attempts")).isEqualTo(2);
	}

	@Test
	void phiOnlyEverGoesToTheLocalModel() {
		Map<?, ?> answer = chat(Map.of("message", "Summarize the record", "dataClass", "phi"));

		assertThat(answer.get("provider")).isEqualTo("local");
	}

	private Map<?, ?> chat() {
		return chat(Map.of("message", "Hello"));
	}

	private Map<?, ?> chat(Map<String, String> request) {
		return RestClient.create("http://127.0.0.1:" + this.port)
			.post()
			.uri("/api/chat")
			.contentType(org.springframework.http.MediaType.APPLICATION_JSON)
			.body(request)
			.retrieve()
			.body(Map.class);
	}

}
