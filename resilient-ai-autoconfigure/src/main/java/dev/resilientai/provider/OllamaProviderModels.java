package dev.resilientai.provider;

import java.net.http.HttpClient;
import java.time.Duration;

import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.ollama.OllamaChatModel;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.ai.ollama.api.OllamaChatOptions;
import org.springframework.ai.retry.RetryUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.util.ClassUtils;
import org.springframework.web.client.ResponseErrorHandler;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Builds the {@code OllamaChatModel}s of {@code ollama} providers with Spring AI's builders
 * and a {@code RetryTemplate} of one attempt: the failover loop is the only retry loop.
 * <p>
 * These models are the starter's own, so it picks their transport: Spring's
 * {@link JdkClientHttpRequestFactory}, whose request is aborted when the attempt timeout
 * interrupts the calling thread (Apache HttpClient, which Spring Boot picks when it is on the
 * classpath, ignores interrupts). One JDK {@link HttpClient} serves every {@code ollama}
 * provider of an application. It takes the application's {@code spring.http.clients.*}
 * settings (timeouts, SSL bundle, redirects) when Spring Boot's HTTP client support is
 * present, and the customizers of a copy of the application's {@code RestClient.Builder};
 * the application's own builder, and every client built from it, are left untouched.
 */
public final class OllamaProviderModels {

	/** Ollama's default endpoint. */
	public static final String DEFAULT_BASE_URL = "http://localhost:11434";

	private static final RetryTemplate SINGLE_ATTEMPT = new RetryTemplate(RetryPolicy.builder().maxRetries(0).build());

	private static final boolean BOOT_HTTP_CLIENT_PRESENT = ClassUtils.isPresent(
			"org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder",
			OllamaProviderModels.class.getClassLoader());

	private final ListableBeanFactory beanFactory;

	private final Duration readTimeout;

	private @Nullable ClientHttpRequestFactory requestFactory;

	/**
	 * Prepare to build the models of one application's {@code ollama} providers.
	 * @param beanFactory the application's beans
	 * @param readTimeout the read timeout of the HTTP client unless the application sets
	 * {@code spring.http.clients.read-timeout}
	 */
	public OllamaProviderModels(ListableBeanFactory beanFactory, Duration readTimeout) {
		this.beanFactory = beanFactory;
		this.readTimeout = readTimeout;
	}

	public ChatModel create(ProviderSpec spec) {
		ListableBeanFactory beanFactory = this.beanFactory;
		// A copy: the application's builder may be a singleton that its own clients share.
		RestClient.Builder restClient = beanFactory.getBeanProvider(RestClient.Builder.class)
			.getIfAvailable(RestClient::builder)
			.clone()
			.requestFactory(requestFactory());
		OllamaApi api = OllamaApi.builder()
			.baseUrl((spec.baseUrl() != null) ? spec.baseUrl() : DEFAULT_BASE_URL)
			.restClientBuilder(restClient)
			.webClientBuilder(beanFactory.getBeanProvider(WebClient.Builder.class).getIfAvailable(WebClient::builder))
			.responseErrorHandler(beanFactory.getBeanProvider(ResponseErrorHandler.class)
				.getIfUnique(() -> RetryUtils.DEFAULT_RESPONSE_ERROR_HANDLER))
			.build();
		var options = OllamaChatOptions.builder();
		if (spec.model() != null) {
			options.model(spec.model());
		}
		options.temperature(spec.temperature()).maxTokens(spec.maxTokens());
		OllamaChatModel model = OllamaChatModel.builder()
			.ollamaApi(api)
			.options(options.build())
			.observationRegistry(
					beanFactory.getBeanProvider(ObservationRegistry.class).getIfUnique(() -> ObservationRegistry.NOOP))
			.retryTemplate(SINGLE_ATTEMPT)
			.build();
		beanFactory.getBeanProvider(ChatModelObservationConvention.class).ifAvailable(model::setObservationConvention);
		return model;
	}

	private ClientHttpRequestFactory requestFactory() {
		ClientHttpRequestFactory factory = this.requestFactory;
		if (factory == null) {
			factory = BOOT_HTTP_CLIENT_PRESENT ? BootSettings.requestFactory(this.beanFactory, this.readTimeout)
					: plainRequestFactory(this.readTimeout);
			this.requestFactory = factory;
		}
		return factory;
	}

	private static ClientHttpRequestFactory plainRequestFactory(Duration readTimeout) {
		JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
				HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
		factory.setReadTimeout(readTimeout);
		return factory;
	}

	/**
	 * Applies Spring Boot's {@code spring.http.clients.*} settings; apart so that the class
	 * loads without Spring Boot's HTTP client module.
	 */
	private static final class BootSettings {

		static ClientHttpRequestFactory requestFactory(ListableBeanFactory beanFactory, Duration readTimeout) {
			HttpClientSettings settings = beanFactory.getBeanProvider(HttpClientSettings.class)
				.getIfAvailable(HttpClientSettings::defaults);
			if (settings.readTimeout() == null) {
				settings = settings.withReadTimeout(readTimeout);
			}
			// Ollama speaks HTTP/1.1 in clear text: no h2c upgrade attempt on every request.
			return ClientHttpRequestFactoryBuilder.jdk()
				.withHttpClientCustomizer((builder) -> builder.version(HttpClient.Version.HTTP_1_1))
				.build(settings);
		}

	}

}
