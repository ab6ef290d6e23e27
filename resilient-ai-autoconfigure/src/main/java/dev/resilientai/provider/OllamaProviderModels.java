package dev.resilientai.provider;

import io.micrometer.observation.ObservationRegistry;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.ollama.OllamaChatModel;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.ai.ollama.api.OllamaChatOptions;
import org.springframework.ai.retry.RetryUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.web.client.ResponseErrorHandler;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Builds the {@code OllamaChatModel} of an {@code ollama} provider with Spring AI's builders,
 * the application's {@code RestClient.Builder} and {@code WebClient.Builder} (so its HTTP
 * settings and customizers apply), and a {@code RetryTemplate} of one attempt: the failover
 * loop is the only retry loop.
 */
public final class OllamaProviderModels {

	/** Ollama's default endpoint. */
	public static final String DEFAULT_BASE_URL = "http://localhost:11434";

	private static final RetryTemplate SINGLE_ATTEMPT = new RetryTemplate(RetryPolicy.builder().maxRetries(0).build());

	private OllamaProviderModels() {
	}

	public static ChatModel create(ProviderSpec spec, ListableBeanFactory beanFactory) {
		RestClient.Builder restClient = beanFactory.getBeanProvider(RestClient.Builder.class).getIfAvailable(() ->
		// without Spring Boot's builder the cancellation interceptor is added here
		RestClient.builder().requestInterceptor(new RestClientAttemptInterceptor()));
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

}
