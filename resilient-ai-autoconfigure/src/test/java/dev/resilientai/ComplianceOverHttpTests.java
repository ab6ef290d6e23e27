package dev.resilientai;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.AuditRecord.AuditOutcome;
import dev.resilientai.audit.ResilientAiAuditEvent;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
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
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Compliance routing through the real Spring AI models over HTTP: public and internal may go
 * to OpenAI, pii to Anthropic and the local model, phi only to the local model (Ollama).
 */
@SpringBootTest(classes = ComplianceOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.data-classes=public,internal,pii,phi", "resilient-ai.default-data-class=internal",
				"resilient-ai.failover.timeout=5s", "resilient-ai.failover.attempt-timeout=400ms",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal,pii",
				"resilient-ai.providers.local.chat-model=ollamaChatModel",
				"resilient-ai.providers.local.allowed-data-classes=public,internal,pii,phi",
				"resilient-ai.classifier.personal-data.enabled=true", "resilient-ai.audit.log-enabled=true",
				"resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size=4",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=2",
				"resilience4j.circuitbreaker.configs.resilient-ai.wait-duration-in-open-state=200ms" })
@RecordApplicationEvents
class ComplianceOverHttpTests extends ThreeProviderHttpTests {

	static final Map<String, Set<String>> ALLOWED = Map.of("openai", Set.of("public", "internal"), "anthropic",
			Set.of("public", "internal", "pii"), "local", Set.of("public", "internal", "pii", "phi"));

	static final String PROMPT_CANARY = "canary-prompt-51e0";

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	ChatClient.Builder chatClientBuilder;

	@Autowired
	ApplicationEvents events;

	@Autowired
	ChatModel primaryModel;

	@BeforeEach
	void healthyProviders() {
		stubAll(null, null, null);
	}

	@Test
	void phiSkipsHealthyProvidersThatAreNotAllowedIt() {
		ChatResponse response = ask("phi");

		assertThat(provider(response)).isEqualTo("local");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void piiFailsOverOnlyInsideItsAllowedSet() {
		anthropicServer
			.stubFor(anthropic().willReturn(jsonResponse(529, anthropicError("overloaded_error", "Overloaded"))));

		ChatResponse response = ask("pii");

		assertThat(provider(response)).isEqualTo("local");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
		assertThat(openAiRequests(openAiServer)).isZero();
	}

	@Test
	void phiFailsClosedWhenItsOnlyProviderIsDownOverManyRequests() {
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(503, ollamaError("down"))));

