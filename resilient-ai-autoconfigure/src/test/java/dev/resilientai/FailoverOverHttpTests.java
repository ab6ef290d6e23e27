package dev.resilientai;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicError;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.ollamaError;
import static dev.resilientai.support.ProviderStubs.ollamaRequests;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Failover through the real {@code OpenAiChatModel}, {@code AnthropicChatModel} and
 * {@code OllamaChatModel}, auto-configured by their Spring AI starters, over HTTP to WireMock
 * stubs that answer in each provider's wire format. The order is OpenAI, then Anthropic, then
 * Ollama.
 */
@SpringBootTest(classes = FailoverOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=" + FailoverOverHttpTests.OPENAI_KEY,
				// The application's RestClients (and so Spring AI's Ollama model) use the JDK
				// client, whose requests abort on the attempt timeout's interrupt; Apache
				// HttpClient, otherwise picked since the Anthropic SDK brings it, ignores it
				// (see TestApplication for its HTTP version).
				"spring.http.clients.imperative.factory=jdk",
				"spring.ai.openai.chat.options.model=gpt-4o-mini",
				"spring.ai.anthropic.api-key=" + FailoverOverHttpTests.ANTHROPIC_KEY,
				"resilient-ai.failover.timeout=10s", "resilient-ai.data-classes=public,internal",
				"resilient-ai.default-data-class=internal",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal",
				"resilient-ai.providers.ollama.allowed-data-classes=public,internal",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=10", "resilient-ai.providers.openai.timeout=700ms",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.priority=20", "resilient-ai.providers.anthropic.timeout=700ms",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.priority=30", "resilient-ai.providers.ollama.timeout=700ms",
				"resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size=4",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=2",
				"resilience4j.circuitbreaker.configs.resilient-ai.wait-duration-in-open-state=300ms",
				"resilience4j.circuitbreaker.configs.resilient-ai.permitted-number-of-calls-in-half-open-state=1" })
class FailoverOverHttpTests extends ThreeProviderHttpTests {

	static final String OPENAI_KEY = "sk-canary-openai-4f1c";

	static final String ANTHROPIC_KEY = "sk-ant-canary-9d2e";

	static final String PROMPT_CANARY = "canary-prompt-7b3a";

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	ChatClient.Builder chatClientBuilder;

