package dev.resilientai.autoconfigure;

import dev.resilientai.provider.OkHttpAttemptInterceptor;
import dev.resilientai.provider.RestClientAttemptInterceptor;

import org.springframework.ai.anthropic.http.okhttp.AnthropicHttpClientBuilderCustomizer;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Registers the interceptors that let a timed-out attempt cancel its HTTP call: with the
 * OkHttp clients that Spring AI builds for the OpenAI and Anthropic SDKs, and with Spring's
 * {@code RestClient} (Ollama).
 */
@AutoConfiguration
public final class HttpCancellationAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(OpenAiHttpClientBuilderCustomizer.class)
	static class OpenAiCancellationConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "resilientAiOpenAiHttpClientCustomizer")
		OpenAiHttpClientBuilderCustomizer resilientAiOpenAiHttpClientCustomizer() {
			return (builder) -> builder.interceptor(new OkHttpAttemptInterceptor());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(RestClientCustomizer.class)
	static class RestClientCancellationConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "resilientAiRestClientCustomizer")
		RestClientCustomizer resilientAiRestClientCustomizer() {
			return (builder) -> builder.requestInterceptor(new RestClientAttemptInterceptor());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(AnthropicHttpClientBuilderCustomizer.class)
	static class AnthropicCancellationConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "resilientAiAnthropicHttpClientCustomizer")
		AnthropicHttpClientBuilderCustomizer resilientAiAnthropicHttpClientCustomizer() {
			return (builder) -> builder.interceptor(new OkHttpAttemptInterceptor());
		}

	}

}
