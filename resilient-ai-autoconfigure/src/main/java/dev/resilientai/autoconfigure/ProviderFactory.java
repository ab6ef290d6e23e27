package dev.resilientai.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.Provider;
import dev.resilientai.logging.RoutingSummary;
import dev.resilientai.provider.OllamaProviderModels;
import dev.resilientai.provider.ChatClientChatModel;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Builds the {@link Provider providers} from {@code resilient-ai.providers} (or, when none
 * are configured, from every {@link ChatModel} bean), validating the configuration and naming
 * the offending property when it is wrong.
 */
class ProviderFactory {

	private static final Log logger = LogFactory.getLog(ProviderFactory.class);

	/** A placeholder the environment could not resolve, as the binder leaves it. */
	/** A placeholder's name: up to its default ({@code :}) or its end, never the default. */
	private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.\\-\\[\\]]{1,100})([:}])?");

	/**
	 * The keys of Spring AI's auto-configured models, by the bean name Spring AI gives each
	 * model, checked for unresolved placeholders when a provider uses that bean.
	 */
	private static final Map<String, List<String>> SPRING_AI_API_KEYS = Map.of("openAiChatModel",
			List.of("spring.ai.openai.api-key", "spring.ai.openai.chat.api-key"), "anthropicChatModel",
			List.of("spring.ai.anthropic.api-key"));

	/** Sort key of providers without a priority: after every provider that has one. */
	static final int NO_PRIORITY = Integer.MAX_VALUE;

	private static final java.util.regex.Pattern VALID_NAME = java.util.regex.Pattern
		.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

	/** The last resort's provider name and the health contributor's data-class child. */
	private static final Set<String> RESERVED_NAMES = Set.of("fallback", "dataclasses", "fleet");

	/**
	 * The breaker defaults when the {@code resilient-ai} shared configuration is absent from
	 * the registry (Resilience4j's auto-configuration excluded); the same values as
	 * {@link ResilientAiEnvironmentPostProcessor}.
	 */
	static final CircuitBreakerConfig LLM_DEFAULTS = CircuitBreakerConfig.custom()
		.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
		.slidingWindowSize(10)
		.minimumNumberOfCalls(5)
		.failureRateThreshold(50)
		.slowCallRateThreshold(80)
		.waitIntervalFunctionInOpenState(
				io.github.resilience4j.core.IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2, Duration.ofSeconds(5)))
		.permittedNumberOfCallsInHalfOpenState(2)
		.automaticTransitionFromOpenToHalfOpenEnabled(false)
		.writableStackTraceEnabled(false)
		.build();

	/**
	 * The bulkhead defaults when the {@code resilient-ai} shared configuration is absent from
	 * the registry; the same values as {@link ResilientAiEnvironmentPostProcessor}.
	 */
	static final BulkheadConfig BULKHEAD_DEFAULTS = BulkheadConfig.custom()
		.maxConcurrentCalls(ResilientAiEnvironmentPostProcessor.DEFAULT_MAX_CONCURRENT_CALLS)
		.maxWaitDuration(Duration.ZERO)
		.writableStackTraceEnabled(false)
		.build();

	private final ListableBeanFactory beanFactory;

	private final BulkheadRegistry bulkheads;

	private final CircuitBreakerRegistry registry;

	private final ResilientAiProperties properties;

	private final TypedProviderModels typedModels;

	private final Binder binder;

	/** Where each provider comes from, for the startup summary; filled by createProviders. */
	private final Map<String, RoutingSummary.Origin> origins = new java.util.LinkedHashMap<>();

	ProviderFactory(ListableBeanFactory beanFactory, CircuitBreakerRegistry registry, BulkheadRegistry bulkheads,
			ResilientAiProperties properties, Environment environment) {
		this.beanFactory = beanFactory;
		this.binder = Binder.get(environment);
		this.bulkheads = bulkheads;
		this.registry = registry;
		this.properties = properties;
		this.typedModels = new TypedProviderModels(beanFactory, properties.getFailover().getTimeout());
	}

	List<Provider> createProviders() {
		Duration defaultTimeout = positive("resilient-ai.failover.attempt-timeout",
				this.properties.getFailover().getAttemptTimeout());
		positive("resilient-ai.failover.timeout", this.properties.getFailover().getTimeout());
		if (this.properties.getProviders().isEmpty()) {
			return discoverProviders(defaultTimeout);
		}
		List<Provider> providers = new ArrayList<>();
		for (Map.Entry<String, ResilientAiProperties.Provider> entry : this.properties.getProviders().entrySet()) {
			String name = entry.getKey();
			ResilientAiProperties.Provider config = entry.getValue();
			String prefix = "resilient-ai.providers." + name + ".";
			checkName(name, providers);
			Duration timeout = (config.getTimeout() != null) ? positive(prefix + "timeout", config.getTimeout())
					: defaultTimeout;
			ChatModel model = resolveModel(name, prefix, config);
			int priority = (config.getPriority() != null) ? config.getPriority() : NO_PRIORITY;
			// DataClassValidator requires allowed-data-classes with data classes on; should it
			// be bypassed, a provider without them serves nothing rather than everything.
			Set<String> allowed = this.properties.getDataClasses().isEmpty() ? null
					: new LinkedHashSet<>(Objects.requireNonNullElse(config.getAllowedDataClasses(), List.of()));
			String breakerConfig = breakerConfigName(name);
			Provider provider = new Provider(name, priority, timeout, config.isEnabled(), model,
					circuitBreaker(name, timeout), bulkhead(name), allowed);
			provider.setFaultDomain(config.getFaultDomain());
			if (config.getRequireEndMarker() != null) {
				provider.setEndMarkerRequired(config.getRequireEndMarker());
			}
			if (config.getNativeStructuredOutput() == null
					&& config.getType() == ResilientAiProperties.ProviderType.OPENAI_COMPATIBLE) {
				// not every server speaking OpenAI's protocol takes response_format's json_schema
				provider.setNativeStructuredOutput(false);
			}
			if (config.getNativeStructuredOutput() != null) {
				provider.setNativeStructuredOutput(config.getNativeStructuredOutput());
				if (config.getNativeStructuredOutput() && !provider.isNativeStructuredOutput()) {
					throw new InvalidConfigurationPropertyValueException(
							"resilient-ai.providers." + name + ".native-structured-output", true,
							"The provider's model (" + model.getClass().getSimpleName()
									+ ") takes no output schema in its options; only models whose options are "
									+ "StructuredOutputChatOptions can receive one natively.");
				}
			}
			providers.add(provider);
			this.origins.put(name, new RoutingSummary.Origin(source(config), baseUrl(config, model), breakerConfig));
		}
		return providers;
	}

	/**
	 * Return where each provider made by {@link #createProviders()} comes from.
	 * @return the origins by provider name
	 */
	Map<String, RoutingSummary.Origin> origins() {
		return this.origins;
	}

	private static String source(ResilientAiProperties.Provider config) {
		if (config.getType() != null) {
			return "type " + config.getType().name().toLowerCase(Locale.ROOT).replace('_', '-');
		}
		return StringUtils.hasText(config.getChatModel()) ? "chat-model '" + config.getChatModel() + "'"
				: "chat-client '" + config.getChatClient() + "'";
	}

	private @Nullable String baseUrl(ResilientAiProperties.Provider config, ChatModel model) {
		if (StringUtils.hasText(config.getBaseUrl())) {
			return config.getBaseUrl();
		}
		if (config.getType() == ResilientAiProperties.ProviderType.OLLAMA) {
			return OllamaProviderModels.DEFAULT_BASE_URL;
		}
		return baseUrl(model);
	}

	private @Nullable String baseUrl(ChatModel model) {
		String fromOptions = RoutingSummary.baseUrlOf(model);
		if (fromOptions != null) {
			return fromOptions;
		}
		// the SDKs' and Spring AI's own defaults when nothing overrides them
		return switch (model.getClass().getName()) {
			case "org.springframework.ai.openai.OpenAiChatModel" -> "https://api.openai.com/v1";
			case "org.springframework.ai.anthropic.AnthropicChatModel" -> "https://api.anthropic.com";
			case "org.springframework.ai.ollama.OllamaChatModel" -> this.binder.bind("spring.ai.ollama.base-url",
					String.class).orElse(OllamaProviderModels.DEFAULT_BASE_URL);
			default -> null;
		};
	}

	/** The Resilience4j configuration the provider's breaker is (or will be) made from. */
	private String breakerConfigName(String name) {
		if (this.registry.find(name).isPresent()) {
			return "resilience4j.circuitbreaker.instances." + name;
		}
		return this.registry.getConfiguration(ResilientAiEnvironmentPostProcessor.CIRCUIT_BREAKER_CONFIG).isPresent()
				? "resilience4j.circuitbreaker.configs." + ResilientAiEnvironmentPostProcessor.CIRCUIT_BREAKER_CONFIG
				: "built-in defaults";
	}

	private static void checkName(String name, List<Provider> declared) {
		if (!VALID_NAME.matcher(name).matches()) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.providers." + name, name,
					"A provider name is letters, digits, '-', '_' and '.', starting with a letter or digit: it names "
							+ "the provider's circuit breaker, metrics tags and health component.");
		}
		if (RESERVED_NAMES.contains(name.toLowerCase(Locale.ROOT))) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.providers." + name, name,
					"'" + name + "' is reserved: " + RESERVED_NAMES + ".");
		}
		for (Provider other : declared) {
			if (other.getName().equalsIgnoreCase(name)) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.providers." + name, name,
						"Provider names must be unique regardless of case; '" + other.getName() + "' is declared too.");
			}
		}
	}

	private List<Provider> discoverProviders(Duration timeout) {
		List<Provider> providers = new ArrayList<>();
		List<String> taken = new ArrayList<>();
		for (String beanName : this.beanFactory.getBeanNamesForType(ChatModel.class)) {
			if (FailoverChatModel.class.isAssignableFrom(typeOf(beanName))) {
				continue;
			}
			String name = providerName(beanName);
			if (taken.contains(name)) {
				name = beanName;
			}
			taken.add(name);
			checkSpringAiApiKey(beanName, "provider '" + name + "' (discovered ChatModel bean '" + beanName + "')");
			String breakerConfig = breakerConfigName(name);
			ChatModel model = this.beanFactory.getBean(beanName, ChatModel.class);
			providers.add(new Provider(name, NO_PRIORITY, timeout, true, model, circuitBreaker(name, timeout),
					bulkhead(name), null));
			this.origins.put(name,
					new RoutingSummary.Origin("discovered bean '" + beanName + "'", baseUrl(model), breakerConfig));
		}
		if (providers.isEmpty()) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.providers", "(none)",
					"No providers are configured and the application context has no ChatModel bean. Add a Spring AI "
							+ "model starter or declare providers under resilient-ai.providers.");
		}
		return providers;
	}

	private Class<?> typeOf(String beanName) {
		Class<?> type = this.beanFactory.getType(beanName);
		return (type != null) ? type : Object.class;
	}

	private ChatModel resolveModel(String name, String prefix, ResilientAiProperties.Provider config) {
		String chatModel = config.getChatModel();
		String chatClient = config.getChatClient();
		ResilientAiProperties.ProviderType type = config.getType();
		int sources = (StringUtils.hasText(chatModel) ? 1 : 0) + (StringUtils.hasText(chatClient) ? 1 : 0)
				+ ((type != null) ? 1 : 0);
		if (sources > 1) {
			throw new InvalidConfigurationPropertyValueException(prefix + "type", type,
					"Set one of " + prefix + "chat-model, " + prefix + "chat-client and " + prefix + "type.");
		}
		if (type != null) {
			return this.typedModels.create(name, config, type);
		}
		if (StringUtils.hasText(chatModel)) {
			if (this.beanFactory.containsBean(chatModel)
					&& this.beanFactory.isTypeMatch(chatModel, FailoverChatModel.class)) {
				throw new InvalidConfigurationPropertyValueException(prefix + "chat-model", chatModel,
						"'" + chatModel + "' is the failover model resilient-ai builds over the providers; a provider "
								+ "names the ChatModel of one real endpoint, such as openAiChatModel.");
			}
			checkSpringAiApiKey(chatModel, prefix + "chat-model=" + chatModel);
			return bean(prefix + "chat-model", chatModel, ChatModel.class);
		}
		if (StringUtils.hasText(chatClient)) {
			return new ChatClientChatModel(bean(prefix + "chat-client", chatClient, ChatClient.class));
		}
		throw new InvalidConfigurationPropertyValueException(prefix + "chat-model", null,
				"The provider names no ChatModel bean (" + prefix + "chat-model), no ChatClient bean (" + prefix
						+ "chat-client) and no type (" + prefix + "type).");
	}

	/**
	 * Warn when a Spring AI model a provider uses is configured with a key whose placeholder
	 * the environment could not resolve: the model would send the placeholder's text as its
	 * key and every attempt would be refused.
	 */
	private void checkSpringAiApiKey(String beanName, String usedBy) {
		for (String property : SPRING_AI_API_KEYS.getOrDefault(beanName, List.of())) {
			String value = this.binder.bind(property, String.class).orElse(null);
			if (value != null && value.contains("${")) {
				logger.warn(property + " holds the unresolved placeholder " + placeholders(value) + ", used by "
						+ usedBy + ": its requests will send that text as their API key and be refused. Set the "
						+ "environment variable or the property.");
			}
		}
	}

	/**
	 * The unresolved placeholders of a value, without the rest of it, which may be part of a
	 * secret.
	 * @param value a value containing {@code ${}
	 * @return the placeholders, such as {@code ${OPENAI_API_KEY}}
	 */
	static String placeholders(String value) {
		List<String> found = new ArrayList<>();
		Matcher matcher = PLACEHOLDER.matcher(value);
		while (matcher.find()) {
			String end = matcher.group(2);
			// the name only: a default after ':' (or whatever follows an unterminated '${')
			// may be a secret
			found.add("${" + matcher.group(1) + ("}".equals(end) ? "}" : (":".equals(end) ? ":…}" : "…")));
		}
		return found.isEmpty() ? "an unterminated '${'" : String.join(", ", found);
	}

	private <T> T bean(String property, String beanName, Class<T> type) {
		if (!this.beanFactory.containsBean(beanName)) {
			throw new InvalidConfigurationPropertyValueException(property, beanName,
					"No bean named '" + beanName + "' exists. " + type.getSimpleName() + " beans: "
							+ Arrays.toString(this.beanFactory.getBeanNamesForType(type)));
		}
		if (!this.beanFactory.isTypeMatch(beanName, type)) {
			throw new InvalidConfigurationPropertyValueException(property, beanName,
					"The bean '" + beanName + "' is not a " + type.getName() + ".");
		}
		return this.beanFactory.getBean(beanName, type);
	}

	/**
	 * The provider's breaker: the one Resilience4j made from
	 * {@code resilience4j.circuitbreaker.instances.<name>} if the application configured it,
	 * otherwise one from the shared {@code resilient-ai} configuration with a slow-call
	 * threshold of 80% of the attempt timeout.
	 */
	private CircuitBreaker circuitBreaker(String name, Duration timeout) {
		return this.registry.find(name).orElseGet(() -> {
			CircuitBreakerConfig base = this.registry
				.getConfiguration(ResilientAiEnvironmentPostProcessor.CIRCUIT_BREAKER_CONFIG)
				.orElse(LLM_DEFAULTS);
			CircuitBreakerConfig config = CircuitBreakerConfig.from(base)
				.slowCallDurationThreshold(timeout.multipliedBy(4).dividedBy(5))
				.build();
			return this.registry.circuitBreaker(name, config);
		});
	}

	/**
	 * The provider's bulkhead: the one Resilience4j made from
	 * {@code resilience4j.bulkhead.instances.<name>} if the application configured it,
	 * otherwise one from the shared {@code resilient-ai} configuration.
	 */
	private Bulkhead bulkhead(String name) {
		return this.bulkheads.find(name)
			.orElseGet(() -> this.bulkheads.bulkhead(name,
					this.bulkheads.getConfiguration(ResilientAiEnvironmentPostProcessor.BULKHEAD_CONFIG)
						.orElse(BULKHEAD_DEFAULTS)));
	}

	static Duration positive(String property, @Nullable Duration value) {
		if (value == null || value.compareTo(Duration.ZERO) <= 0) {
			throw new InvalidConfigurationPropertyValueException(property, value, "The timeout must be positive.");
		}
		return value;
	}

	/**
	 * The provider name of a discovered {@code ChatModel} bean: {@code openAiChatModel}
	 * becomes {@code openai}, {@code anthropicChatModel} {@code anthropic}, and so on.
	 * @param beanName the bean name
	 * @return the provider name
	 */
	static String providerName(String beanName) {
		String name = beanName.endsWith("ChatModel") && beanName.length() > "ChatModel".length()
				? beanName.substring(0, beanName.length() - "ChatModel".length()) : beanName;
		return name.toLowerCase(Locale.ROOT);
	}

}
