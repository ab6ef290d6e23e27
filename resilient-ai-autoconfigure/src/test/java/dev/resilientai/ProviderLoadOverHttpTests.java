package dev.resilientai;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.support.ProviderStubs;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Providers under load and at the end of their streams, through the real Spring AI models
 * over HTTP: a hung primary holds at most its bulkhead's worth of callers while the rest go
 * straight to the secondary, and nothing is left behind; a healthy Ollama stream ends at its
 * {@code done: true} line with or without its optional token counters.
 */
@SpringBootTest(classes = ProviderLoadOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.failover.timeout=5s", "resilient-ai.failover.attempt-timeout=1s",
				"resilient-ai.providers.primary.type=openai-compatible", "resilient-ai.providers.primary.priority=1",
				"resilient-ai.providers.primary.model=m",
				"resilient-ai.providers.secondary.type=openai-compatible",
				"resilient-ai.providers.secondary.priority=2", "resilient-ai.providers.secondary.model=m",
				"resilient-ai.providers.local.type=ollama", "resilient-ai.providers.local.priority=3",
				"resilient-ai.providers.local.model=llama3.2",
				"resilience4j.bulkhead.instances.primary.max-concurrent-calls=16",
				"resilience4j.bulkhead.instances.secondary.max-concurrent-calls=200" })
class ProviderLoadOverHttpTests {

	@RegisterExtension
	static WireMockExtension primaryServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension secondaryServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension ollamaServer = ProviderStubs.server();

	@Autowired
	dev.resilientai.failover.FailoverChatModel model;

	@Autowired
	dev.resilientai.failover.FailoverExecutor executor;

	@Autowired
	CircuitBreakerRegistry breakers;

	@Autowired
	BulkheadRegistry bulkheads;

	@DynamicPropertySource
	static void providerUrls(DynamicPropertyRegistry registry) {
		registry.add("resilient-ai.providers.primary.base-url", () -> ProviderStubs.loopbackUrl(primaryServer) + "/v1");
		registry.add("resilient-ai.providers.secondary.base-url",
				() -> ProviderStubs.loopbackUrl(secondaryServer) + "/v1");
		registry.add("resilient-ai.providers.local.base-url", () -> ProviderStubs.loopbackUrl(ollamaServer));
	}

	private static boolean warm;

	/**
	 * Call and stream each provider's model once outside the failover loop, so that class
	 * loading and client start-up do not count against the tests' attempt timeouts.
	 */
	@org.junit.jupiter.api.BeforeEach
	void warmUpModels() {
		this.breakers.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		this.executor.getProviders().forEach((provider) -> {
			provider.setEnabled(true);
			provider.clearComebackProbe();
		});
		if (warm) {
			return;
		}
		warm = true;
		ProviderStubs.warmUp(this.executor.getProviders().stream().map(dev.resilientai.failover.Provider::getModel).toList());
		primaryServer.resetAll();
		secondaryServer.resetAll();
		ollamaServer.resetAll();
	}

	@Test
	void aHungPrimaryHoldsAtMostItsBulkheadWhileTheRestAreServedByTheSecondary() throws Exception {
		primaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(3_000)));
		secondaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from secondary", "stop"))));
		// start the secondary's client before the run
		this.executor.getProviders().get(0).setEnabled(false);
		this.model.call(new Prompt("warm-up"));
		this.executor.getProviders().get(0).setEnabled(true);
		this.executor.getProviders().get(0).clearComebackProbe();
		secondaryServer.resetRequests();
		long threadsBefore = threads("resilient-ai", "HttpClient-");

		ExecutorService callers = Executors.newFixedThreadPool(200);
		List<Callable<Served>> tasks = new ArrayList<>();
		for (int i = 0; i < 200; i++) {
			tasks.add(() -> {
				long start = System.nanoTime();
				ChatResponse response = this.model.call(new Prompt("hello"));
				return new Served(response.getMetadata().get(ResilientChatClient.PROVIDER),
						Duration.ofNanos(System.nanoTime() - start));
			});
		}
		List<Served> served = new ArrayList<>();
		for (Future<Served> future : callers.invokeAll(tasks, 30, TimeUnit.SECONDS)) {
			served.add(future.get());
		}
		callers.shutdown();

		assertThat(primaryServer.getAllServeEvents()).as("requests that waited on the hung primary").hasSizeLessThanOrEqualTo(16);
		assertThat(served).allSatisfy((one) -> assertThat(one.provider()).isEqualTo("secondary"));
		List<Served> straightToSecondary = served.stream()
			.filter((one) -> one.duration().compareTo(Duration.ofMillis(900)) < 0)
			.toList();
		assertThat(straightToSecondary).as("callers the bulkhead sent straight on").hasSizeGreaterThanOrEqualTo(184);
		assertThat(this.bulkheads.bulkhead("primary").getMetrics().getAvailableConcurrentCalls()).isEqualTo(16);
		assertThat(threads("resilient-ai", "HttpClient-")).isLessThanOrEqualTo(threadsBefore);
		assertThat(establishedConnectionsTo(primaryServer.getPort()))
			.as("client connections to the hung primary still open").isZero();
		this.breakers.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
	}

	@Test
	void aHealthyOllamaStreamEndsAtItsDoneLineWithOrWithoutItsTokenCounters() {
		this.executor.getProviders().forEach((provider) -> provider.setEnabled(provider.getName().equals("local")));
		try {
			for (boolean counters : new boolean[] { true, false }) {
				ollamaServer.resetAll();
				ollamaServer.stubFor(ollama().willReturn(ProviderStubs.ndjsonResponse(ollamaNdjson(counters))));

				List<ChatResponse> chunks = this.model.stream(new Prompt("hello")).collectList().block(Duration.ofSeconds(5));

				assertThat(chunks).isNotEmpty();
				assertThat(String.join("", chunks.stream()
					.map((chunk) -> chunk.getResult() != null ? chunk.getResult().getOutput().getText() : "")
					.toList())).isEqualTo("from local");
			}
			CircuitBreaker local = this.breakers.circuitBreaker("local");
			assertThat(local.getMetrics().getNumberOfFailedCalls()).isZero();
			assertThat(local.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(2);
		}
		finally {
			this.executor.getProviders().forEach((provider) -> {
			provider.setEnabled(true);
			provider.clearComebackProbe();
		});
			this.breakers.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		}
	}

	private static String ollamaNdjson(boolean counters) {
		String start = "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":";
		return start + "\"from \"},\"done\":false}\n" + start + "\"local\"},\"done\":false}\n" + start
				+ "\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1000"
				+ (counters ? ",\"prompt_eval_count\":5,\"eval_count\":3" : ",\"eval_count\":3") + "}\n";
	}

	private static long threads(String... prefixes) {
		return Thread.getAllStackTraces().keySet().stream().filter((thread) -> {
			for (String prefix : prefixes) {
				if (thread.getName().startsWith(prefix)) {
					return true;
				}
			}
			return false;
		}).count();
	}

	/**
	 * Client-side TCP connections to a loopback port in the ESTABLISHED state, from the
	 * kernel's table (Linux).
	 */
	private static long establishedConnectionsTo(int port) throws IOException {
		Path table = Path.of("/proc/net/tcp");
		if (!Files.isReadable(table)) {
			return 0;
		}
		String portHex = String.format(":%04X", port);
		return Files.readAllLines(table).stream().skip(1).map(String::trim).map((line) -> line.split("\\s+")).filter(
				(columns) -> columns.length > 3 && columns[2].endsWith(portHex) && "01".equals(columns[3]))
			.count();
	}

	record Served(String provider, Duration duration) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