	@BeforeEach
	void healthyProviders() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("hello from openai", "stop"))));
		anthropicServer
			.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage("hello from anthropic", "end_turn"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("hello from ollama"))));
	}

	@Test
	void whenPrimaryIsHealthyThenPrimaryServesInOneAttempt() {
		ChatResponse response = ask();

		assertThat(response.getResult().getOutput().getText()).isEqualTo("hello from openai");
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		assertThat(anthropicRequests(anthropicServer) + ollamaRequests(ollamaServer)).isZero();
	}

	@Test
	void whenPrimaryIsHealthyThenItReceivesItsOwnModelName() {
		ask();

		openAiServer.verify(com.github.tomakehurst.wiremock.client.WireMock
			.postRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo(ProviderStubs.OPENAI_PATH))
			.withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.model",
					com.github.tomakehurst.wiremock.client.WireMock.equalTo("gpt-4o-mini"))));
	}

	@ParameterizedTest
	@ValueSource(ints = { 500, 502, 503, 401, 403, 404 })
	void whenPrimaryAnswersProviderErrorThenSecondaryServes(int status) {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(status, openAiError("server_error", null, "boom"))));

		ChatResponse response = ask();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@Test
	void whenSecondaryIsOverloadedWith529ThenLocalServes() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer
			.stubFor(anthropic().willReturn(jsonResponse(529, anthropicError("overloaded_error", "Overloaded"))));

		ChatResponse response = ask();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("ollama");
		assertThat(response.getResult().getOutput().getText()).isEqualTo("hello from ollama");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
		assertThat(breaker("anthropic").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	static Stream<Arguments> transportFaults() {
		// OkHttp, as Spring AI configures it, recovers once from a reset of a pooled keep-alive
		// connection (it cannot tell it from a stale one): at most two requests reach the stub.
		return Stream.of(Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), 2),
				Arguments.of("empty response", aResponse().withFault(Fault.EMPTY_RESPONSE), 1),
				Arguments.of("garbage then close", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE), 1),
				Arguments.of("malformed chunk", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK), 1),
				Arguments.of("malformed JSON", jsonResponse(200, "{\"id\": \"chatcmpl-1\", \"choices\": ["), 1));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("transportFaults")
	void whenPrimaryTransportBreaksThenSecondaryServes(String fault,
			com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder response, int maxRequests) {
		openAiServer.stubFor(openAi().willReturn(response));

		ChatResponse answer = ask();

		assertThat((String) answer.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(openAiRequests(openAiServer)).isBetween(1, maxRequests);
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@Test
	void whenPrimaryHangsThenItIsAbandonedAtItsAttemptTimeoutAndSecondaryServes() {
		openAiServer.stubFor(openAi()
			.willReturn(jsonResponse(200, openAiCompletion("too late", "stop")).withFixedDelay(10_000)));

		long start = System.nanoTime();
		ChatResponse response = ask();
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		// The 10 s response never arrives: the call returned because the attempt's HTTP call was
		// cancelled at its 700 ms timeout on this very thread.
		assertThat(elapsed).isLessThan(Duration.ofSeconds(5));
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "openai", "anthropic", "ollama" })
	void whenOnlyProviderHangsThenTheRequestFailsWithATimeoutAndReleasesTheThread(String hung) {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(10_000)));
		anthropicServer.stubFor(
				anthropic().willReturn(jsonResponse(200, anthropicMessage("late", "end_turn")).withFixedDelay(10_000)));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("late")).withFixedDelay(10_000)));
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(provider.getName().equals(hung)));

		long start = System.nanoTime();
		AllProvidersFailedException failure = catchThrowableOfType(AllProvidersFailedException.class, this::ask);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(failure.getAttempts()).filteredOn((attempt) -> attempt.provider().equals(hung))
			.singleElement()
			.satisfies((attempt) -> assertThat(attempt.errorKind()).isEqualTo(ErrorKind.TIMEOUT));
		assertThat(elapsed).isLessThan(Duration.ofSeconds(5));
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@Test
	void whenPrimaryKeepsFailingThenItsBreakerOpensAndItIsSkippedWithoutANetworkCall() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		ask();
		ask();
		assertThat(breaker("openai").getState()).isEqualTo(CircuitBreaker.State.OPEN);

		ChatResponse response = ask();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		assertThat(openAiRequests(openAiServer)).isEqualTo(2);
	}

	@Test
	void whenOpenBreakerWaitEndsThenAHalfOpenProbeBringsThePrimaryBack() throws InterruptedException {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		ask();
		ask();
		assertThat(breaker("openai").getState()).isEqualTo(CircuitBreaker.State.OPEN);
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("back again", "stop"))));
		assertThat((String) ask().getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");

		Thread.sleep(400); // wait-duration-in-open-state is 300 ms in this test

		// the probe runs beside the next provider: the caller gets the first answer, and the
		// probe's answer closes the breaker
		ChatResponse probe = ask();
		assertThat((String) probe.getMetadata().get(ResilientChatClient.PROVIDER)).isIn("openai", "anthropic");
		org.awaitility.Awaitility.await()
			.atMost(java.time.Duration.ofSeconds(2))
			.until(() -> breaker("openai").getState() == CircuitBreaker.State.CLOSED);
		assertThat(openAiRequests(openAiServer)).isEqualTo(3);
		assertThat((String) ask().getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
	}

	@Test
	void whenPrimaryRejectsTheRequestAsInvalidThenNoOtherProviderIsTried() {
		openAiServer.stubFor(openAi().willReturn(
				jsonResponse(400, openAiError("invalid_request_error", "invalid_value", "temperature too high"))));

		ProviderRequestRejectedException failure = catchThrowableOfType(ProviderRequestRejectedException.class,
				this::ask);

		assertThat(failure.getProvider()).isEqualTo("openai");
		assertThat(failure.getHttpStatus()).isEqualTo(400);
		assertThat(anthropicRequests(anthropicServer) + ollamaRequests(ollamaServer)).isZero();
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isZero();
		assertThat(breaker("openai").getMetrics().getNumberOfSuccessfulCalls()).isZero();
	}

	@Test
	void whenPrimarySaysThePromptIsTooLongThenSecondaryServesAndTheBreakerIsUntouched() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(400, openAiError("invalid_request_error",
				"context_length_exceeded", "This model's maximum context length is 128000 tokens."))));

		ChatResponse response = ask();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isZero();
	}

	@Test
	void whenPrimaryRateLimitsWithRetryAfterThenItIsLeftAloneUntilThen() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(429, openAiError("rate_limit_error", null, "slow down"))
			.withHeader("Retry-After", "30")));

		ChatResponse first = ask();
		ChatResponse second = ask();

		assertThat((String) first.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat((String) second.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
		assertThat((Integer) second.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
		assertThat(provider("openai").getRateLimitedUntil()).isAfter(java.time.Instant.now().plusSeconds(25));
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isZero();
	}

	@Test
	void whenPrimaryRefusesThenTheRefusalIsTheAnswer() {
		openAiServer.stubFor(
				openAi().willReturn(jsonResponse(200, openAiCompletion("I can't help with that.", "content_filter"))));

		ChatResponse response = ask();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
		assertThat(response.getResult().getMetadata().getFinishReason()).isEqualToIgnoringCase("content_filter");
		assertThat(anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void whenEveryProviderIsDownThenAllProvidersFailedListsEachAttemptAndLeaksNothing() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer
			.stubFor(anthropic().willReturn(jsonResponse(529, anthropicError("overloaded_error", "Overloaded"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(500, ollamaError("model crashed"))));

		AllProvidersFailedException failure = catchThrowableOfType(AllProvidersFailedException.class, this::ask);

		assertThat(failure.getAttempts()).extracting(ProviderAttempt::provider, ProviderAttempt::errorKind,
				ProviderAttempt::httpStatus)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("openai", ErrorKind.OVERLOADED, 503),
					org.assertj.core.groups.Tuple.tuple("anthropic", ErrorKind.OVERLOADED, 529),
					org.assertj.core.groups.Tuple.tuple("ollama", ErrorKind.SERVER_ERROR, 500));
		assertThat(failure).hasMessageContaining("openai")
			.hasNoCause()
			.message()
			.doesNotContain(OPENAI_KEY, ANTHROPIC_KEY, PROMPT_CANARY);
	}

	@Test
	void whenEveryProviderAnswers503ThenEachGetsExactlyOneHttpRequest() {
		// Spring AI's defaults would send 4 (OpenAI SDK), 3 (Anthropic SDK) and 11 (RetryTemplate)
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(503, anthropicError("api_error", "down"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(503, ollamaError("down"))));

		assertThatExceptionOfType(AllProvidersFailedException.class).isThrownBy(this::ask);

		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
		assertThat(ollamaRequests(ollamaServer)).isEqualTo(1);
	}

	@Test
	void whenEveryProviderIsDisabledThenNoEligibleProviderIsThrownWithoutANetworkCall() {
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(false));

		assertThatExceptionOfType(NoEligibleProviderException.class).isThrownBy(this::ask);

		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer) + ollamaRequests(ollamaServer))
			.isZero();
	}

	@Test
	void springAiChatClientBuilderGetsTheFailoverModelWithThreeModelStarters() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));

		ChatResponse response = this.chatClientBuilder.build().prompt().user("hi").call().chatResponse();

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
	}

	@Test
	void dataClassStandsAnywhereInTheChainAndEntityConversionWorks() {
		openAiServer.stubFor(openAi()
			.willReturn(jsonResponse(200, openAiCompletion("{\"name\":\"Ada\",\"age\":36}", "stop"))));

		Person person = this.chatClient.prompt()
			.dataClass("internal")
			.system("Answer in JSON.")
			.user("Who wrote the first program?")
			.dataClass("public")
			.call()
			.entity(Person.class);

		assertThat(person).isEqualTo(new Person("Ada", 36));
	}

	@Test
	void whenPrimaryFailsBeforeTheFirstChunkThenTheStreamComesFromTheSecondary() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "text/event-stream")
			.withBody(ProviderStubs.anthropicSse("hello ", "stream"))));

		List<ChatResponse> chunks = this.chatClient.prompt().user("hi").stream().chatResponse().collectList().block();

		assertThat(chunks).isNotEmpty()
			.allSatisfy((chunk) -> assertThat((String) chunk.getMetadata().get(ResilientChatClient.PROVIDER))
				.isEqualTo("anthropic"));
		assertThat(chunks.stream()
			.map((chunk) -> (chunk.getResult() != null) ? chunk.getResult().getOutput().getText() : null)
			.filter(java.util.Objects::nonNull)
			.reduce("", String::concat)).isEqualTo("hello stream");
	}

	private ChatResponse ask() {
		return this.chatClient.prompt().user("Summarize " + PROMPT_CANARY).call().chatResponse();
	}

	private CircuitBreaker breaker(String name) {
		return this.circuitBreakerRegistry.circuitBreaker(name);
	}

	private Provider provider(String name) {
		return this.executor.getProviders().stream().filter((p) -> p.getName().equals(name)).findFirst().orElseThrow();
	}

	record Person(String name, int age) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		/**
		 * HTTP/1.1: the JDK client's default h2c upgrade puts WireMock's Jetty on HTTP/2, where
		 * a stream cancelled by one test resets the next request.
		 */
		@org.springframework.context.annotation.Bean
		org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer<org.springframework.boot.http.client.JdkClientHttpRequestFactoryBuilder> http11() {
			return (builder) -> builder.withHttpClientCustomizer((client) -> client.version(java.net.http.HttpClient.Version.HTTP_1_1));
		}

	}

}
