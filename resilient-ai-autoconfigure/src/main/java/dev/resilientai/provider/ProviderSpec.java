package dev.resilientai.provider;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A provider declared by configuration alone, as the model factories need it.
 *
 * @param name the provider name
 * @param baseUrl the endpoint, or {@code null} for the provider's public one
 * @param apiKey the API key, or {@code null} for none
 * @param model the model name, or {@code null} for Spring AI's default
 * @param temperature the default temperature, or {@code null}
 * @param maxTokens the default maximum number of tokens to generate, or {@code null}
 * @param clientTimeout the HTTP client's own timeout, a backstop behind the failover loop's
 */
public record ProviderSpec(String name, @Nullable String baseUrl, @Nullable String apiKey, @Nullable String model,
		@Nullable Double temperature, @Nullable Integer maxTokens, Duration clientTimeout) {

	@Override
	public String toString() {
		return "ProviderSpec[" + this.name + ", baseUrl=" + this.baseUrl + ", model=" + this.model + "]";
	}

}
