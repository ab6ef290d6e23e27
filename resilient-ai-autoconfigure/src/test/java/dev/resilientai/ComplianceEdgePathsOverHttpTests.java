package dev.resilientai;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.ollamaError;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Edge paths into the failover model: decorators, subclasses and aspects around it, advisors
 * that replace options, set the class late or run first, fallbacks asking the model: a phi
 * request (or a request nested in one) never reaches a provider not allowed phi, and a
 * legitimate request is not refused. Public and internal may go to OpenAI, pii to Anthropic
 * and the local model, phi only to the local model (Ollama).
 */
@SpringBootTest(classes = ComplianceEdgePathsOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.data-classes=public,internal,pii,phi", "resilient-ai.default-data-class=internal",
				"resilient-ai.failover.timeout=5s", "resilient-ai.failover.attempt-timeout=2s",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=10",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.priority=20",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal,pii",
				"resilient-ai.providers.local.chat-model=ollamaChatModel", "resilient-ai.providers.local.priority=30",
				"resilient-ai.providers.local.allowed-data-classes=public,internal,pii,phi" })
class ComplianceEdgePathsOverHttpTests extends ThreeProviderHttpTests {

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	ChatModel primaryModel;

	@Autowired
	SwitchableFallback fallback;

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	@AfterEach
	void noFallback() {
		this.fallback.action.set(null);
	}

	/**
	 * An advisor that runs first of all (even before any routing advisor) asks the model
	 * during a phi request: on {@code ResilientChatClient} the class is current from the
	 * request's entry.
	 */
	@Test
	void aNestedRequestFromAnAdvisorOrderedFirstInheritsPhi() {
		CallAdvisor rewriter = new CallAdvisor() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				ComplianceEdgePathsOverHttpTests.this.chatClient.prompt()
					.user("nested-request: rewrite the question")
					.call()
					.content();
				return chain.nextCall(request);
			}

			@Override
			public String getName() {
				return "rewriter";
			}

			@Override
			public int getOrder() {
				return org.springframework.core.Ordered.HIGHEST_PRECEDENCE;
			}

		};

		this.chatClient.prompt().user("outer-request").dataClass("phi").advisors(rewriter).call().content();

		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer))
			.as("the nested request of a phi request must stay with phi providers").isZero();
	}

	/**
	 * An advisor that runs between the routing advisor and the model puts a class in the
	 * request context: the routing advisor that runs just before the model reads it.
	 */
	@Test
	void aDataClassParamSetByALaterAdvisorIsEnforced() {
		CallAdvisor classifier = new CallAdvisor() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				return chain.nextCall(request.mutate().context(ResilientChatClient.DATA_CLASS, "phi").build());
			}

			@Override
			public String getName() {
				return "classifier";
			}

			@Override
			public int getOrder() {
				return 0;
			}

		};

		String answer = this.chatClient.prompt().user("hello").advisors(classifier).call().content();

		assertThat(answer).isNotNull();
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer))
			.as("a phi request must reach only the local model").isZero();
	}

	/**
	 * A ChatClient without the routing advisor over a model that delegates to the failover
	 * model (a user's logging/metrics decorator): the ChatClient is still recognised behind
	 * the decorator, and its unreadable advisor param fails closed.
	 */
	@Test
	void aChatClientOverADecoratorOfTheFailoverModelFailsClosed() {
		ChatModel decorator = new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return ComplianceEdgePathsOverHttpTests.this.primaryModel.call(prompt);
			}

			@Override
			public ChatOptions getOptions() {
				return ComplianceEdgePathsOverHttpTests.this.primaryModel.getOptions();
			}

		};

		catchThrowable(() -> ChatClient.create(decorator)
			.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.content());

		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer))
			.as("the phi param cannot be read: the request must be refused, never routed as internal").isZero();
	}

	/**
	 * Same with a user subclass of FailoverChatModel that overrides call(...).
	 */
	@Test
	void aChatClientOverASubclassOfTheFailoverModelFailsClosed() {
		FailoverChatModel subclass = new TimedFailoverChatModel(((FailoverChatModel) this.primaryModel));

		catchThrowable(() -> ChatClient.create(subclass)
			.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.content());

		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer))
			.as("the phi param cannot be read: the request must be refused, never routed as internal").isZero();
	}

	/**
	 * A FallbackResponder that asks the model (the documented "cached answers" style, or a
	 * summary) during a phi stream: its request inherits phi, as on calls.
	 */
	@Test
	void aFallbackResponderAskingTheModelDuringAPhiStreamInheritsPhi() {
		ollamaServer.resetMappings();
		ollamaServer.stubFor(ProviderStubs.ollama().willReturn(jsonResponse(503, ollamaError("down"))));
		AtomicBoolean nested = new AtomicBoolean();
		this.fallback.action.set((prompt) -> {
			if (!nested.compareAndSet(false, true)) {
				return "canned";
			}
			return this.chatClient.prompt().user("nested-request: answer from the cache").call().content();
		});

		List<String> chunks = this.chatClient.prompt()
			.user("outer-request")
			.dataClass("phi")
			.stream()
			.content()
			.collectList()
			.block();

		assertThat(chunks).isNotEmpty();
		assertThat(openAiRequests(openAiServer) + anthropicRequests(anthropicServer))
			.as("the fallback's nested request inside a phi stream must stay with phi providers").isZero();
	}

	/**
	 * ResilientChatClient.dataClass("pii") with an advisor that gives the prompt fresh options
	 * (here FailoverChatOptions without the class, e.g. to pin a temperature) is served, not
	 * refused: the class was read and is current on the thread.
	 */
	@Test
	void aPiiRequestWhoseOptionsAnAdvisorReplacesIsServedNotRefused() {
		CallAdvisor pinTemperature = new CallAdvisor() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				Prompt prompt = request.prompt()
					.mutate()
					.chatOptions(FailoverChatOptions.builder().temperature(0.0).build())
					.build();
				return chain.nextCall(request.mutate().prompt(prompt).build());
			}

			@Override
			public String getName() {
				return "pin-temperature";
			}

			@Override
			public int getOrder() {
				return 0;
			}

		};

		ChatResponse response = this.chatClient.prompt()
			.user("hello")
			.dataClass("pii")
			.advisors(pinTemperature)
			.call()
			.chatResponse();

		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("anthropic");
	}

	/**
	 * A user's subclass adding, say, timing around each call.
	 */
	static class TimedFailoverChatModel extends FailoverChatModel {

		TimedFailoverChatModel(FailoverChatModel model) {
			super(model.getExecutor());
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			long start = System.nanoTime();
			try {
				return super.call(prompt);
			}
			finally {
				System.nanoTime();
			}
		}

	}

	/**
	 * A FallbackResponder that fails (as if none were declared) unless a test gives it an
	 * action.
	 */
	static class SwitchableFallback implements FallbackResponder {

		final AtomicReference<java.util.function.Function<Prompt, String>> action = new AtomicReference<>();

		@Override
		public String respond(Prompt prompt, AllProvidersFailedException failure) {
			java.util.function.Function<Prompt, String> current = this.action.get();
			if (current == null) {
				throw failure;
			}
			return current.apply(prompt);
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		SwitchableFallback switchableFallback() {
			return new SwitchableFallback();
		}

	}

}
