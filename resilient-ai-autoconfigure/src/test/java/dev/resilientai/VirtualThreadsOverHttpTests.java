package dev.resilientai;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.support.ProviderStubs;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Timeouts, cancellation and caller interrupts on virtual threads, with
 * {@code spring.threads.virtual.enabled=true}, through the real OpenAI model over HTTP. Runs
 * on Java 21 and later; {@code .ci/run} runs this class once more on Temurin 25.
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@SpringBootTest(classes = VirtualThreadsOverHttpTests.TestApplication.class,
		properties = { "spring.threads.virtual.enabled=true", "spring.ai.openai.api-key=sk-test",
				"spring.ai.anthropic.api-key=sk-ant-test", "resilient-ai.failover.timeout=5s",
				"resilient-ai.failover.attempt-timeout=300ms",
				"resilient-ai.providers.primary.type=openai-compatible", "resilient-ai.providers.primary.priority=1",
				"resilient-ai.providers.primary.model=m", "resilient-ai.providers.primary.timeout=1s",
				"resilient-ai.providers.secondary.type=openai-compatible",
				"resilient-ai.providers.secondary.priority=2", "resilient-ai.providers.secondary.model=m" })
class VirtualThreadsOverHttpTests {

	@RegisterExtension
	static WireMockExtension primaryServer = ProviderStubs.server();

	@RegisterExtension
	static WireMockExtension secondaryServer = ProviderStubs.server();

	private static final ExecutorService virtualThreads = newVirtualThreadPerTaskExecutor();

	@Autowired
	FailoverChatModel model;

	@Autowired
	FailoverExecutor executor;

	@Autowired
	CircuitBreakerRegistry breakers;

	@DynamicPropertySource
	static void providerUrls(DynamicPropertyRegistry registry) {
		registry.add("resilient-ai.providers.primary.base-url", () -> ProviderStubs.loopbackUrl(primaryServer) + "/v1");
		registry.add("resilient-ai.providers.secondary.base-url",
				() -> ProviderStubs.loopbackUrl(secondaryServer) + "/v1");
	}

	@BeforeEach
	void warmUpAndReset() {
		secondaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from secondary", "stop"))));
		primaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from primary", "stop"))));
		ProviderStubs.warmUp(this.executor.getProviders().stream().map(dev.resilientai.failover.Provider::getModel).toList());
		primaryServer.resetAll();
		secondaryServer.resetAll();
		secondaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from secondary", "stop"))));
		this.breakers.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
		// fresh providers, not ones coming back from the kill switch (whose first call is a probe)
		this.executor.getProviders().forEach((provider) -> {
			provider.setEnabled(true);
			provider.clearComebackProbe();
		});
	}

	@AfterAll
	static void shutDown() {
		virtualThreads.shutdownNow();
	}

	@Test
	void aHungProviderIsAbandonedAtItsAttemptTimeoutOnAVirtualThread() throws Exception {
		primaryServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(5_000)));

		Future<Object[]> result = virtualThreads.submit(() -> {
			long start = System.nanoTime();
			ChatResponse response = this.model.call(new Prompt("hello"));
			return new Object[] { response.getMetadata().get(ResilientChatClient.PROVIDER),
					Duration.ofNanos(System.nanoTime() - start), isVirtual(),
					Thread.currentThread().isInterrupted() };
		});
		Object[] served = result.get(10, TimeUnit.SECONDS);

		assertThat(served[0]).isEqualTo("secondary");
		assertThat((Duration) served[1]).isLessThan(Duration.ofMillis(2500));
		assertThat(served[2]).isEqualTo(true);
		assertThat(served[3]).as("the attempt's own interrupt never reaches the caller").isEqualTo(false);
	}

	@Test
	void aCancelledRequestOnAVirtualThreadStopsWithoutBlamingTheProvider() throws Exception {
		primaryServer.stubFor(openAi().withRequestBody(containing("hello"))
			.willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(5_000)));
		CountDownLatch started = new CountDownLatch(1);
		AtomicReference<Throwable> thrown = new AtomicReference<>();
		AtomicBoolean interruptedAfter = new AtomicBoolean();
		Future<?> request = virtualThreads.submit(() -> {
			started.countDown();
			try {
				this.model.call(new Prompt("hello"));
			}
			catch (Throwable ex) {
				thrown.set(ex);
			}
			interruptedAfter.set(Thread.currentThread().isInterrupted());
		});
		assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
		Thread.sleep(100);
		request.cancel(true);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (thrown.get() == null && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}

		assertThat(thrown.get()).isInstanceOf(RequestInterruptedException.class);
		assertThat(interruptedAfter.get()).isTrue();
		assertThat(secondaryServer.getAllServeEvents()).isEmpty();
		assertThat(this.breakers.circuitBreaker("primary").getMetrics().getNumberOfFailedCalls()).isZero();
	}

	@Test
	void aStreamCancelledOnAVirtualThreadReleasesItsProvider() throws Exception {
		secondaryServer.stubFor(openAi().withRequestBody(containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(ProviderStubs.sseResponse(ProviderStubs.openAiSse("a", "b", "c"))));
		this.executor.getProviders().get(0).setEnabled(false);
		try {
			Future<List<ChatResponse>> result = virtualThreads
				.submit(() -> this.model.stream(new Prompt("hello")).take(1).collectList().block(Duration.ofSeconds(5)));

			assertThat(result.get(10, TimeUnit.SECONDS)).hasSize(1);
			CircuitBreaker secondary = this.breakers.circuitBreaker("secondary");
			assertThat(secondary.getMetrics().getNumberOfBufferedCalls()).isZero();
			assertThat(this.executor.getProviders().get(1).getBulkhead().getMetrics().getAvailableConcurrentCalls())
				.isEqualTo(this.executor.getProviders().get(1).getBulkhead().getMetrics().getMaxAllowedConcurrentCalls());
		}
		finally {
			this.executor.getProviders().get(0).setEnabled(true);
		}
	}

	private static boolean isVirtual() throws ReflectiveOperationException {
		return (Boolean) Thread.class.getMethod("isVirtual").invoke(Thread.currentThread());
	}

	private static ExecutorService newVirtualThreadPerTaskExecutor() {
		try {
			return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
		}
		catch (ReflectiveOperationException ex) {
			// below Java 21 the class is disabled and this executor is never used
			return Executors.newCachedThreadPool();
		}
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
