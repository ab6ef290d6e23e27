package dev.resilientai.provider;

import io.micrometer.observation.ObservationRegistry;

import org.springframework.ai.anthropic.AnthropicChatModel;
import org.springframework.ai.anthropic.AnthropicChatOptions;
import org.springframework.ai.anthropic.http.okhttp.AnthropicHttpClientBuilderCustomizer;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Builds the {@code AnthropicChatModel} of an {@code anthropic} provider with Spring AI's
 * builder and the application's observation and OkHttp infrastructure.
 */
public final class AnthropicProviderModels {

	private AnthropicProviderModels() {
	}

	public static ChatModel create(ProviderSpec spec, ListableBeanFactory beanFactory) {
		var options = AnthropicChatOptions.builder()
			.baseUrl(spec.baseUrl())
			.apiKey(spec.apiKey())
			.maxRetries(0)
			.timeout(spec.clientTimeout());
		if (spec.model() != null) {
			options.model(spec.model());
		}
		options.temperature(spec.temperature());
		if (spec.maxTokens() != null) {
			options.maxTokens(spec.maxTokens());
		}
		AnthropicChatModel model = AnthropicChatModel.builder()
			.options(options.build())
			.observationRegistry(
					beanFactory.getBeanProvider(ObservationRegistry.class).getIfUnique(() -> ObservationRegistry.NOOP))
			.httpClientBuilderCustomizers(
					beanFactory.getBeanProvider(AnthropicHttpClientBuilderCustomizer.class).orderedStream().toList())
			.build();
		beanFactory.getBeanProvider(ChatModelObservationConvention.class).ifAvailable(model::setObservationConvention);
		return model;
	}

}
