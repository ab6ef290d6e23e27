package dev.resilientai;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;
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

import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of hedged attempts (issue 16) over HTTP, with the application's HTTP client being
 * Apache HttpClient 5 ({@code spring.http.clients.imperative.factory=http-components}, which
 * Spring Boot picks by itself when HttpClient 5 is on the classpath, as it is with the
 * Anthropic SDK). docs/failover.md says that client ignores the interrupt, so an attempt of
 * Spring AI's auto-configured {@code ollamaChatModel} cannot be cut short. Hedging is exactly
 * for a slow provider, yet both attempts of a hedged call are joined by the calling thread:
 * the first runs on it, and the winner waits for the loser's hedge to end. Each test failed
 * when written.
 * <p>
 * Providers: {@code ollama} (the application's {@code ollamaChatModel}, public),
 * {@code openai} (OkHttp, scripted raw-socket server, public and phi), {@code ollama-phi} (the
 * same {@code ollamaChatModel}, phi). Hedging delay 200 ms, attempt timeout 6 s.
 */
@SpringBootTest(classes = HedgingReviewTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.http.clients.imperative.factory=http-components", "resilient-ai.failover.timeout=9s",
				"resilient-ai.failover.attempt-timeout=6s", "resilient-ai.hedging.enabled=true",
				"resilient-ai.hedging.delay=200ms", "resilient-ai.hedging.max-ratio=1.0",
				"resilient-ai.data-classes=public,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.priority=0",
				"resilient-ai.providers.ollama.allowed-data-classes=public",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=1",
				"resilient-ai.providers.openai.allowed-data-classes=public,phi",
				"resilient-ai.providers.ollama-phi.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama-phi.priority=2",
				"resilient-ai.providers.ollama-phi.allowed-data-classes=phi",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000" })
class HedgingReviewTests {

	static final ScriptedHttpServer openAiServer = start();

	@RegisterExtension
	static WireMockExtension ollamaServer = ProviderStubs.server();

	@DynamicPropertySource
	static void providerUrls(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.openai.base-url", () -> openAiServer.baseUrl() + "/v1");
		registry.add("spring.ai.ollama.base-url", () -> ProviderStubs.loopbackUrl(ollamaServer));
	}

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	CircuitBreakerRegistry circuitBreakerRegistry;

	@Autowired
	List<AuditRecord> audits;

	@Autowired
	org.springframework.context.ApplicationContext context;

	@Autowired
	org.springframework.beans.factory.ObjectProvider<io.micrometer.core.instrument.MeterRegistry> meterRegistry;

	static boolean warm;

	@BeforeEach
	void providers() {
		if (!warm) {
			ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("warm"))));
			openAiServer.script((exchange) -> exchange.respond(200, "application/json",
					ProviderStubs.openAiCompletion("warm", "stop")));
			for (String name : List.of("openAiChatModel", "ollamaChatModel")) {
				ChatModel model = this.context.getBean(name, ChatModel.class);
				try {
					model.call(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions()));
				}
				catch (RuntimeException ex) {
					// the answer does not matter
				}
			}
			warm = true;
		}
		openAiServer.reset();
		ollamaServer.resetAll();
		this.audits.clear();
	}

	@AfterEach
	void resetProviders() {
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
	}

	@AfterAll
	static void stop() throws IOException {
		openAiServer.close();
	}

	/**
	 * The primary ({@code ollama}, Apache HttpClient) browns out: 4 s. The hedge
	 * ({@code openai}) answers at once at 200 ms and cancels the primary, but the cancellation
	 * is an interrupt of the calling thread, which the primary's blocking read ignores: the
	 * caller gets the hedge's answer only when the primary's late answer arrives. Hedging buys
	 * nothing for such a primary (issue 16: "calls ... return within delay + the secondary's
	 * latency"). Root cause: the first attempt runs on the calling thread
	 * ({@code CallPath.call} → {@code attempt}); the hedge's answer can only be returned by that
	 * thread.
	 */
	@Test
	void aHedgedCallReturnsTheHedgesAnswerWhileAPrimaryThatIgnoresInterruptsStillHangs() {
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("late ollama")).withFixedDelay(4000)));
		openAiServer.script((exchange) -> exchange.respond(200, "application/json",
				ProviderStubs.openAiCompletion("from openai", "stop")));

		long start = System.nanoTime();
		ChatResponse response = this.chatClient.prompt("hi").call().chatResponse();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from openai");
		assertThat(lastAudit().hedged()).isTrue();
		assertThat(elapsed).as("delay + the hedge's latency, not the primary's 4 s").isLessThan(Duration.ofMillis(2000));
	}

	/**
	 * The primary ({@code openai}) answers after 600 ms; the hedge ({@code ollama-phi}, Apache
	 * HttpClient, 4 s) was sent at 200 ms. The primary wins and cancels the hedge, then
	 * {@code CallPath.settle} waits in {@code awaitHedge(deadline)} for the hedge to wind down,
	 * which its client does only when the late answer arrives: the winner's answer is held
	 * for 4 s.
	 */
	@Test
	void theFirstAttemptsAnswerIsNotHeldByAHedgeThatIgnoresInterrupts() {
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("late ollama")).withFixedDelay(4000)));
		openAiServer.script((exchange) -> {
			Thread.sleep(600);
			exchange.respond(200, "application/json", ProviderStubs.openAiCompletion("from openai", "stop"));
		});

		long start = System.nanoTime();
		ChatResponse response = this.chatClient.prompt("hi").dataClass("phi").call().chatResponse();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("from openai");
		assertThat(lastAudit().hedged()).isTrue();
		assertThat(elapsed).as("the primary answered at 600 ms").isLessThan(Duration.ofMillis(2000));
	}

	/**
	 * Issue 16: "metrics count hedges started / won / cancelled per provider". The counters
	 * of {@code Hedging} are plain getters that no meter reads; {@code ResilientAiMetrics}
	 * records the cancelled loser as an attempt with outcome {@code cancelled}, and nothing
	 * else: no meter of hedges started or won, no hedged tag on the request timer (and a hedge
	 * that answered after the primary failed is counted as a failover). Here the primary
	 * ({@code openai}) hangs and is cancelled; the hedge ({@code ollama-phi}) answers.
	 */
	@Test
	void hedgesStartedAndWonAreCountedPerProviderInTheMeterRegistry() {
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("from ollama"))));
		openAiServer.script(ScriptedHttpServer.Exchange::awaitClientClose);

		String answer = this.chatClient.prompt("hi").dataClass("phi").call().content();

		assertThat(answer).isEqualTo("from ollama");
		io.micrometer.core.instrument.MeterRegistry registry = this.meterRegistry.getIfAvailable();
		assertThat(registry).isNotNull();
		assertThat(registry.find("resilient.ai.attempts").tag("outcome", "cancelled").tag("provider", "openai").timer())
			.as("the metrics listener runs: the cancelled primary is recorded").isNotNull();
		List<io.micrometer.core.instrument.Meter> hedgeMeters = registry.getMeters()
			.stream()
			.filter((meter) -> meter.getId().getName().contains("hedg")
					|| meter.getId().getTags().stream().anyMatch((tag) -> tag.getKey().contains("hedg")))
			.toList();
		assertThat(hedgeMeters).as("a meter of hedges started / won per provider")
			.anySatisfy((meter) -> assertThat(meter.getId().getTag("provider")).isEqualTo("ollama-phi"));
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

	}

}
