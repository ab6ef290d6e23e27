package dev.resilientai;

import java.util.List;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.support.ProviderStubs;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ndjsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.ollamaNdjson;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Providers declared by configuration alone, mixed with a bean-declared one: two
 * OpenAI-compatible gateways, an Anthropic provider and a local Ollama, each built by the
 * starter with Spring AI's builders, against WireMock stubs in their wire formats; and the
 * last resort.
 */
@SpringBootTest(classes = ConfiguredProvidersOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-bean", "spring.ai.anthropic.api-key=sk-unused",
				"resilient-ai.failover.attempt-timeout=3s", "resilient-ai.fallback.message=Please try again later.",
				"resilient-ai.providers.gateway-a.type=openai-compatible",
				"resilient-ai.providers.gateway-a.model=llama-3.1-8b", "resilient-ai.providers.gateway-a.priority=10",
				"resilient-ai.providers.gateway-b.type=openai-compatible",
				"resilient-ai.providers.gateway-b.model=qwen2.5", "resilient-ai.providers.gateway-b.api-key=sk-gateway-b",
				"resilient-ai.providers.gateway-b.priority=20", "resilient-ai.providers.claude.type=anthropic",
				"resilient-ai.providers.claude.api-key=sk-ant-claude", "resilient-ai.providers.claude.model=claude-x",
				"resilient-ai.providers.claude.max-tokens=256", "resilient-ai.providers.claude.priority=30",
				"resilient-ai.providers.local.type=ollama", "resilient-ai.providers.local.model=llama3.2",
				"resilient-ai.providers.local.temperature=0.2", "resilient-ai.providers.local.priority=40",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=50" })
class ConfiguredProvidersOverHttpTests {

	@RegisterExtension
	static WireMockExtension gatewayA = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension gatewayB = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension claude = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension local = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension openAiBean = ProviderStubs.server();

	@DynamicPropertySource
	static void urls(DynamicPropertyRegistry registry) {
		registry.add("resilient-ai.providers.gateway-a.base-url", () -> ProviderStubs.loopbackUrl(gatewayA) + "/v1");
		registry.add("resilient-ai.providers.gateway-b.base-url", () -> ProviderStubs.loopbackUrl(gatewayB) + "/v1");
		registry.add("resilient-ai.providers.claude.base-url", () -> ProviderStubs.loopbackUrl(claude));
		registry.add("resilient-ai.providers.local.base-url", () -> ProviderStubs.loopbackUrl(local));
		registry.add("spring.ai.openai.base-url", () -> ProviderStubs.loopbackUrl(openAiBean) + "/v1");
	}

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	FailoverExecutor executor;

	@Autowired
	CircuitBreakerRegistry circuitBreakerRegistry;

	@BeforeEach
	void healthy() {
		for (WireMockExtension gateway : List.of(gatewayA, gatewayB, openAiBean)) {
			gateway.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from " + gateway.getPort(), "stop"))));
			gateway.stubFor(openAi().withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"stream\":true"))
				.atPriority(1)
				.willReturn(sseResponse(ProviderStubs.openAiSse("streamed ", "answer"))));
		}
		claude.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage("from claude", "end_turn"))));
		claude.stubFor(anthropic().withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(sseResponse(ProviderStubs.anthropicSse("streamed ", "claude"))));
		local.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("from local"))));
		local.stubFor(ollama().withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(ndjsonResponse(ollamaNdjson("streamed ", "local"))));
	}

	@AfterEach
	void reset() {
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		this.executor.getProviders().forEach((provider) -> {
			provider.setEnabled(true);
			provider.clearComebackProbe();
		});
		for (WireMockExtension server : List.of(gatewayA, gatewayB, claude, local, openAiBean)) {
			server.resetAll();
		}
	}

	@Test
	void streamsOfSpringAisOpenAiAnthropicAndOllamaModelsMustEndWithTheirEndMarker() {
		assertThat(this.executor.getProviders()).allSatisfy(
				(provider) -> assertThat(provider.isEndMarkerRequired()).as(provider.getName()).isTrue());
	}

	@Test
	void providersDeclaredByTypeAndByBeanMixInPriorityOrder() {
		assertThat(this.executor.getProviders()).extracting(dev.resilientai.failover.Provider::getName)
			.containsExactly("gateway-a", "gateway-b", "claude", "local", "openai");
	}

	@Test
	void twoOpenAiCompatibleGatewaysFailOverToEachOtherEachWithItsOwnModel() {
		gatewayA.stubFor(openAi().atPriority(0).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));

		ChatResponse response = this.chatClient.prompt().user("hello").call().chatResponse();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("gateway-b");
		assertThat(bodies(gatewayA)).singleElement().satisfies((body) -> assertThat(body).contains("\"model\":\"llama-3.1-8b\""));
		assertThat(bodies(gatewayB)).singleElement().satisfies((body) -> assertThat(body).contains("\"model\":\"qwen2.5\"")
			.doesNotContain("llama-3.1-8b"));
		// an openai-compatible provider without api-key sends no key (never OPENAI_API_KEY)
		assertThat(gatewayA.getAllServeEvents().get(0).getRequest().containsHeader("Authorization")).isFalse();
		assertThat(gatewayB.getAllServeEvents().get(0).getRequest().getHeader("Authorization"))
			.isEqualTo("Bearer sk-gateway-b");
	}

	@Test
	void everyTypeServesCallsAndStreams() {
		only("claude");
		assertThat(this.chatClient.prompt().user("hi").call().content()).isEqualTo("from claude");
		assertThat(String.join("", this.chatClient.prompt().user("hi").stream().content().collectList().block()))
			.isEqualTo("streamed claude");
		assertThat(bodies(claude)).allSatisfy((body) -> assertThat(body).contains("\"model\":\"claude-x\"")
			.contains("\"max_tokens\":256"));

		only("local");
		assertThat(this.chatClient.prompt().user("hi").call().content()).isEqualTo("from local");
		assertThat(String.join("", this.chatClient.prompt().user("hi").stream().content().collectList().block()))
			.isEqualTo("streamed local");
		assertThat(bodies(local)).allSatisfy((body) -> assertThat(body).contains("\"model\":\"llama3.2\"")
			.contains("\"temperature\":0.2"));

		only("gateway-b");
		assertThat(String.join("", this.chatClient.prompt().user("hi").stream().content().collectList().block()))
			.isEqualTo("streamed answer");
	}

	@Test
	void portableOptionsReachEveryProviderButNeverTheRequestsModelName() {
		for (WireMockExtension server : List.of(gatewayA, gatewayB)) {
			server.stubFor(openAi().atPriority(0).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		}
		claude.stubFor(anthropic().atPriority(0).willReturn(jsonResponse(529, "{}")));

		ChatResponse response = this.chatClient.prompt()
			.user("hi")
			.options(ChatOptions.builder().model("gpt-4o").temperature(0.7).maxTokens(77).topP(0.9))
			.call()
			.chatResponse();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("local");
		for (WireMockExtension server : List.of(gatewayA, gatewayB, claude, local)) {
			assertThat(bodies(server)).singleElement()
				.satisfies((body) -> assertThat(body).contains("0.7").contains("77").contains("0.9").doesNotContain("gpt-4o"));
		}
	}

	@Test
	void providerSpecificOptionsReachOnlyProvidersOfThatKind() {
		gatewayA.stubFor(openAi().atPriority(0).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		gatewayB.stubFor(openAi().atPriority(0).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));

		ChatResponse response = this.chatClient.prompt()
			.user("hi")
			.options(OpenAiChatOptions.builder().seed(4242).temperature(0.3))
			.call()
			.chatResponse();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("claude");
		assertThat(bodies(gatewayA)).singleElement().satisfies((body) -> assertThat(body).contains("\"seed\":4242"));
		assertThat(bodies(gatewayB)).singleElement().satisfies((body) -> assertThat(body).contains("\"seed\":4242"));
		assertThat(bodies(claude)).singleElement()
			.satisfies((body) -> assertThat(body).doesNotContain("seed").doesNotContain("4242").contains("0.3"));
	}

	@Test
	void whenEveryProviderFailsTheLastResortAnswersMarkedAsFallback() {
		for (WireMockExtension server : List.of(gatewayA, gatewayB, openAiBean)) {
			server.stubFor(openAi().atPriority(0).willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		}
		claude.stubFor(anthropic().atPriority(0).willReturn(jsonResponse(529, "{}")));
		local.stubFor(ollama().atPriority(0).willReturn(jsonResponse(503, "{\"error\":\"down\"}")));

		ChatResponse call = this.chatClient.prompt().user("hi").call().chatResponse();
		List<ChatResponse> stream = this.chatClient.prompt().user("hi").stream().chatResponse().collectList().block();

		assertThat(call.getResult().getOutput().getText()).isEqualTo("Please try again later.");
		assertThat((String) call.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("fallback");
		assertThat((Integer) call.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(5);
		assertThat(stream).singleElement()
			.satisfies((chunk) -> assertThat((String) chunk.getMetadata().get(ResilientChatClient.PROVIDER))
				.isEqualTo("fallback"));
	}

	@Test
	void theLastResortNeverAnswersACallersMistakeOrAComplianceRefusal() {
		gatewayA.stubFor(openAi().atPriority(0)
			.willReturn(jsonResponse(400, openAiError("invalid_request_error", "invalid_value", "bad temperature"))));

		assertThatExceptionOfType(ProviderRequestRejectedException.class)
			.isThrownBy(() -> this.chatClient.prompt().user("hi").call().content());
		assertThatExceptionOfType(UnknownDataClassException.class)
			.isThrownBy(() -> this.chatClient.prompt().user("hi").dataClass("pii").call().content());
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(false));
		assertThatExceptionOfType(NoEligibleProviderException.class)
			.isThrownBy(() -> this.chatClient.prompt().user("hi").call().content());
	}

	private void only(String name) {
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(provider.getName().equals(name)));
	}

	private static List<String> bodies(WireMockExtension server) {
		return server.getAllServeEvents().stream().map(ServeEvent::getRequest).map((r) -> r.getBodyAsString()).toList();
	}


	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
