package dev.resilientai.support;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that run the real OpenAI, Anthropic and Ollama models of the Spring AI
 * starters against three WireMock stubs, each reached on
 * {@link ProviderStubs#loopbackUrl 127.0.0.1}. Breakers, rests and kill switches are reset
 * after each test.
 */
public abstract class ThreeProviderHttpTests {

	private static final Set<ApplicationContext> warmContexts = Collections.newSetFromMap(new WeakHashMap<>());

	@RegisterExtension
	protected static WireMockExtension openAiServer = ProviderStubs.server();

	@RegisterExtension
	protected static WireMockExtension anthropicServer = ProviderStubs.server();

	@RegisterExtension
	protected static WireMockExtension ollamaServer = ProviderStubs.server();

	@Autowired
	protected FailoverExecutor executor;

	@Autowired
	protected CircuitBreakerRegistry circuitBreakerRegistry;

	@Autowired
	private ApplicationContext context;

	@DynamicPropertySource
	static void providerUrls(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.openai.base-url", () -> ProviderStubs.loopbackUrl(openAiServer) + "/v1");
		registry.add("spring.ai.anthropic.base-url", () -> ProviderStubs.loopbackUrl(anthropicServer));
		registry.add("spring.ai.ollama.base-url", () -> ProviderStubs.loopbackUrl(ollamaServer));
	}

	/**
	 * Call and stream each model once outside the failover loop (see
	 * {@link ProviderStubs#warmUp}).
	 */
	@BeforeEach
	void warmUpModels() {
		if (warmContexts.add(this.context)) {
			ProviderStubs.warmUp(this.executor.getProviders()
				.stream()
				.map(dev.resilientai.failover.Provider::getModel)
				.distinct()
				.toList());
			openAiServer.resetRequests();
			anthropicServer.resetRequests();
			ollamaServer.resetRequests();
		}
	}

	@AfterEach
	protected void resetProviders() {
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		this.executor.getProviders().forEach((provider) -> {
			provider.clearRateLimit();
			provider.setEnabled(true);
			// a fresh provider for the next test, not one coming back from a kill switch
			provider.clearComebackProbe();
		});
	}

	/**
	 * Stub each provider with a healthy answer to calls ("from openai", "from anthropic",
	 * "from local") and to streams.
	 */
	protected static void stubHealthyProviders() {
		stubHealthy(openAiServer, ProviderStubs::openAi,
				ProviderStubs.jsonResponse(200, ProviderStubs.openAiCompletion("from openai", "stop")),
				ProviderStubs.sseResponse(ProviderStubs.openAiSse("from ", "openai")));
		stubHealthy(anthropicServer, ProviderStubs::anthropic,
				ProviderStubs.jsonResponse(200, ProviderStubs.anthropicMessage("from anthropic", "end_turn")),
				ProviderStubs.sseResponse(ProviderStubs.anthropicSse("from ", "anthropic")));
		stubHealthy(ollamaServer, ProviderStubs::ollama,
				ProviderStubs.jsonResponse(200, ProviderStubs.ollamaChat("from local")),
				ProviderStubs.ndjsonResponse(ProviderStubs.ollamaNdjson("from ", "local")));
	}

	private static void stubHealthy(WireMockExtension server,
			java.util.function.Supplier<com.github.tomakehurst.wiremock.client.MappingBuilder> mapping,
			com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder call,
			com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder stream) {
		server.resetMappings();
		server.stubFor(mapping.get().willReturn(call));
		server.stubFor(mapping.get()
			.withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(stream));
	}

	protected int totalRequests() {
		return openAiServer.getAllServeEvents().size() + anthropicServer.getAllServeEvents().size()
				+ ollamaServer.getAllServeEvents().size();
	}

}
