package dev.resilientai.autoconfigure;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

import dev.resilientai.autoconfigure.ResilientAiProperties.ProviderType;
import dev.resilientai.logging.RoutingSummary;
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
			checkPath(prefix, baseUrl, type);
		}
		checkApiKey(prefix, config.getApiKey(), type);
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
			// never the value itself: an unparsable URL may hold a password or a token
			throw new InvalidConfigurationPropertyValueException(prefix + "base-url", "(redacted)",
					"Not a valid URL (" + ex.getReason() + "); the value is not shown, as it may hold credentials.");
		}
		String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : null;
		if (!("http".equals(scheme) || "https".equals(scheme)) || !StringUtils.hasText(uri.getHost())) {
			throw new InvalidConfigurationPropertyValueException(prefix + "base-url", RoutingSummary.safeUrl(baseUrl),
					"Expected an absolute http:// or https:// URL with a host (a password with an unencoded '@' "
							+ "hides the host).");
		}
		if (hasApiKey && "http".equals(scheme) && !isLoopback(uri.getHost())) {
			logger.warn(prefix + "api-key is sent over plain http:// to " + uri.getHost() + " (" + prefix
					+ "base-url): anyone on the network path can read it. Use https://.");
		}
	}

	/**
	 * Refuse a base URL that already ends with the path the SDK appends: every request would
	 * go to {@code .../chat/completions/chat/completions} and fail with a 404.
	 */
	private static void checkPath(String prefix, String baseUrl, ProviderType type) {
		String path = baseUrl.trim();
		int query = path.indexOf('?');
		path = (query >= 0) ? path.substring(0, query) : path;
		while (path.endsWith("/")) {
			path = path.substring(0, path.length() - 1);
		}
		path = path.toLowerCase(Locale.ROOT);
		String expected = switch (type) {
			case OPENAI -> "OpenAI's base URL ends with /v1, such as https://api.openai.com/v1";
			case OPENAI_COMPATIBLE ->
				"an OpenAI-compatible base URL usually ends with /v1, such as http://localhost:8000/v1";
			case ANTHROPIC ->
				"Anthropic's base URL is the host, such as https://api.anthropic.com (the SDK appends /v1/messages)";
			case OLLAMA -> "Ollama's base URL is the host and port, such as http://localhost:11434";
		};
		for (String appended : new String[] { "/chat/completions", "/messages", "/api/chat" }) {
			if (path.endsWith(appended)) {
				throw new InvalidConfigurationPropertyValueException(prefix + "base-url", RoutingSummary.safeUrl(baseUrl),
						"The base URL ends with " + appended + ", which the provider's client appends itself: "
								+ expected + ".");
			}
		}
	}

	/**
	 * An unresolved placeholder would be sent as the key: refuse it. A blank key is allowed
	 * (a proxy may need none) but warned about, since OpenAI and Anthropic refuse requests
	 * without one.
	 */
	private static void checkApiKey(String prefix, @Nullable String apiKey, ProviderType type) {
		if (apiKey == null) {
			return;
		}
		if (apiKey.contains("${")) {
			throw new InvalidConfigurationPropertyValueException(prefix + "api-key", ProviderFactory.placeholders(apiKey),
					"The API key holds a placeholder the environment could not resolve; it would be sent as the "
							+ "key. Set the environment variable or property it names, or remove " + prefix
							+ "api-key to let Spring AI read the SDK's own environment variable.");
		}
		if (apiKey.isBlank() && (type == ProviderType.OPENAI || type == ProviderType.ANTHROPIC)) {
			String variable = (type == ProviderType.OPENAI) ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
			logger.warn(prefix + "api-key is blank: " + ((type == ProviderType.OPENAI) ? "OpenAI" : "Anthropic")
					+ " will most likely refuse the provider's requests (401) unless base-url points at a proxy that "
					+ "needs no key. Set the key, or remove " + prefix + "api-key to let the SDK read " + variable + ".");
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
