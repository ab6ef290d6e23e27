package dev.resilientai.autoconfigure;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

import dev.resilientai.autoconfigure.ResilientAiProperties.ProviderType;
import dev.resilientai.provider.AnthropicProviderModels;
import dev.resilientai.provider.OllamaProviderModels;
import dev.resilientai.provider.OpenAiProviderModels;
import dev.resilientai.provider.ProviderSpec;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Builds the Spring AI model of a provider declared by {@code type}, after checking its
 * configuration and naming the offending property.
 */
final class TypedProviderModels {

	private static final Log logger = LogFactory.getLog(TypedProviderModels.class);

	private final ListableBeanFactory beanFactory;

	private final Duration clientTimeout;

	/** Shared by the application's ollama providers (one HTTP client); made on first use. */
	private @Nullable OllamaProviderModels ollama;

	TypedProviderModels(ListableBeanFactory beanFactory, Duration clientTimeout) {
		this.beanFactory = beanFactory;
		this.clientTimeout = clientTimeout;
	}

	ChatModel create(String name, ResilientAiProperties.Provider config, ProviderType type) {
		ListableBeanFactory beanFactory = this.beanFactory;
		Duration clientTimeout = this.clientTimeout;
		String prefix = "resilient-ai.providers." + name + ".";
		requireModule(prefix + "type", type);
		String baseUrl = config.getBaseUrl();
		if (type == ProviderType.OPENAI_COMPATIBLE && !StringUtils.hasText(baseUrl)) {
			throw new InvalidConfigurationPropertyValueException(prefix + "base-url", null,
					"An openai-compatible provider needs the base URL of its server, such as http://localhost:8000/v1.");
		}
		if (baseUrl != null) {
			checkUrl(prefix, baseUrl, config.getApiKey() != null);
		}
		ProviderSpec spec = new ProviderSpec(name, baseUrl, config.getApiKey(), config.getModel(),
				config.getTemperature(), config.getMaxTokens(), clientTimeout);
		return switch (type) {
			case OPENAI -> OpenAiProviderModels.create(spec, false, beanFactory);
			case OPENAI_COMPATIBLE -> OpenAiProviderModels.create(spec, true, beanFactory);
			case ANTHROPIC -> AnthropicProviderModels.create(spec, beanFactory);
			case OLLAMA -> ollama().create(spec);
		};
	}

	private OllamaProviderModels ollama() {
		OllamaProviderModels models = this.ollama;
		if (models == null) {
			models = new OllamaProviderModels(this.beanFactory, this.clientTimeout);
			this.ollama = models;
		}
		return models;
	}

	private static void requireModule(String property, ProviderType type) {
		String modelClass = switch (type) {
			case OPENAI, OPENAI_COMPATIBLE -> "org.springframework.ai.openai.OpenAiChatModel";
			case ANTHROPIC -> "org.springframework.ai.anthropic.AnthropicChatModel";
			case OLLAMA -> "org.springframework.ai.ollama.OllamaChatModel";
		};
		if (!ClassUtils.isPresent(modelClass, TypedProviderModels.class.getClassLoader())) {
			String module = switch (type) {
				case OPENAI, OPENAI_COMPATIBLE -> "spring-ai-starter-model-openai";
				case ANTHROPIC -> "spring-ai-starter-model-anthropic";
				case OLLAMA -> "spring-ai-starter-model-ollama";
			};
			throw new InvalidConfigurationPropertyValueException(property, type.name().toLowerCase(Locale.ROOT),
					"This provider type needs org.springframework.ai:" + module + " on the classpath.");
		}
	}

	private static void checkUrl(String prefix, String baseUrl, boolean hasApiKey) {
		URI uri;
		try {
			uri = new URI(baseUrl);
		}
		catch (URISyntaxException ex) {
			throw new InvalidConfigurationPropertyValueException(prefix + "base-url", baseUrl,
					"Not a valid URL: " + ex.getReason() + ".");
		}
		String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : null;
		if (!("http".equals(scheme) || "https".equals(scheme)) || !StringUtils.hasText(uri.getHost())) {
			throw new InvalidConfigurationPropertyValueException(prefix + "base-url", baseUrl,
					"Expected an absolute http:// or https:// URL with a host.");
		}
		if (hasApiKey && "http".equals(scheme) && !isLoopback(uri.getHost())) {
			logger.warn(prefix + "api-key is sent over plain http:// to " + uri.getHost() + " (" + prefix
					+ "base-url): anyone on the network path can read it. Use https://.");
		}
	}

	private static boolean isLoopback(@Nullable String host) {
		if (host == null) {
			return false;
		}
		if (host.equalsIgnoreCase("localhost")) {
			return true;
		}
		String literal = (host.startsWith("[") && host.endsWith("]")) ? host.substring(1, host.length() - 1) : host;
		if (!literal.matches("[0-9.]+") && !literal.contains(":")) {
			return false; // a name other than localhost: do not resolve it at startup
		}
		try {
			return InetAddress.getByName(literal).isLoopbackAddress();
		}
		catch (java.net.UnknownHostException ex) {
			return false;
		}
	}

}
