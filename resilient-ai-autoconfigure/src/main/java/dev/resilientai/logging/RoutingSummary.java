package dev.resilientai.logging;

import java.lang.reflect.Method;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.resilientai.failover.Provider;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.util.ReflectionUtils;

/**
 * The routing table as one INFO block at startup: providers in the order they are tried,
 * where each one comes from, where it sends requests, and the limits it runs under. It never
 * contains an API key: base URLs lose their user info, query and fragment.
 */
public final class RoutingSummary {

	private static final Log logger = LogFactory.getLog(ProviderEventLogger.LOGGER_NAME);

	private RoutingSummary() {
	}

	/**
	 * Where a provider comes from.
	 *
	 * @param source what declared it: {@code chat-model 'openAiChatModel'}, {@code type openai}...
	 * @param baseUrl where it sends requests, if known (credentials are removed when written)
	 * @param breakerConfig the Resilience4j configuration its breaker was made from
	 */
	public record Origin(String source, @Nullable String baseUrl, String breakerConfig) {
	}

	/**
	 * Write the routing table at INFO.
	 * @param providers the providers in the order they are tried
	 * @param origins where each provider comes from, by provider name
	 * @param deadline the deadline of one request
	 */
	public static void log(List<Provider> providers, Map<String, Origin> origins, Duration deadline) {
		if (logger.isInfoEnabled()) {
			logger.info(format(providers, origins, deadline));
		}
	}

	static String format(List<Provider> providers, Map<String, Origin> origins, Duration deadline) {
		StringBuilder text = new StringBuilder("resilient-ai routes across ").append(providers.size())
			.append((providers.size() == 1) ? " provider" : " providers")
			.append(", tried in this order within a request deadline of ")
			.append(duration(deadline))
			.append(':');
		int index = 1;
		for (Provider provider : providers) {
			Origin origin = origins.get(provider.getName());
			text.append(System.lineSeparator())
				.append("  ")
				.append(index++)
				.append(". ")
				.append(provider.getName())
				.append(provider.isEnabled() ? "" : " (disabled)")
				.append(": priority ")
				.append((provider.getPriority() == Integer.MAX_VALUE) ? "none" : provider.getPriority())
				.append(", ")
				.append((origin != null) ? origin.source() : "bean")
				.append(", base-url ")
				.append((origin != null) ? safeUrl(origin.baseUrl()) : "unknown")
				.append(", attempt timeout ")
				.append(duration(provider.getTimeout()))
				.append(", data classes ")
				.append((provider.getAllowedDataClasses() != null) ? provider.getAllowedDataClasses() : "all")
				.append(", bulkhead ")
				.append(provider.getBulkhead().getBulkheadConfig().getMaxConcurrentCalls())
				.append(" concurrent calls, breaker ")
				.append((origin != null) ? origin.breakerConfig() : "unknown");
		}
		return text.toString();
	}

	/**
	 * A base URL fit for the logs: scheme, host, port and path only.
	 * @param url the URL, or {@code null}
	 * @return the URL without user info, query and fragment, or {@code unknown}
	 */
	public static String safeUrl(@Nullable String url) {
		if (url == null || url.isBlank()) {
			return "unknown";
		}
		try {
			URI uri = new URI(url.trim());
			if (uri.getScheme() == null || uri.getHost() == null) {
				return "(not a URL)";
			}
			return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
		}
		catch (URISyntaxException ex) {
			return "(not a URL)";
		}
	}

	/**
	 * The base URL a Spring AI model's default options carry, if they carry one (OpenAI's and
	 * Anthropic's do).
	 * @param model the model
	 * @return the base URL, or {@code null}
	 */
	public static @Nullable String baseUrlOf(ChatModel model) {
		try {
			Object options = model.getOptions();
			if (options == null) {
				return null;
			}
			Method getter = ReflectionUtils.findMethod(options.getClass(), "getBaseUrl");
			if (getter == null || getter.getReturnType() != String.class || getter.getParameterCount() != 0) {
				return null;
			}
			return (String) getter.invoke(options);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

	static String duration(Duration duration) {
		if (duration.toMillis() % 1000 != 0) {
			return duration.toMillis() + "ms";
		}
		long seconds = duration.toSeconds();
		return (seconds % 60 == 0 && seconds > 0) ? (seconds / 60) + "m" : seconds + "s";
	}

}
