package dev.resilientai;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.Ordered;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A phi request stays phi when an advisor moves the model call to another thread, and a plain
 * client's phi param is never taken as read because another request's routing advisor is on
 * the stack. Public and internal may go to OpenAI, pii to Anthropic and the local model, phi
 * only to the local model (Ollama).
 */
@SpringBootTest(classes = ComplianceAcrossRequestsOverHttpTests.TestApplication.class,
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
class ComplianceAcrossRequestsOverHttpTests extends ThreeProviderHttpTests {

	private static final ExecutorService pool = Executors.newFixedThreadPool(2);

	@Autowired
	ResilientChatClient chatClient;

	@Autowired
	ChatClient.Builder chatClientBuilder;

	@Autowired
	ChatModel primaryModel;

	@AfterAll
	static void shutDown() {
		pool.shutdownNow();
	}

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	/**
	 * An advisor ordered just before the model (a timeout or bulkhead advisor, say) runs the
	 * rest of the chain on another thread, where no class is current: the class still travels
	 * in the prompt's options, so the phi request reaches only the local model.
	 */
	@Test
	void aPhiRequestStaysPhiWhenAnAdvisorCloseToTheModelHopsThreads() {
		CallAdvisor offload = new CallAdvisor() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				return CompletableFuture.supplyAsync(() -> chain.nextCall(request), pool).join();
			}

			@Override
			public String getName() {
				return "offload";
			}

			@Override
			public int getOrder() {
				return Ordered.LOWEST_PRECEDENCE - 1;
			}

		};

		Throwable thrown = catchThrowable(() -> this.chatClient.prompt()
			.user("hop-phi-request")
			.dataClass("phi")
			.advisors(offload)
			.call()
			.content());

		assertThat(requestsContaining(openAiServer, "hop-phi-request")
				+ requestsContaining(anthropicServer, "hop-phi-request"))
			.as("a phi request must reach only phi providers (thrown: %s)", thrown)
			.isZero();
	}

	/**
	 * A hand-built {@code ChatClient} over the primary model without the routing advisor,
	 * called from an advisor (or a tool) of an unrelated outer request made through the
	 * auto-configured {@code ChatClient.Builder}: the outer request's routing advisor on the
	 * stack does not count for the inner client, whose phi param cannot be read, so the inner
	 * request is refused and never goes to OpenAI.
	 */
	@Test
	void anUnroutedClientsPhiParamIsNotTakenAsReadBecauseAnOuterRequestsRoutingAdvisorIsOnTheStack() {
		ChatClient unrouted = ChatClient.create(this.primaryModel);
		Throwable[] inner = new Throwable[1];
		CallAdvisor lookup = new CallAdvisor() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				inner[0] = catchThrowable(() -> unrouted.prompt()
					.user("inner-phi-request")
					.advisors((a) -> a.param(ResilientChatClient.DATA_CLASS, "phi"))
					.call()
					.content());
				return chain.nextCall(request);
			}

			@Override
			public String getName() {
				return "lookup";
			}

			@Override
			public int getOrder() {
				return 0;
			}

		};

		// an ordinary public request, no class named
		this.chatClientBuilder.build().prompt().user("outer-request").advisors(lookup).call().content();

		assertThat(requestsContaining(openAiServer, "inner-phi-request")
				+ requestsContaining(anthropicServer, "inner-phi-request"))
			.as("the inner request's phi must be enforced or refused (inner outcome: %s)", inner[0])
			.isZero();
	}

	private static int requestsContaining(WireMockExtension server, String text) {
		return server.findAll(postRequestedFor(anyUrl()).withRequestBody(containing(text))).size();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
