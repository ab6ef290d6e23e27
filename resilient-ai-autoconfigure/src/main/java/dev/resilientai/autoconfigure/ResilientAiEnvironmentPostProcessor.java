package dev.resilientai.autoconfigure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.env.DefaultPropertiesPropertySource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

/**
 * Adds the starter's defaults, at the lowest precedence, so that any value the application
 * sets wins:
 * <ul>
 * <li>the loggers of Spring's {@code RestClient} and HTTP codecs stay at INFO, as they would
 * log prompts at DEBUG;</li>
 * <li>Spring AI's {@code MessageAggregator} logger is off: it only repeats, with a stack
 * trace, a stream error that reaches the caller anyway;</li>
 * <li>the retries of the OpenAI and Anthropic SDKs and of Spring AI's {@code RetryTemplate}
 * are turned off, so that one provider attempt is exactly one HTTP request and the starter's
 * failover loop is the only retry loop;</li>
 * <li>a Resilience4j shared circuit-breaker configuration named {@code resilient-ai}, with
 * defaults that suit LLM calls, which every provider's breaker starts from;</li>
 * <li>{@code base-config: resilient-ai} for each provider whose breaker the application tunes
 * under {@code resilience4j.circuitbreaker.instances.<provider>}, so that tuning one key keeps
 * the other LLM defaults instead of falling back to Resilience4j's (a window of 100 calls).</li>
 * </ul>
 */
