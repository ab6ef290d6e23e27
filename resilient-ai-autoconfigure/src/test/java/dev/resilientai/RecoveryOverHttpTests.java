package dev.resilientai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.resilientai.support.ThreeProviderHttpTests;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;

import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery with the starter's default breaker settings (no {@code resilience4j.*} keys here),
 * through the real Spring AI models over HTTP: a provider back from a short outage gets
 * traffic again within about two seconds, and a probe of a provider that may still be down
 * never holds a caller: it runs beside the next provider.
 */
@SpringBootTest(classes = RecoveryOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=jdk", "resilient-ai.failover.attempt-timeout=1s",
				"resilient-ai.data-classes=public,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.allowed-data-classes=public,phi",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.allowed-data-classes=public",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.allowed-data-classes=public,phi" })
class RecoveryOverHttpTests extends ThreeProviderHttpTests {

	@Autowired
	ResilientChatClient chatClient;

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	@Test
	void aProviderBackFromATwoSecondOutageServesAgainWithinTwoSeconds() throws Exception {
		openAiServer.stubFor(openAi().atPriority(1).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		long outageStart = System.nanoTime();
		while (System.nanoTime() - outageStart < Duration.ofSeconds(2).toNanos()) {
			assertThat(provider(ask("public"))).isNotEqualTo("openai");
			Thread.sleep(20);
		}
		assertThat(breaker("openai").getState()).isIn(CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN);
		openAiServer.stubFor(openAi().atPriority(1).willReturn(jsonResponse(200, openAiCompletion("from openai", "stop"))));
		long recovered = System.nanoTime();

		Duration back = null;
		while (System.nanoTime() - recovered < Duration.ofSeconds(5).toNanos()) {
			if ("openai".equals(provider(ask("public")))) {
				back = Duration.ofNanos(System.nanoTime() - recovered);
				break;
			}
			Thread.sleep(20);
		}

		assertThat(back).as("time until the primary serves again after it recovered").isNotNull()
			.isLessThan(Duration.ofSeconds(2));
		assertThat(this.executor.getProviders().get(0).getProbesSent()).isPositive();
	}

	@Test
	void whileAHungProviderIsProbedNoCallerWaitsForTheProbe() throws Exception {
		openAiServer.stubFor(openAi().atPriority(1)
			.willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(10_000)));
		// the breaker opens on slow calls (each waits the 1 s attempt timeout)
		for (int i = 0; i < 5 && breaker("openai").getState() == CircuitBreaker.State.CLOSED; i++) {
			ask("public");
		}
		assertThat(breaker("openai").getState()).isEqualTo(CircuitBreaker.State.OPEN);
		long probesBefore = this.executor.getProviders().get(0).getProbesSent();

		List<Duration> latencies = new ArrayList<>();
		long start = System.nanoTime();
		while (System.nanoTime() - start < Duration.ofSeconds(4).toNanos()) {
			long before = System.nanoTime();
			ChatResponse response = ask("public");
			latencies.add(Duration.ofNanos(System.nanoTime() - before));
			assertThat(provider(response)).isEqualTo("anthropic");
			Thread.sleep(20);
		}

		assertThat(this.executor.getProviders().get(0).getProbesSent()).as("probes of the hung provider")
			.isGreaterThan(probesBefore);
		assertThat(latencies).as("no caller waits for a probe's 1 s attempt timeout")
			.allSatisfy((latency) -> assertThat(latency).isLessThan(Duration.ofMillis(700)));
	}

	@Test
	void aPhiRequestsProbeIsNeverPairedWithAProviderNotAllowedPhi() throws Exception {
		openAiServer.stubFor(openAi().atPriority(1).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		for (int i = 0; i < 6; i++) {
			ask("phi");
		}
		assertThat(breaker("openai").getState()).isEqualTo(CircuitBreaker.State.OPEN);
		Thread.sleep(1100);
		int anthropicBefore = anthropicRequests(anthropicServer);

		for (int i = 0; i < 5; i++) {
			assertThat(provider(ask("phi"))).isIn("openai", "ollama");
		}

		assertThat(anthropicRequests(anthropicServer)).isEqualTo(anthropicBefore);
		assertThat(openAiRequests(openAiServer)).isPositive();
	}

	private ChatResponse ask(String dataClass) {
		return this.chatClient.prompt("hi").dataClass(dataClass).call().chatResponse();
	}

	private static String provider(ChatResponse response) {
		return (String) response.getMetadata().get(ResilientChatClient.PROVIDER);
	}

	private CircuitBreaker breaker(String name) {
		return this.circuitBreakerRegistry.circuitBreaker(name);
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
