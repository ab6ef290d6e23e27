package dev.resilientai;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.autoconfigure.HttpCancellationAutoConfiguration;
import dev.resilientai.autoconfigure.ResilientAiAutoConfiguration;
import dev.resilientai.support.ProviderStubs;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaChat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application's HTTP clients stay its own: the starter never adds to, or re-routes,
 * the {@code RestClient}s an application builds, even inside a provider attempt, and its own
 * {@code ollama} providers still abort a hung call at the attempt timeout. Spring Boot's
 * HTTP client auto-configuration picks Apache HttpClient here (the Anthropic SDK brings it).
 */
class ApplicationHttpClientsTests {

	@RegisterExtension
	static WireMockExtension server = ProviderStubs.server();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(HttpClientAutoConfiguration.class,
				ImperativeHttpClientAutoConfiguration.class, RestClientAutoConfiguration.class,
				ResilientAiAutoConfiguration.class, HttpCancellationAutoConfiguration.class,
				CircuitBreakerAutoConfiguration.class))
		.withPropertyValues("app.url=" + ProviderStubs.loopbackUrl(server));

	@BeforeEach
	void stubs() {
		server.stubFor(post(urlPathEqualTo("/app")).willReturn(aResponse().withStatus(200).withBody("from the app")));
	}

	@Test
	void aRestClientOfTheApplicationUsedInsideAnAttemptKeepsItsInterceptorsAndRequestFactory() {
		this.runner.withUserConfiguration(AppModelConfiguration.class, Backup.class)
			.withPropertyValues("resilient-ai.providers.app.chat-model=appModel",
					"resilient-ai.providers.app.priority=1", "resilient-ai.providers.backup.chat-model=backupModel",
					"resilient-ai.providers.backup.priority=2")
			.run((context) -> {
				ChatResponse response = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("hi")
					.call()
					.chatResponse();

				assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("app");
				assertThat(response.getResult().getOutput().getText()).isEqualTo("from the app");
				AppClientModel app = context.getBean(AppClientModel.class);
				assertThat(app.interceptorRuns).hasValue(1);
				assertThat(app.factoryRequests).hasValue(1);
				server.verify(1, postRequestedFor(urlPathEqualTo("/app")).withHeader("X-App-Interceptor", equalTo("ran")));
			});
	}

	@Test
	void creatingRestClientBuildersStartsNoHttpClientThreads() {
		this.runner.withUserConfiguration(Backup.class)
			.withPropertyValues("resilient-ai.providers.backup.chat-model=backupModel")
			.run((context) -> {
				Set<String> before = httpClientThreads();
				for (int i = 0; i < 20; i++) {
					context.getBean(RestClient.Builder.class).baseUrl("http://example.com").build();
				}
				assertThat(httpClientThreads()).isSubsetOf(before);
			});
	}

	@Test
	void ollamaProvidersDeclaredByTypeShareOneHttpClient() {
		Set<String> before = httpClientThreads();
		this.runner
			.withPropertyValues("resilient-ai.providers.a.type=ollama", "resilient-ai.providers.b.type=ollama",
					"resilient-ai.providers.c.type=ollama")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				Set<String> started = httpClientThreads();
				started.removeAll(before);
				assertThat(started).hasSizeLessThanOrEqualTo(1);
			});
	}

	@Test
	void whenAnOllamaProviderDeclaredByTypeHangsThenItIsAbandonedAtItsAttemptTimeoutAndTheNextServes() {
		server.stubFor(ollama().willReturn(jsonResponse(200, ollamaChat("too late")).withFixedDelay(2_000)));
		this.runner.withUserConfiguration(Backup.class)
			.withPropertyValues("resilient-ai.providers.local.type=ollama",
					"resilient-ai.providers.local.base-url=" + ProviderStubs.loopbackUrl(server),
					"resilient-ai.providers.local.timeout=200ms", "resilient-ai.providers.local.priority=1",
					"resilient-ai.providers.backup.chat-model=backupModel", "resilient-ai.providers.backup.priority=2")
			.run((context) -> {
				long start = System.nanoTime();
				ChatResponse response = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("hi")
					.call()
					.chatResponse();
				Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

				assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("backup");
				assertThat(elapsed).isLessThan(Duration.ofMillis(1_500));
				assertThat(ProviderStubs.ollamaRequests(server)).isEqualTo(1);
				assertThat(context.getBean(CircuitBreakerRegistry.class)
					.circuitBreaker("local")
					.getMetrics()
					.getNumberOfFailedCalls()).isEqualTo(1);
				assertThat(Thread.currentThread().isInterrupted()).isFalse();
			});
	}

	private static Set<String> httpClientThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.map(Thread::getName)
			.filter((name) -> name.startsWith("HttpClient-"))
			.collect(Collectors.toSet());
	}

	static ChatModel answering(String text) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.just(call(prompt));
			}

		};
	}

	@Configuration(proxyBeanMethods = false)
	static class Backup {

		@Bean
		ChatModel backupModel() {
			return answering("from the backup");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AppModelConfiguration {

		@Bean
		AppClientModel appModel(RestClient.Builder builder, @Value("${app.url}") String url) {
			return new AppClientModel(builder, url);
		}

	}

	/**
	 * A model of the application's own that calls its backend with a {@code RestClient} built
	 * from Spring Boot's builder, with an interceptor and a request factory of its own.
	 */
	static class AppClientModel implements ChatModel {

		final AtomicInteger interceptorRuns = new AtomicInteger();

		final AtomicInteger factoryRequests = new AtomicInteger();

		private final RestClient client;

		AppClientModel(RestClient.Builder builder, String url) {
			ClientHttpRequestFactory simple = new SimpleClientHttpRequestFactory();
			ClientHttpRequestFactory counting = new ClientHttpRequestFactory() {

				@Override
				public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) throws IOException {
					AppClientModel.this.factoryRequests.incrementAndGet();
					return simple.createRequest(uri, httpMethod);
				}

			};
			this.client = builder.baseUrl(url).requestFactory(counting).requestInterceptor((request, body, execution) -> {
				this.interceptorRuns.incrementAndGet();
				request.getHeaders().add("X-App-Interceptor", "ran");
				return execution.execute(request, body);
			}).build();
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			String text = this.client.post().uri("/app").body("question").retrieve().body(String.class);
			return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.just(call(prompt));
		}

	}

}