public class ResilientAiEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/** Name of the property source that holds the defaults. */
	public static final String PROPERTY_SOURCE_NAME = "resilientAiDefaults";

	/** Name of the shared Resilience4j circuit-breaker configuration of the providers. */
	public static final String CIRCUIT_BREAKER_CONFIG = "resilient-ai";

	private static final String BREAKER = "resilience4j.circuitbreaker.configs." + CIRCUIT_BREAKER_CONFIG + ".";

	/** Name of the shared Resilience4j bulkhead configuration of the providers. */
	public static final String BULKHEAD_CONFIG = "resilient-ai";

	private static final String BULKHEAD = "resilience4j.bulkhead.configs." + BULKHEAD_CONFIG + ".";

	/**
	 * How many requests may wait on one provider at once by default: half of a servlet
	 * container's default 200 request threads (Tomcat's {@code server.tomcat.threads.max}),
	 * so that a hung provider holds at most 100 of them and the other 100 keep serving through
	 * the next provider; a healthy provider answering in 2 s still takes 50 requests a
	 * second before requests skip it.
	 */
	public static final int DEFAULT_MAX_CONCURRENT_CALLS = 100;

	/** Loggers that write HTTP request bodies, and so prompts, at DEBUG. */
	static final List<String> PROMPT_LOGGERS = List.of("org.springframework.web.client.DefaultRestClient",
			"org.springframework.http.codec", "org.springframework.web.HttpLogging",
			// Apache HttpClient, the transport Spring Boot picks for RestClient when it is on the
			// classpath (the Anthropic SDK brings it): bodies on the wire, and headers with keys
			"org.apache.hc.client5.http.wire", "org.apache.hc.client5.http.headers");

	/**
	 * Spring AI's models that log the whole prompt at WARN when a provider answers with no
	 * choices or no content blocks ("No choices returned for prompt: ..."): an empty answer,
	 * which the failover loop handles, would otherwise write the prompt to the logs.
	 */
	static final List<String> PROMPT_ECHOING_MODELS = List.of("org.springframework.ai.openai.OpenAiChatModel",
			"org.springframework.ai.anthropic.AnthropicChatModel");

	/** The logger of Spring AI's stream aggregator, whose only message is a duplicate stream error. */
	static final String STREAM_ERROR_LOGGER = "org.springframework.ai.chat.model.MessageAggregator";

	static final Map<String, Object> DEFAULTS;

	static {
		Map<String, Object> defaults = new LinkedHashMap<>();
		defaults.put("spring.ai.openai.max-retries", 0);
		defaults.put("spring.ai.anthropic.max-retries", 0);
		defaults.put("spring.ai.retry.max-attempts", 0);
		// Spring's RestClient and WebClient codecs and Apache HttpClient log request bodies
		// (Ollama's prompts) at DEBUG: keep those loggers at INFO unless the application sets them, so that a DEBUG
		// root logger never writes prompts.
		for (String logger : PROMPT_LOGGERS) {
			defaults.put("logging.level." + logger, "INFO");
		}
		// Spring AI's MessageAggregator logs every stream error at ERROR with its stack trace,
		// once in each model and once in each layer of a ChatClient (five with the routing
		// advisor), attempts the failover loop handled and caller errors included: one failed
		// stream printed eight stack traces. It logs nothing else, and the error always goes
		// on to the subscriber, so OFF hides nothing (docs/troubleshooting.md).
		defaults.put("logging.level." + STREAM_ERROR_LOGGER, "OFF");
		for (String logger : PROMPT_ECHOING_MODELS) {
			defaults.put("logging.level." + logger, "ERROR");
		}
		defaults.put(BREAKER + "sliding-window-type", "COUNT_BASED");
		defaults.put(BREAKER + "sliding-window-size", 10);
		defaults.put(BREAKER + "minimum-number-of-calls", 5);
		defaults.put(BREAKER + "failure-rate-threshold", 50);
		defaults.put(BREAKER + "slow-call-rate-threshold", 80);
		// a short first open that doubles with each failed probe, up to a minute: a provider back
		// from a blip gets traffic within about a second, a dead one is probed every 5 s at most (probes cost callers nothing)
		defaults.put(BREAKER + "wait-duration-in-open-state", "1s");
		defaults.put(BREAKER + "enable-exponential-backoff", true);
		defaults.put(BREAKER + "exponential-backoff-multiplier", 2);
		defaults.put(BREAKER + "exponential-max-wait-duration-in-open-state", "5s");
		defaults.put(BREAKER + "permitted-number-of-calls-in-half-open-state", 2);
		defaults.put(BREAKER + "automatic-transition-from-open-to-half-open-enabled", false);
		defaults.put(BREAKER + "writable-stack-trace-enabled", false);
		defaults.put(BULKHEAD + "max-concurrent-calls", DEFAULT_MAX_CONCURRENT_CALLS);
		defaults.put(BULKHEAD + "max-wait-duration", "0ms");
		DEFAULTS = Map.copyOf(defaults);
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
			return;
		}
		Map<String, Object> defaults = new LinkedHashMap<>(DEFAULTS);
		Binder binder = Binder.get(environment);
		for (String provider : binder.bind("resilient-ai.providers", Bindable.mapOf(String.class, Object.class))
			.orElse(Map.of())
			.keySet()) {
			String instance = "resilience4j.circuitbreaker.instances." + provider;
			if (binder.bind(instance, Bindable.mapOf(String.class, Object.class)).isBound()) {
				defaults.put(instance + ".base-config", CIRCUIT_BREAKER_CONFIG);
			}
			String bulkhead = "resilience4j.bulkhead.instances." + provider;
			if (binder.bind(bulkhead, Bindable.mapOf(String.class, Object.class)).isBound()) {
				defaults.put(bulkhead + ".base-config", BULKHEAD_CONFIG);
			}
		}
		// below everything the application sets, its SpringApplication default properties
		// included: SpringApplication moves those last after this runs, so they are merged
		// over the starter's defaults rather than placed above them
		PropertySource<?> applicationDefaults = environment.getPropertySources().get(DefaultPropertiesPropertySource.NAME);
		if (applicationDefaults instanceof MapPropertySource mapSource) {
			Map<String, Object> merged = new LinkedHashMap<>(defaults);
			merged.putAll(mapSource.getSource());
			environment.getPropertySources()
				.replace(DefaultPropertiesPropertySource.NAME, new DefaultPropertiesPropertySource(merged));
			defaults = Map.of();
		}
		environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE_NAME, defaults));
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
