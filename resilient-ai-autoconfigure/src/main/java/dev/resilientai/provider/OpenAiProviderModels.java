package dev.resilientai.provider;

import io.micrometer.observation.ObservationRegistry;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Builds the {@code OpenAiChatModel} of an {@code openai} or {@code openai-compatible}
 * provider with Spring AI's builder and the application's observation registry, observation
 * convention and OkHttp customizers, as Spring AI's auto-configuration does.
 */
public final class OpenAiProviderModels {

	private OpenAiProviderModels() {
	}

	/**
	 * Build the model.
	 * @param spec the provider
	 * @param compatible whether the endpoint only speaks OpenAI's protocol: then no key is
	 * sent unless configured (never the {@code OPENAI_API_KEY} environment variable)
	 * @param beanFactory the application's beans
	 * @return the model
	 */
	public static ChatModel create(ProviderSpec spec, boolean compatible, ListableBeanFactory beanFactory) {
		// An empty key is Spring AI's no-auth mode; null would fall back to OPENAI_API_KEY.
		String apiKey = (spec.apiKey() != null) ? spec.apiKey() : (compatible ? "" : null);
		var options = OpenAiChatOptions.builder()
			.baseUrl(spec.baseUrl())
			.apiKey(apiKey)
			.maxRetries(0)
			.timeout(spec.clientTimeout());
		if (spec.model() != null) {
			options.model(spec.model());
		}
		options.temperature(spec.temperature()).maxTokens(spec.maxTokens());
		OpenAiChatModel model = OpenAiChatModel.builder()
			.options(options.build())
			.observationRegistry(
					beanFactory.getBeanProvider(ObservationRegistry.class).getIfUnique(() -> ObservationRegistry.NOOP))
			.httpClientBuilderCustomizers(
					beanFactory.getBeanProvider(OpenAiHttpClientBuilderCustomizer.class).orderedStream().toList())
			.build();
		beanFactory.getBeanProvider(ChatModelObservationConvention.class).ifAvailable(model::setObservationConvention);
		return model;
	}

}
