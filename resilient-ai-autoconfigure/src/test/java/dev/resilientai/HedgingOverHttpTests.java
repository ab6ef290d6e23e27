package dev.resilientai;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ScriptedHttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ndjsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.ollamaNdjson;
import static dev.resilientai.support.ProviderStubs.ollamaRequests;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Hedged attempts through the real Spring AI models over HTTP. The OpenAI model, first in
 * line, talks to a scripted raw-socket server that can hold a request without answering
 * (a brownout), so a test sees whether its connection was closed; Anthropic and Ollama talk to
 * WireMock. Hedging delay 200 ms; attempt timeout 5 s.
 */
@SpringBootTest(classes = HedgingOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=jdk", "resilient-ai.failover.timeout=8s",
				"resilient-ai.failover.attempt-timeout=5s", "resilient-ai.hedging.enabled=true",
				"resilient-ai.hedging.delay=200ms", "resilient-ai.hedging.max-ratio=1.0",
				"resilient-ai.data-classes=public,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.allowed-data-classes=public,phi",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.allowed-data-classes=public",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.allowed-data-classes=public,phi",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000" })
class HedgingOverHttpTests {

	static final ScriptedHttpServer openAiServer = start();

	@RegisterExtension
	static WireMockExtension anthropicServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension ollamaServer = ProviderStubs.server();

	@DynamicPropertySource
	static void providerUrls(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.openai.base-url", () -> openAiServer.baseUrl() + "/v1");
		registry.add("spring.ai.anthropic.base-url", () -> ProviderStubs.loopbackUrl(anthropicServer));
		registry.add("spring.ai.ollama.base-url", () -> ProviderStubs.loopbackUrl(ollamaServer));
	}

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	FailoverExecutor executor;

	@Autowired
	CircuitBreakerRegistry circuitBreakerRegistry;

	@Autowired
	List<AuditRecord> audits;

	@Autowired
	org.springframework.context.ApplicationContext context;

	static boolean warm;

	@BeforeEach
	void providers() throws Exception {
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage("from anthropic", "end_turn"))));
		anthropicServer.stubFor(anthropic().withRequestBody(com.github.tomakehurst.wiremock.client.WireMock
			.matchingJsonPath("$.stream", com.github.tomakehurst.wiremock.client.WireMock.equalTo("true")))
			.willReturn(sseResponse(ProviderStubs.anthropicSse("from ", "anthropic"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("from ollama"))));
		if (!warm) {
			openAiServer.script((exchange) -> exchange.respond(200, "application/json",
					ProviderStubs.openAiCompletion("warm", "stop")));
			for (String name : List.of("openAiChatModel", "anthropicChatModel", "ollamaChatModel")) {
				ChatModel model = this.context.getBean(name, ChatModel.class);
				try {
					model.call(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions()));
					model.stream(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions()))
						.blockLast();
				}
				catch (RuntimeException ex) {
					// the answer does not matter
				}
			}
			warm = true;
		}
		openAiServer.reset();
		anthropicServer.resetRequests();
		ollamaServer.resetRequests();
		this.audits.clear();
		// the primary browns out: it holds every request without a byte until the client gives up
		openAiServer.script(ScriptedHttpServer.Exchange::awaitClientClose);
	}

	@AfterEach
	void resetProviders() {
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
	}

	@AfterAll
	static void stop() throws IOException {
		openAiServer.close();
	}

	@Test
	void aCallToASlowPrimaryIsAnsweredByTheHedgeAndThePrimarysCallIsCancelled() throws Exception {
		long start = System.nanoTime();
		ChatResponse response = this.chatClient.prompt("hi").call().chatResponse();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from anthropic");
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		assertThat(elapsed).as("the delay plus the hedge's latency, not the primary's 5 s timeout")
			.isLessThan(Duration.ofMillis(2500));
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(3))).as("the primary's call cancelled")
			.isTrue();
		AuditRecord audit = lastAudit();
		assertThat(audit.hedged()).isTrue();
		assertThat(audit.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome)
			.containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("openai", ProviderAttempt.Outcome.CANCELLED),
					org.assertj.core.groups.Tuple.tuple("anthropic", ProviderAttempt.Outcome.SUCCESS));
		assertThat(this.executor.getHedging().wonCount("anthropic")).isPositive();
		io.micrometer.core.instrument.MeterRegistry meters = this.context
			.getBean(io.micrometer.core.instrument.MeterRegistry.class);
		assertThat(meters.get("resilient.ai.hedges").tags("provider", "anthropic", "outcome", "won")
			.functionCounter().count()).isPositive();
		assertThat(meters.get("resilient.ai.hedges").tags("provider", "openai", "outcome", "cancelled")
			.functionCounter().count()).isPositive();
	}

	@Test
	void aStreamCommitsToTheHedgeWhoseFirstChunkCameFirstAndThePrimarysStreamIsCancelled() throws Exception {
		long start = System.nanoTime();
		List<ChatResponse> chunks = this.chatClient.prompt("hi").stream().chatResponse().collectList()
			.block(Duration.ofSeconds(10));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(chunks).isNotEmpty();
		assertThat(chunks).allSatisfy((chunk) -> assertThat((String) chunk.getMetadata().get(ResilientChatClient.PROVIDER))
			.isEqualTo("anthropic"));
		assertThat(String.join("", chunks.stream().map((c) -> (c.getResult() != null && c.getResult().getOutput().getText() != null)
				? c.getResult().getOutput().getText() : "").toList())).isEqualTo("from anthropic");
		assertThat(elapsed).isLessThan(Duration.ofMillis(2500));
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(3))).as("the primary's stream cancelled")
			.isTrue();
		assertThat(lastAudit().hedged()).isTrue();
	}

	@Test
	void aPrimaryThatAnswersWithinTheDelayIsNeverHedged() {
		openAiServer.script((exchange) -> exchange.respond(200, "application/json",
				ProviderStubs.openAiCompletion("from openai", "stop")));

		for (int i = 0; i < 5; i++) {
			assertThat(this.chatClient.prompt("hi").call().content()).isEqualTo("from openai");
		}

		assertThat(anthropicRequests(anthropicServer) + ollamaRequests(ollamaServer)).isZero();
		assertThat(this.audits).noneMatch(AuditRecord::hedged);
	}

	@Test
	void aPhiRequestIsHedgedOnlyToAProviderAllowedPhi() {
		String answer = this.chatClient.prompt("hi").dataClass("phi").call().content();

		assertThat(answer).isEqualTo("from ollama");
		assertThat(anthropicRequests(anthropicServer)).isZero();
		assertThat(lastAudit().hedged()).isTrue();
	}

	@Test
	void theDeadlineHoldsWhenTheHedgeIsSlowToo() throws InterruptedException {
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage("late", "end_turn"))
			.withFixedDelay(20_000)));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("late")).withFixedDelay(20_000)));

		long start = System.nanoTime();
		Throwable failure = catchThrowable(() -> this.chatClient.prompt("hi").call().content());
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(failure).isInstanceOf(AllProvidersFailedException.class);
		// the request's 8 s deadline bounds both attempts and the failover after them
		assertThat(elapsed).as(lastAudit().toString()).isLessThan(Duration.ofSeconds(9));
		assertThat(lastAudit().hedged()).isTrue();
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(3))).isTrue();
	}

	private AuditRecord lastAudit() {
		assertThat(this.audits).isNotEmpty();
		return this.audits.get(this.audits.size() - 1);
	}

	private static ScriptedHttpServer start() {
		try {
			return new ScriptedHttpServer();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		List<AuditRecord> audits() {
			return new CopyOnWriteArrayList<>();
		}

		@Bean
		ApplicationListener<ResilientAiAuditEvent> auditRecorder(List<AuditRecord> audits) {
			return (event) -> audits.add(event.getRecord());
		}

		@Bean
		org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer<org.springframework.boot.http.client.JdkClientHttpRequestFactoryBuilder> http11() {
			return (builder) -> builder
				.withHttpClientCustomizer((client) -> client.version(java.net.http.HttpClient.Version.HTTP_1_1));
		}

	}

}
