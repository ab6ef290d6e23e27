package dev.resilientai.autoconfigure;

import dev.resilientai.provider.OkHttpAttemptInterceptor;

import org.springframework.ai.anthropic.http.okhttp.AnthropicHttpClientBuilderCustomizer;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Registers the interceptor that lets a timed-out or cancelled attempt cancel its HTTP call
 * with the OkHttp clients that Spring AI builds for the OpenAI and Anthropic SDKs. Those
 * customizers reach only the clients Spring AI builds for those SDKs; the application's own
 * HTTP clients ({@code RestClient}, {@code WebClient}) are never customized: a call made with
 * them inside an attempt is stopped by the thread interrupt of the attempt timeout, if its
 * request factory honours interrupts (see {@code docs/failover.md}).
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
	@ConditionalOnClass(AnthropicHttpClientBuilderCustomizer.class)
	static class AnthropicCancellationConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "resilientAiAnthropicHttpClientCustomizer")
		AnthropicHttpClientBuilderCustomizer resilientAiAnthropicHttpClientCustomizer() {
			return (builder) -> builder.interceptor(new OkHttpAttemptInterceptor());
		}

	}

}
