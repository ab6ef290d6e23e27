package dev.resilientai;

import java.util.List;

import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.failover.Provider;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpServerErrorException;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.notContaining;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ndjsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests made while another request runs on the same thread (a tool callback in Spring
 * AI's tool-calling loop, a model that calls back into the failover model) are at least as
 * sensitive as the outer request: a phi conversation's follow-ups never reach a provider
 * allowed only less. The real OpenAI, Anthropic and Ollama models answer over HTTP; phi may
 * only go to the local model (Ollama) and to the {@code callback} model, a custom model that
 * asks the {@code ResilientChatClient} before it answers.
 */
@SpringBootTest(classes = NestedRequestsOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.data-classes=public,internal,pii,phi", "resilient-ai.default-data-class=internal",
				"resilient-ai.failover.timeout=5s", "resilient-ai.failover.attempt-timeout=2s",
				"resilient-ai.providers.callback.chat-model=callbackModel",
				"resilient-ai.providers.callback.priority=1",
				"resilient-ai.providers.callback.allowed-data-classes=phi",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=10",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.priority=20",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal,pii",
				"resilient-ai.providers.local.chat-model=ollamaChatModel", "resilient-ai.providers.local.priority=30",
				"resilient-ai.providers.local.allowed-data-classes=public,internal,pii,phi" })
class NestedRequestsOverHttpTests extends ThreeProviderHttpTests {

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	AuditRecords audits;

	@Autowired
	ChatModel primaryModel;

	@BeforeEach
	void healthyProvidersAndNoCallbackModel() {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from openai", "stop"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage("from anthropic", "end_turn"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("from local"))));
		callbackProvider().setEnabled(false);
		this.audits.records.clear();
	}

	@Test
	void aToolCallbackDuringAPhiCallInheritsPhi() {
		stubLocalToolCall(false);

		String answer = this.chatClient.prompt()
			.user("outer-request")
			.dataClass("phi")
			.tools(new LookupTool(this.chatClient))
			.call()
			.content();

		assertThat(answer).isEqualTo("from local");
		assertNestedRequestStayedWithPhiProviders();
	}

	@Test
	void aToolCallbackDuringAPhiStreamInheritsPhi() {
		stubLocalToolCall(true);

		List<String> chunks = this.chatClient.prompt()
			.user("outer-request")
			.dataClass("phi")
			.tools(new LookupTool(this.chatClient))
			.stream()
			.content()
			.collectList()
			.block();

		assertThat(String.join("", chunks)).isEqualTo("from local");
		assertNestedRequestStayedWithPhiProviders();
	}

	@Test
	void aModelThatCallsBackDuringAPhiCallPassesPhiOn() {
		callbackProvider().setEnabled(true);
		callbackProvider().clearComebackProbe();

		ChatResponse response = this.chatClient.prompt().user("outer-request").dataClass("phi").call().chatResponse();

		assertThat(response.getResult().getOutput().getText()).isEqualTo("callback after: from local");
		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("callback");
		assertNestedRequestStayedWithPhiProviders();
	}

	@Test
	void aModelThatCallsBackDuringADirectPhiCallOfThePrimaryModelPassesPhiOn() {
		callbackProvider().setEnabled(true);
		callbackProvider().clearComebackProbe();

		ChatResponse response = this.primaryModel
			.call(new Prompt("outer-request", FailoverChatOptions.builder().dataClass("phi").build()));

		assertThat(response.getResult().getOutput().getText()).isEqualTo("callback after: from local");
		assertNestedRequestStayedWithPhiProviders();
	}

	@Test
	void aModelThatCallsBackDuringAPhiStreamPassesPhiOn() {
		callbackProvider().setEnabled(true);
		callbackProvider().clearComebackProbe();

		List<String> chunks = this.chatClient.prompt()
			.user("outer-request")
			.dataClass("phi")
			.stream()
			.content()
			.collectList()
			.block();

		assertThat(chunks).containsExactly("callback after: from local");
		assertNestedRequestStayedWithPhiProviders();
	}

	@Test
	void aNestedRequestMayRaiseItsClassWhileTheOuterOneKeepsItsOwn() {
		openAiServer.stubFor(openAi().withRequestBody(containing("outer-request"))
			.withRequestBody(notContaining("\"role\":\"tool\""))
			.atPriority(1)
			.willReturn(jsonResponse(200, openAiToolCall())));

		String answer = this.chatClient.prompt()
			.user("outer-request")
			.tools(new LookupTool(this.chatClient, "phi"))
			.call()
			.content();

		assertThat(answer).isEqualTo("from openai");
		assertThat(openAiRequests(openAiServer)).as("both rounds of the outer internal request").isEqualTo(2);
		assertThat(ollamaServer.getAllServeEvents()).singleElement()
			.satisfies((event) -> assertThat(event.getRequest().getBodyAsString()).contains("nested-request"));
		assertThat(this.audits.records).extracting(AuditRecord::dataClass).containsExactly("internal", "phi", "internal");
	}

