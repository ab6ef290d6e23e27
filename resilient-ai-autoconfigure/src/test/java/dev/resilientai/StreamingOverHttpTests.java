package dev.resilientai;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
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
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.ollama.OllamaChatModel;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.ai.ollama.api.OllamaChatOptions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ndjsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaNdjson;
import static dev.resilientai.support.ProviderStubs.ollamaRequests;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streaming failover through the real Spring AI models: the OpenAI model talks to a scripted
 * raw-socket server (cuts, silences, endless streams), Anthropic and Ollama to WireMock, and a
 * second Ollama model ("backup") to another WireMock stub. Order: openai, anthropic, ollama,
 * backup.
 */
@SpringBootTest(classes = StreamingOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.failover.timeout=10s", "resilient-ai.failover.attempt-timeout=600ms",
				"resilient-ai.failover.stream-idle-timeout=300ms",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.backup.chat-model=backupChatModel" })
class StreamingOverHttpTests {

	static final ScriptedHttpServer openAiServer = start();

	@RegisterExtension
	static WireMockExtension anthropicServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension ollamaServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension backupServer = ProviderStubs.server();

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
	org.springframework.context.ApplicationContext context;

	static boolean warm;

	@BeforeEach
	void healthyProviders() {
		openAiServer.reset();
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("hello ", null));
			exchange.send(openAiChunk("from openai", null));
			exchange.send(openAiChunk("", "stop"));
			exchange.send("data: [DONE]\n\n");
		});
		anthropicServer.stubFor(anthropic().willReturn(sseResponse(ProviderStubs.anthropicSse("hello ", "from anthropic"))));
		ollamaServer.stubFor(ollama().willReturn(ndjsonResponse(ollamaNdjson("hello ", "from ollama"))));
		backupServer.stubFor(ollama().willReturn(ndjsonResponse(ollamaNdjson("hello ", "from backup"))));
		if (!warm) {
			// first streams pay for class loading and client start-up, past the short timeouts
			for (String name : List.of("openAiChatModel", "anthropicChatModel", "ollamaChatModel", "backupChatModel")) {
				ChatModel model = this.context.getBean(name, ChatModel.class);
				model.stream(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions())).blockLast();
			}
			openAiServer.reset();
			anthropicServer.resetRequests();
			ollamaServer.resetRequests();
			backupServer.resetRequests();
			warm = true;
		}
	}

	@AfterEach
	void resetProviders() {
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(true));
	}

	@AfterAll
	static void stop() throws IOException {
		openAiServer.close();
	}

	@Test
	void aHealthyStreamComesWholeFromThePrimaryWithRoutingMetadata() {
		List<ChatResponse> chunks = stream().collectList().block();

		assertThat(text(chunks)).isEqualTo("hello from openai");
		assertThat(chunks).allSatisfy((chunk) -> {
			assertThat((String) chunk.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("openai");
			assertThat((Integer) chunk.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		});
	}

	@Test
	void whenOpenAiFailsBeforeTheFirstChunkThenAnthropicStreams() {
		openAiServer.script((exchange) -> exchange.respond(503, "application/json",
				"{\"error\":{\"message\":\"down\",\"type\":\"server_error\",\"code\":null}}"));

		List<ChatResponse> chunks = stream().collectList().block();

		assertThat(text(chunks)).isEqualTo("hello from anthropic");
		assertThat(chunks).allSatisfy((chunk) -> assertThat((Integer) chunk.getMetadata()
			.get(ResilientChatClient.ATTEMPTS)).isEqualTo(2));
		assertThat(openAiServer.requests()).isEqualTo(1);
	}

	@Test
	void whenAnthropicSendsAnErrorEventBeforeTheFirstChunkThenOllamaStreams() {
		disable("openai");
		anthropicServer.stubFor(anthropic().willReturn(sseResponse(
				"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")));

		assertThat(text(stream().collectList().block())).isEqualTo("hello from ollama");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(1);
	}

	@Test
	void whenOllamaFailsBeforeTheFirstChunkThenTheBackupStreams() {
		disable("openai");
		disable("anthropic");
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(500, "{\"error\":\"model crashed\"}")));

		assertThat(text(stream().collectList().block())).isEqualTo("hello from backup");
		assertThat(ollamaRequests(ollamaServer)).isEqualTo(1);
	}

	@Test
	void whenThePrimarySendsHeadersThenNothingItIsAbandonedAtTheAttemptTimeoutAndItsConnectionClosed()
			throws InterruptedException {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.awaitClientClose();
		});

		long start = System.nanoTime();
		String text = text(stream().collectList().block());
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(text).isEqualTo("hello from anthropic");
		assertThat(elapsed).isLessThan(Duration.ofSeconds(5));
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(5))).as("silent connection closed").isTrue();
	}

	@Test
	void aStreamCutAfterTwoChunksEndsInStreamInterruptedWithThoseTwoChunksAndNoSplice() {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("one ", null));
			exchange.send(openAiChunk("two ", null));
			Thread.sleep(50);
			exchange.reset();
		});

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).isInstanceOfSatisfying(StreamInterruptedException.class, (interrupted) -> {
			assertThat(interrupted.getProvider()).isEqualTo("openai");
			assertThat(interrupted.getChunksDelivered()).isEqualTo(2);
		});
		assertThat(text(delivered)).isEqualTo("one two ");
		assertThat(anthropicRequests(anthropicServer) + ollamaRequests(ollamaServer)
				+ ollamaRequests(backupServer)).isZero();
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@Test
	void aMalformedChunkAfterTheFirstChunksEndsInStreamInterrupted() {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("one ", null));
			exchange.send(openAiChunk("two ", null));
			exchange.send("data: {\"id\": \"chatcmpl-1\", \"choices\": [{\"index\n\n");
			exchange.send(openAiChunk("", "stop"));
		});

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).isInstanceOfSatisfying(StreamInterruptedException.class,
				(interrupted) -> assertThat(interrupted.getChunksDelivered()).isEqualTo(2));
		assertThat(anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void aStreamThatGoesSilentAfterItsFirstChunksEndsAtTheIdleTimeout() throws InterruptedException {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("one ", null));
			exchange.send(openAiChunk("two ", null));
			exchange.awaitClientClose();
		});

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).isInstanceOfSatisfying(StreamInterruptedException.class, (interrupted) -> {
			assertThat(interrupted.getChunksDelivered()).isEqualTo(2);
			assertThat(interrupted).hasMessageContaining("TIMEOUT");
		});
		assertThat(anthropicRequests(anthropicServer)).isZero();
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(5))).as("stalled connection closed").isTrue();
	}

	@Test
	void aStreamThatSentItsEndMarkerButKeepsItsConnectionOpenPastTheIdleTimeoutHasAnswered() throws InterruptedException {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("one ", null));
			exchange.send(openAiChunk("two", null));
			exchange.send(openAiChunk("", "stop"));
			// no [DONE], and the connection stays open
			exchange.awaitClientClose();
		});
		CircuitBreaker breaker = this.circuitBreakerRegistry.circuitBreaker("openai");

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).as("the stream's end").isNull();
		assertThat(text(delivered)).isEqualTo("one two");
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).as("failures the breaker heard").isZero();
		assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("answers the breaker heard").isEqualTo(1);
		assertThat(anthropicRequests(anthropicServer)).isZero();
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(5))).as("lingering connection closed").isTrue();
	}

	@Test
	void aStreamThatEndsWithoutItsEndMarkerIsInterruptedNotComplete() {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			exchange.send(openAiChunk("one ", null));
			exchange.send(openAiChunk("two ", null));
		});

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).isInstanceOfSatisfying(StreamInterruptedException.class,
				(interrupted) -> assertThat(interrupted).hasMessageContaining("TRUNCATED"));
		assertThat(delivered).hasSize(2);
		assertThat(anthropicRequests(anthropicServer)).isZero();
	}

	@Test
	void anErrorEventInsideA200AfterTheFirstChunkEndsInStreamInterrupted() {
		disable("openai");
		String body = ProviderStubs.anthropicSse("partial ").replaceFirst("event: content_block_stop[\\s\\S]*",
				"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}\n\n");
		anthropicServer.stubFor(anthropic().willReturn(sseResponse(body)));

		List<ChatResponse> delivered = new CopyOnWriteArrayList<>();
		Throwable failure = catchStreamFailure(delivered);

		assertThat(failure).isInstanceOfSatisfying(StreamInterruptedException.class,
				(interrupted) -> assertThat(interrupted.getProvider()).isEqualTo("anthropic"));
		assertThat(text(delivered)).isEqualTo("partial ");
		assertThat(ollamaRequests(ollamaServer)).isZero();
	}

	@Test
	void cancelledStreamsCloseTheirConnectionsReleaseTheirThreadsAndCountNoFailure() throws InterruptedException {
		openAiServer.script((exchange) -> {
			exchange.startStream("text/event-stream");
			for (int i = 0;; i++) {
				exchange.send(openAiChunk("chunk" + i + " ", null));
				Thread.sleep(20);
			}
		});
		stream().take(1).blockLast(); // warm the client's threads up
		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(5))).isTrue();
		int threadsBefore = Thread.activeCount();

		for (int i = 0; i < 25; i++) {
			List<ChatResponse> taken = stream().take(2).collectList().block();
			assertThat(taken).hasSize(2);
		}

		assertThat(openAiServer.awaitNoOpenConnections(Duration.ofSeconds(5))).as("every cancelled stream's connection closed")
			.isTrue();
		assertThat(Thread.activeCount()).as("threads after 25 cancelled streams").isLessThan(threadsBefore + 10);
		assertThat(breaker("openai").getMetrics().getNumberOfFailedCalls()).isZero();
		assertThat(anthropicRequests(anthropicServer)).isZero();
	}

	private Flux<ChatResponse> stream() {
		return this.chatClient.prompt().user("hello").stream().chatResponse();
	}

	private Throwable catchStreamFailure(List<ChatResponse> delivered) {
		try {
			stream().doOnNext(delivered::add).blockLast();
			return null;
		}
		catch (RuntimeException ex) {
			return ex;
		}
	}

	private void disable(String name) {
		this.executor.getProviders()
			.stream()
			.filter((provider) -> provider.getName().equals(name))
			.forEach((provider) -> provider.setEnabled(false));
	}

	private CircuitBreaker breaker(String name) {
		return this.circuitBreakerRegistry.circuitBreaker(name);
	}

	private static String text(List<ChatResponse> chunks) {
		StringBuilder text = new StringBuilder();
		for (ChatResponse chunk : chunks) {
			if (chunk.getResult() != null && chunk.getResult().getOutput().getText() != null) {
				text.append(chunk.getResult().getOutput().getText());
			}
		}
		return text.toString();
	}

	private static String openAiChunk(String content, String finishReason) {
		return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
				+ "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\""
				+ content + "\"},\"finish_reason\":" + ((finishReason != null) ? "\"" + finishReason + "\"" : "null")
				+ "}]}\n\n";
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
		ChatModel backupChatModel() {
			return OllamaChatModel.builder()
				.ollamaApi(OllamaApi.builder().baseUrl(ProviderStubs.loopbackUrl(backupServer)).build())
				.options(OllamaChatOptions.builder().model("llama3.2").build())
				.build();
		}

	}

}