		for (int i = 0; i < 20; i++) {
			assertThatExceptionOfType(AllProvidersFailedException.class).isThrownBy(() -> ask("phi"))
				.satisfies((failure) -> assertThat(failure.getAttempts())
					.allSatisfy((attempt) -> assertThat(attempt.provider()).isEqualTo("local")));
		}

		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
		// the breaker opened after two failures: later requests did not even reach the local model
		assertThat(ollamaRequests(ollamaServer)).isLessThan(20);
	}

	@Test
	void anUnknownClassIsRefusedWithNoOutboundRequest() {
		assertThatExceptionOfType(UnknownDataClassException.class).isThrownBy(() -> ask("secret"))
			.satisfies((failure) -> assertThat(failure.getDataClass()).isEqualTo("secret"));

		assertThat(totalRequests()).isZero();
	}

	@Test
	void aRequestThatNamesNoClassHasTheDefaultClass() {
		ChatResponse response = this.chatClient.prompt().user("hello").call().chatResponse();

		assertThat(provider(response)).isEqualTo("openai");
		assertThat(lastAudit().dataClass()).isEqualTo("internal");
		assertThat(lastAudit().requestedDataClass()).isNull();
	}

	@Test
	void aPlainChatClientSetsTheClassWithTheAdvisorParam() {
		ChatResponse response = this.chatClientBuilder.build()
			.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.chatResponse();

		assertThat(provider(response)).isEqualTo("local");
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void theAutoConfiguredBuilderHonoursTheAdvisorParamInStreams() {
		List<ChatResponse> chunks = this.chatClientBuilder.build()
			.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.stream()
			.chatResponse()
			.collectList()
			.block();

		assertThat(chunks).isNotEmpty().allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("local"));
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void aChatClientBuiltByHandWithoutTheRoutingAdvisorFailsClosedOnCallsAndStreams() {
		ChatClient plain = ChatClient.builder(this.primaryModel).build();

		Throwable call = catchThrowable(() -> plain.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.content());
		Throwable stream = catchThrowable(() -> ChatClient.create(this.primaryModel)
			.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.stream()
			.content()
			.blockLast());
		Throwable noParam = catchThrowable(() -> plain.prompt().user("hello").call().content());

		assertThat(List.of(call, stream, noParam)).allSatisfy((failure) -> assertThat(failure)
			.isInstanceOf(DataClassNotEnforceableException.class)
			.hasMessageContaining(ResilientChatClient.DATA_CLASS)
			.hasMessageContaining("RoutingAdvisor"));
		assertThat(totalRequests()).isZero();
		assertThat(lastAudit().outcome()).isEqualTo(AuditOutcome.DATA_CLASS_NOT_ENFORCEABLE);
	}

	@Test
	void aChatClientBuiltByHandWithoutTheRoutingAdvisorServesTheMostSensitiveClass() {
		ChatResponse response = ChatClient.builder(this.primaryModel)
			.build()
			.prompt()
			.user("hello")
			.options(FailoverChatOptions.builder().dataClass("phi"))
			.call()
			.chatResponse();
		Throwable lessSensitive = catchThrowable(() -> ChatClient.create(this.primaryModel)
			.prompt()
			.user("hello")
			.options(FailoverChatOptions.builder().dataClass("pii"))
			.call()
			.content());

		assertThat(provider(response)).isEqualTo("local");
		assertThat(lessSensitive).isInstanceOf(DataClassNotEnforceableException.class);
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void aChatClientBuiltByHandWithTheRoutingAdvisorHonoursTheAdvisorParam() {
		ChatClient client = ChatClient.builder(this.primaryModel).defaultAdvisors(new RoutingAdvisor()).build();

		ChatResponse call = client.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.chatResponse();
		List<ChatResponse> stream = client.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.stream()
			.chatResponse()
			.collectList()
			.block();
		ChatResponse defaultClass = client.prompt().user("hello").call().chatResponse();

		assertThat(provider(call)).isEqualTo("local");
		assertThat(stream).isNotEmpty().allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("local"));
		assertThat(provider(defaultClass)).isEqualTo("openai");
		assertThat(lastAudit().dataClass()).isEqualTo("internal");
		assertThat(anthropicRequests(anthropicServer)).isZero();
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
	}

	@Test
	void aMutatedResilientChatClientKeepsFailingOverAndMayTakeADefaultClass() {
		ResilientChatClient phiClient = this.chatClient.mutate().defaultDataClass("phi").build();

		ChatResponse byDefault = phiClient.prompt().user("hello").call().chatResponse();
		ChatResponse notLowered = phiClient.prompt().user("hello").dataClass("public").call().chatResponse();
		List<ChatResponse> streamed = phiClient.prompt().user("hello").stream().chatResponse().collectList().block();
		ChatResponse original = this.chatClient.prompt().user("hello").call().chatResponse();

		assertThat(provider(byDefault)).isEqualTo("local");
		assertThat(provider(notLowered)).isEqualTo("local");
		assertThat(streamed).isNotEmpty().allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("local"));
		assertThat(provider(original)).isEqualTo("openai");
		assertThat(anthropicRequests(anthropicServer)).isZero();
		assertThat(openAiRequests(openAiServer)).isEqualTo(1);
	}

	@Test
	void theClassNamedInOptionsAndTheAdvisorParamAddUp() {
		ChatResponse response = this.chatClient.prompt()
			.user("hello")
			.options(FailoverChatOptions.builder().dataClass("phi"))
			.dataClass("public")
			.call()
			.chatResponse();

		assertThat(provider(response)).isEqualTo("local");
		assertThat(lastAudit().dataClass()).isEqualTo("phi");
		assertThat(lastAudit().requestedDataClass()).isEqualTo("phi");
	}

	@Test
	void aDirectCallOfThePrimaryModelHasTheDefaultClassOrTheOneInItsOptions() {
		ChatResponse byDefault = this.primaryModel.call(new Prompt("hello"));
		ChatResponse phi = this.primaryModel
			.call(new Prompt("hello", FailoverChatOptions.builder().dataClass("phi").build()));

		assertThat(provider(byDefault)).isEqualTo("openai");
		assertThat(provider(phi)).isEqualTo("local");
	}

	@Test
	void theAdvisorParamMustBeANonEmptyString() {
		assertThatExceptionOfType(ResilientAiException.class)
			.isThrownBy(() -> this.chatClientBuilder.build()
				.prompt()
				.user("hello")
				.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, 3))
				.call()
				.content())
			.withMessageContaining(ResilientChatClient.DATA_CLASS);
		assertThat(totalRequests()).isZero();
	}

	@Test
	void streamsObeyTheSameRules() {
		stubAll(null, jsonResponse(529, anthropicError("overloaded_error", "Overloaded")), null);

		List<ChatResponse> pii = this.chatClient.prompt()
			.user("hello")
			.dataClass("pii")
			.stream()
			.chatResponse()
			.collectList()
			.block();
		Throwable phiDown = catchThrowable(() -> {
			stubAll(null, null, jsonResponse(503, ollamaError("down")));
			this.chatClient.prompt().user("hello").dataClass("phi").stream().content().blockLast();
		});
		Throwable unknown = catchThrowable(
				() -> this.chatClient.prompt().user("hello").dataClass("secret").stream().content().blockLast());

		assertThat(pii).isNotEmpty().allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("local"));
		assertThat(phiDown).isInstanceOf(AllProvidersFailedException.class);
		assertThat(unknown).isInstanceOf(UnknownDataClassException.class);
		assertThat(openAiRequests(openAiServer)).isZero();
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
	}

	@Test
	void theClassifierRaisesInternalToPiiWhenThePromptHoldsPersonalData() {
		ChatResponse response = this.chatClient.prompt()
			.user("Draft a reply to jane.doe@example.com about her order")
			.dataClass("internal")
			.call()
			.chatResponse();

		assertThat(provider(response)).isEqualTo("anthropic");
		assertThat(openAiRequests(openAiServer)).isZero();
		AuditRecord record = lastAudit();
		assertThat(record.dataClass()).isEqualTo("pii");
		assertThat(record.requestedDataClass()).isEqualTo("internal");
		assertThat(record.raisedByClassifier()).isTrue();
	}

	@Test
	void theClassifierNeverLowersAClass() {
		ChatResponse response = ask("phi");

		assertThat(provider(response)).isEqualTo("local");
		assertThat(lastAudit().raisedByClassifier()).isFalse();
	}

	@Test
	void whenEveryAllowedProviderIsDisabledThenNoEligibleProviderWithNoOutboundRequest() {
		this.executor.getProviders()
			.stream()
			.filter((provider) -> provider.getName().equals("local"))
			.forEach((provider) -> provider.setEnabled(false));

		assertThatExceptionOfType(NoEligibleProviderException.class).isThrownBy(() -> ask("phi"));

		assertThat(totalRequests()).isZero();
		assertThat(lastAudit().outcome()).isEqualTo(AuditOutcome.NO_ELIGIBLE_PROVIDER);
	}

	@Test
	void auditRecordsTellSuccessFailoverSkipAndRefusalWithoutPromptText() {
		ask("public");
		AuditRecord success = lastAudit();
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "boom"))));
		ask("internal");
		AuditRecord failover = lastAudit();
		ask("phi");
		AuditRecord skip = lastAudit();
		catchThrowable(() -> ask("secret"));
		AuditRecord refusal = lastAudit();

		assertThat(success.outcome()).isEqualTo(AuditOutcome.SUCCESS);
		assertThat(success.servedBy()).isEqualTo("openai");
		assertThat(success.consideredProviders()).containsExactly("openai", "anthropic", "local");
		assertThat(failover.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::outcome,
				ProviderAttempt::errorKind)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("openai", ProviderAttempt.Outcome.FAILURE,
					ErrorKind.SERVER_ERROR),
					org.assertj.core.groups.Tuple.tuple("anthropic", ProviderAttempt.Outcome.SUCCESS, null));
		assertThat(skip.steps()).extracting(ProviderAttempt::provider, ProviderAttempt::skipReason)
			.startsWith(org.assertj.core.groups.Tuple.tuple("openai", SkipReason.NOT_ALLOWED),
					org.assertj.core.groups.Tuple.tuple("anthropic", SkipReason.NOT_ALLOWED));
		assertThat(refusal.outcome()).isEqualTo(AuditOutcome.UNKNOWN_DATA_CLASS);
		assertThat(refusal.steps()).isEmpty();
		assertThat(List.of(success, failover, skip, refusal))
			.allSatisfy((record) -> assertThat(record.toString()).doesNotContain(PROMPT_CANARY, "sk-test"));
		assertThat(List.of(success.requestId(), failover.requestId(), skip.requestId(), refusal.requestId()))
			.doesNotHaveDuplicates();
	}

	/**
	 * Many requests with random classes, calls and streams, through random faults on every
	 * provider: no request may ever reach a provider outside its class's allowed set. Each
	 * request's prompt carries a marker naming its class; the stubs' request logs are read
	 * afterwards.
	 */
	@Test
	void underRandomFaultsNoRequestEverReachesAProviderOutsideItsAllowedSet() {
		Random random = new Random(20261121L);
		List<String> classes = List.of("public", "internal", "pii", "phi");
		int served = 0;
		for (int i = 0; i < 150; i++) {
			if (i % 10 == 0) {
				// let breakers and Retry-After rests come and go within the run
				resetProviders();
			}
			stubAll(fault(random), fault(random), fault(random));
			String dataClass = classes.get(random.nextInt(classes.size()));
			String marker = "marker:" + dataClass + ":" + i;
			ChatClient.ChatClientRequestSpec request = entryPath(random.nextInt(6), dataClass).user(marker);
			try {
				if (random.nextInt(4) == 0) {
					request.stream().content().blockLast();
				}
				else {
					request.call().content();
				}
				served++;
			}
			catch (ResilientAiException ex) {
				// expected under faults: what matters is where the request went
			}
		}

		Map<String, WireMockExtension> servers = Map.of("openai", openAiServer, "anthropic", anthropicServer, "local",
				ollamaServer);
		Pattern markerPattern = Pattern.compile("marker:(\\w+):\\d+");
		int checked = 0;
		for (Map.Entry<String, WireMockExtension> server : servers.entrySet()) {
			for (ServeEvent event : server.getValue().getAllServeEvents()) {
				Matcher matcher = markerPattern.matcher(event.getRequest().getBodyAsString());
				assertThat(matcher.find()).as("every request carries a marker").isTrue();
				assertThat(ALLOWED.get(server.getKey())).as(server.getKey() + " received " + matcher.group())
					.contains(matcher.group(1));
				checked++;
			}
		}
		assertThat(checked).as("requests that reached a provider").isGreaterThan(100);
		assertThat(served).as("requests served despite the faults").isGreaterThan(40);
		assertThat(openAiServer.getAllServeEvents()).isNotEmpty();
		assertThat(anthropicServer.getAllServeEvents()).isNotEmpty();
		assertThat(ollamaServer.getAllServeEvents()).isNotEmpty();
	}

	/**
	 * One of the ways an application hands a request with a data class to the failover model.
	 */
	private ChatClient.ChatClientRequestSpec entryPath(int path, String dataClass) {
		return switch (path) {
			case 0 -> this.chatClient.prompt().dataClass(dataClass);
			case 1 -> this.chatClient.prompt().advisors((a) -> a.param(ResilientChatClient.DATA_CLASS, dataClass));
			case 2 -> this.chatClientBuilder.build()
				.prompt()
				.advisors((a) -> a.param(ResilientChatClient.DATA_CLASS, dataClass));
			case 3 -> ChatClient.builder(this.primaryModel)
				.build()
				.prompt()
				.advisors((a) -> a.param(ResilientChatClient.DATA_CLASS, dataClass));
			case 4 -> ChatClient.builder(this.primaryModel)
				.defaultAdvisors(new RoutingAdvisor())
				.build()
				.prompt()
				.advisors((a) -> a.param(ResilientChatClient.DATA_CLASS, dataClass));
			default -> ChatClient.create(this.primaryModel)
				.prompt()
				.options(FailoverChatOptions.builder().dataClass(dataClass));
		};
	}

	private static ResponseDefinitionBuilder fault(Random random) {
		int pick = random.nextInt(20);
		return switch (pick) {
			case 0 -> aResponse().withStatus(500).withBody("{}");
			case 1 -> aResponse().withStatus(503).withBody("{}");
			case 2 -> aResponse().withStatus(529).withBody("{}");
			case 3 -> aResponse().withStatus(429).withHeader("Retry-After", "1").withBody("{}");
			case 4 -> aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
			case 5 -> aResponse().withFault(Fault.EMPTY_RESPONSE);
			case 6 -> aResponse().withStatus(200).withFixedDelay(1_500).withBody("{}");
			default -> null;
		};
	}

	/**
	 * Stub each provider with a fault, or (null) with healthy call and stream answers.
	 */
	private void stubAll(ResponseDefinitionBuilder openAiFault, ResponseDefinitionBuilder anthropicFault,
			ResponseDefinitionBuilder ollamaFault) {
		stub(openAiServer, ProviderStubs::openAi, openAiFault, jsonResponse(200, openAiCompletion("from openai", "stop")),
				ProviderStubs.sseResponse(ProviderStubs.openAiSse("from ", "openai")), "\"stream\":true");
		stub(anthropicServer, ProviderStubs::anthropic, anthropicFault,
				jsonResponse(200, anthropicMessage("from anthropic", "end_turn")),
				ProviderStubs.sseResponse(ProviderStubs.anthropicSse("from ", "anthropic")), "\"stream\":true");
		stub(ollamaServer, ProviderStubs::ollama, ollamaFault, jsonResponse(200, ollamaChat("from local")),
				ProviderStubs.ndjsonResponse(ProviderStubs.ollamaNdjson("from ", "local")), "\"stream\":true");
	}

	private static void stub(WireMockExtension server, Supplier<MappingBuilder> mapping, ResponseDefinitionBuilder fault,
			ResponseDefinitionBuilder call, ResponseDefinitionBuilder stream, String streamMarker) {
		server.resetMappings();
		if (fault != null) {
			server.stubFor(mapping.get().willReturn(fault));
			return;
		}
		server.stubFor(mapping.get().willReturn(call));
		MappingBuilder streaming = mapping.get().withRequestBody(containing(streamMarker)).atPriority(1);
		server.stubFor(streaming.willReturn(stream));
	}

	private ChatResponse ask(String dataClass) {
		return this.chatClient.prompt().user("Summarize " + PROMPT_CANARY).dataClass(dataClass).call().chatResponse();
	}

	private static String provider(ChatResponse response) {
		return response.getMetadata().get(ResilientChatClient.PROVIDER);
	}

	private AuditRecord lastAudit() {
		List<ResilientAiAuditEvent> all = new ArrayList<>(this.events.stream(ResilientAiAuditEvent.class).toList());
		assertThat(all).isNotEmpty();
		return all.get(all.size() - 1).getRecord();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