	private void assertNestedRequestStayedWithPhiProviders() {
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer)).isZero();
		assertThat(ollamaServer.getAllServeEvents())
			.anySatisfy((event) -> assertThat(event.getRequest().getBodyAsString()).contains("nested-request"));
		assertThat(this.audits.records).hasSizeGreaterThanOrEqualTo(2).allSatisfy((record) -> {
			assertThat(record.dataClass()).isEqualTo("phi");
			assertThat(record.servedBy()).isIn("local", "callback");
		});
	}

	private void stubLocalToolCall(boolean streaming) {
		String toolCall = toolCall();
		ollamaServer.stubFor(ollama().withRequestBody(containing("outer-request"))
			.withRequestBody(notContaining("\"role\":\"tool\""))
			.atPriority(1)
			.willReturn(streaming ? ndjsonResponse(toolCall.replace("\n", "") + "\n") : jsonResponse(200, toolCall)));
		if (streaming) {
			ollamaServer.stubFor(ollama().withRequestBody(containing("\"role\":\"tool\""))
				.atPriority(2)
				.willReturn(ndjsonResponse(ProviderStubs.ollamaNdjson("from ", "local"))));
		}
	}

	private static String toolCall() {
		return """
				{"model":"llama3.2","created_at":"2025-01-01T00:00:00Z",
				 "message":{"role":"assistant","content":"",
				  "tool_calls":[{"id":"call_1","function":{"name":"lookup","arguments":{"id":"42"}}}]},
				 "done":true,"done_reason":"stop","prompt_eval_count":5,"eval_count":3}
				""";
	}

	private static String openAiToolCall() {
		return """
				{"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
				 "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,
				  "tool_calls":[{"id":"call_1","type":"function",
				   "function":{"name":"lookup","arguments":"{\\"id\\":\\"42\\"}"}}]},
				 "logprobs":null,"finish_reason":"tool_calls"}],
				 "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}
				""";
	}

	private Provider callbackProvider() {
		return this.executor.getProviders()
			.stream()
			.filter((provider) -> provider.getName().equals("callback"))
			.findFirst()
			.orElseThrow();
	}

	/**
	 * A tool whose callback asks the application's {@code ResilientChatClient} a follow-up
	 * question that names no class (or the class given).
	 */
	static class LookupTool {

		private final ResilientChatClient chatClient;

		private final String dataClass;

		LookupTool(ResilientChatClient chatClient) {
			this(chatClient, null);
		}

		LookupTool(ResilientChatClient chatClient, String dataClass) {
			this.chatClient = chatClient;
			this.dataClass = dataClass;
		}

		@Tool(description = "Look up a record by its id")
		String lookup(String id) {
			ResilientChatClient.RequestSpec request = this.chatClient.prompt().user("nested-request for " + id);
			if (this.dataClass != null) {
				request.dataClass(this.dataClass);
			}
			return request.call().content();
		}

	}

	/**
	 * A custom model that asks the application's {@code ResilientChatClient} a question
	 * naming no class before it answers; asked again while it is answering, it fails as a
	 * 503 would, so the nested request moves on to the next provider allowed its class.
	 */
	static class CallbackModel implements ChatModel {

		private final ObjectProvider<ResilientChatClient> chatClient;

		private final ThreadLocal<Boolean> answering = ThreadLocal.withInitial(() -> false);

		CallbackModel(ObjectProvider<ResilientChatClient> chatClient) {
			this.chatClient = chatClient;
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			if (this.answering.get()) {
				throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE);
			}
			this.answering.set(true);
			try {
				String nested = this.chatClient.getObject().prompt().user("nested-request").call().content();
				return new ChatResponse(List.of(new Generation(new AssistantMessage("callback after: " + nested),
						org.springframework.ai.chat.metadata.ChatGenerationMetadata.builder()
							.finishReason("STOP")
							.build())));
			}
			finally {
				this.answering.remove();
			}
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.defer(() -> Flux.just(call(prompt)));
		}

	}

	/**
	 * Every audit record, whichever thread published it.
	 */
	static class AuditRecords {

		final List<AuditRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();

		@org.springframework.context.event.EventListener
		void on(ResilientAiAuditEvent event) {
			this.records.add(event.getRecord());
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		AuditRecords auditRecords() {
			return new AuditRecords();
		}

		@Bean
		CallbackModel callbackModel(ObjectProvider<ResilientChatClient> chatClient) {
			return new CallbackModel(chatClient);
		}

	}

}
