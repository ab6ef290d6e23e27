package dev.resilientai.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of the resilient-ai starter.
 */
@ConfigurationProperties(ResilientAiProperties.PREFIX)
public class ResilientAiProperties {

	/** Prefix of every property of the starter. */
	public static final String PREFIX = "resilient-ai";

	/**
	 * Providers to fail over across, by name. The name is also the name of the provider's
	 * Resilience4j circuit breaker. When empty, every ChatModel bean becomes a provider.
	 */
	private final Map<String, Provider> providers = new LinkedHashMap<>();

	/**
	 * Known data classes, from least to most sensitive. A request naming any other class is
	 * refused. When empty, data classes are off and every provider serves every request.
	 */
	private List<String> dataClasses = new ArrayList<>();

	/**
	 * Data class of requests that name none. Required when data-classes is set.
	 */
	private @Nullable String defaultDataClass;

	private final Failover failover = new Failover();

	private final Audit audit = new Audit();

	private final Classifier classifier = new Classifier();

	private final Fallback fallback = new Fallback();

	private final Fleet fleet = new Fleet();

	private final Hedging hedging = new Hedging();

	private final Drills drills = new Drills();

	public Drills getDrills() {
		return this.drills;
	}

	public Hedging getHedging() {
		return this.hedging;
	}

	public Fleet getFleet() {
		return this.fleet;
	}

	public Fallback getFallback() {
		return this.fallback;
	}

	public Map<String, Provider> getProviders() {
		return this.providers;
	}

	public List<String> getDataClasses() {
		return this.dataClasses;
	}

	public void setDataClasses(List<String> dataClasses) {
		this.dataClasses = dataClasses;
	}

	public @Nullable String getDefaultDataClass() {
		return this.defaultDataClass;
	}

	public void setDefaultDataClass(@Nullable String defaultDataClass) {
		this.defaultDataClass = defaultDataClass;
	}

	public Audit getAudit() {
		return this.audit;
	}

	public Classifier getClassifier() {
		return this.classifier;
	}

	/**
	 * The last resort, used when every eligible provider failed.
	 */
	public static class Fallback {

		/**
		 * Fixed answer returned, marked as provider "fallback", when every eligible provider
		 * failed. Never used for requests the caller got wrong or that compliance refused. Off
		 * when unset, unless a FallbackResponder bean is declared.
		 */
		private @Nullable String message;

		public @Nullable String getMessage() {
			return this.message;
		}

		public void setMessage(@Nullable String message) {
			this.message = message;
		}

	}

	/**
	 * Kinds of providers that can be declared by configuration alone.
	 */
	public enum ProviderType {

		/** OpenAI's API (api.openai.com unless base-url says otherwise). */
		OPENAI,

		/**
		 * Any server speaking OpenAI's chat completions: vLLM, llama.cpp, LM Studio, Groq,
		 * Together, Azure OpenAI's v1 endpoint... base-url is required.
		 */
		OPENAI_COMPATIBLE,

		/** Anthropic's messages API. */
		ANTHROPIC,

		/** An Ollama server (http://localhost:11434 unless base-url says otherwise). */
		OLLAMA

	}

	/**
	 * The audit trail.
	 */
	public static class Audit {

		/**
		 * Whether to log one audit record per request at INFO on the dev.resilientai.audit
		 * logger. Records are always published as ResilientAiAuditEvent.
		 */
		private boolean logEnabled;

		public boolean isLogEnabled() {
			return this.logEnabled;
		}

		public void setLogEnabled(boolean logEnabled) {
			this.logEnabled = logEnabled;
		}

	}

	/**
	 * Built-in data classifiers.
	 */
	public static class Classifier {

		private final PersonalData personalData = new PersonalData();

		public PersonalData getPersonalData() {
			return this.personalData;
		}

	}

	/**
	 * The built-in classifier that raises requests containing obvious personal data.
	 */
	public static class PersonalData {

		/**
		 * Whether to raise requests whose messages contain an e-mail address, a phone number,
		 * a payment card number, an IBAN or a US social security number.
		 */
		private boolean enabled;

		/**
		 * Data class such requests are raised to.
		 */
		private String raiseTo = "pii";

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getRaiseTo() {
			return this.raiseTo;
		}

		public void setRaiseTo(String raiseTo) {
			this.raiseTo = raiseTo;
		}

	}

	public Failover getFailover() {
		return this.failover;
	}

	/**
	 * Deadlines and retries of the failover loop.
	 */
	public static class Failover {

		/**
		 * Deadline of one request, all provider attempts included.
		 */
		private Duration timeout = Duration.ofSeconds(60);

		/**
		 * Timeout of one attempt on a provider that sets no timeout of its own.
		 */
		private Duration attemptTimeout = Duration.ofSeconds(30);

		/**
		 * Attempts on one provider before moving on to the next; 1 means no same-provider
		 * retry.
		 */
		private int maxAttemptsPerProvider = 1;

		/**
		 * Base delay of the full-jitter exponential backoff between same-provider attempts.
		 */
		private Duration initialBackoff = Duration.ofMillis(100);

		/**
		 * Longest delay between same-provider attempts.
		 */
		private Duration maxBackoff = Duration.ofSeconds(2);

		/**
		 * Longest time a provider's Retry-After header can keep it out of rotation.
		 */
		private Duration maxRetryAfter = Duration.ofMinutes(5);

		/**
		 * Longest silence between two chunks of a stream before it is ended as interrupted.
		 * The wait for the first chunk is bounded by the provider's attempt timeout.
		 */
		private Duration streamIdleTimeout = Duration.ofSeconds(30);

		public Duration getStreamIdleTimeout() {
			return this.streamIdleTimeout;
		}

		public void setStreamIdleTimeout(Duration streamIdleTimeout) {
			this.streamIdleTimeout = streamIdleTimeout;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getAttemptTimeout() {
			return this.attemptTimeout;
		}

		public void setAttemptTimeout(Duration attemptTimeout) {
			this.attemptTimeout = attemptTimeout;
		}

		public int getMaxAttemptsPerProvider() {
			return this.maxAttemptsPerProvider;
		}

		public void setMaxAttemptsPerProvider(int maxAttemptsPerProvider) {
			this.maxAttemptsPerProvider = maxAttemptsPerProvider;
		}

		public Duration getInitialBackoff() {
			return this.initialBackoff;
		}

		public void setInitialBackoff(Duration initialBackoff) {
			this.initialBackoff = initialBackoff;
		}

		public Duration getMaxBackoff() {
			return this.maxBackoff;
		}

		public void setMaxBackoff(Duration maxBackoff) {
			this.maxBackoff = maxBackoff;
		}

		public Duration getMaxRetryAfter() {
			return this.maxRetryAfter;
		}

		public void setMaxRetryAfter(Duration maxRetryAfter) {
			this.maxRetryAfter = maxRetryAfter;
		}

	}

	/**
	 * One provider.
	 */
	public static class Provider {

		/**
		 * Bean name of the Spring AI ChatModel this provider calls.
		 */
		private @Nullable String chatModel;

		/**
		 * Bean name of a Spring AI ChatClient (with its own defaults) this provider calls.
		 */
		private @Nullable String chatClient;

		/**
		 * Kind of provider to build from configuration alone, instead of naming a bean.
		 */
		private @Nullable ProviderType type;

		/**
		 * Endpoint of a provider declared by type. Required for openai-compatible; OpenAI's
		 * ends with /v1 (chat/completions is appended).
		 */
		private @Nullable String baseUrl;

		/**
		 * API key of a provider declared by type.
		 */
		private @Nullable String apiKey;

		/**
		 * Model of a provider declared by type. Each provider answers with its own model.
		 */
		private @Nullable String model;

		/**
		 * Default temperature of a provider declared by type.
		 */
		private @Nullable Double temperature;

		/**
		 * Default maximum number of tokens to generate, for a provider declared by type.
		 */
		private @Nullable Integer maxTokens;

		public @Nullable ProviderType getType() {
			return this.type;
		}

		public void setType(@Nullable ProviderType type) {
			this.type = type;
		}

		public @Nullable String getBaseUrl() {
			return this.baseUrl;
		}

		public void setBaseUrl(@Nullable String baseUrl) {
			this.baseUrl = baseUrl;
		}

		public @Nullable String getApiKey() {
			return this.apiKey;
		}

		public void setApiKey(@Nullable String apiKey) {
			this.apiKey = apiKey;
		}

		public @Nullable String getModel() {
			return this.model;
		}

		public void setModel(@Nullable String model) {
			this.model = model;
		}

		public @Nullable Double getTemperature() {
			return this.temperature;
		}

		public void setTemperature(@Nullable Double temperature) {
			this.temperature = temperature;
		}

		public @Nullable Integer getMaxTokens() {
			return this.maxTokens;
		}

		public void setMaxTokens(@Nullable Integer maxTokens) {
			this.maxTokens = maxTokens;
		}

		/**
		 * Priority of the provider; lower is tried first, declaration order breaks ties, and
		 * providers without one come last.
		 */
		private @Nullable Integer priority;

		/**
		 * Timeout of one attempt on this provider. Defaults to
		 * resilient-ai.failover.attempt-timeout.
		 */
		private @Nullable Duration timeout;

		/**
		 * Whether the provider takes traffic.
		 */
		private boolean enabled = true;

		/**
		 * Data classes the provider may serve. Required for every provider when
		 * resilient-ai.data-classes is set.
		 */
		private @Nullable List<String> allowedDataClasses;

		/**
		 * Whether a stream of this provider must end with its end marker (a finish reason,
		 * Ollama's done line) to count as complete; one that ends without it fails as
		 * truncated. Defaults to true for Spring AI's OpenAI, Anthropic and Ollama models,
		 * whose wire formats always send one, and to false for other models and ChatClients.
		 */
		private @Nullable Boolean requireEndMarker;

		/**
		 * Whether a request's output schema (native structured output, such as ChatClient's
		 * entity(...) with ENABLE_NATIVE_STRUCTURED_OUTPUT) is sent to this provider natively
		 * (OpenAI response_format, Anthropic output_config, Ollama format) or as format
		 * instructions in the prompt. Defaults to true for models whose options take a schema;
		 * set false for a server that rejects it (some OpenAI-compatible servers).
		 */
		private @Nullable Boolean nativeStructuredOutput;

		/**
		 * A free-form label of the infrastructure the provider runs on (aws-us-east-1,
		 * on-prem). After a provider fails (connection, timeout, 5xx, overload), the next
		 * attempt prefers providers of another fault domain. Without a label the provider is
		 * a domain of its own.
		 */
		private @Nullable String faultDomain;

		public @Nullable String getFaultDomain() {
			return this.faultDomain;
		}

		public void setFaultDomain(@Nullable String faultDomain) {
			this.faultDomain = faultDomain;
		}

		public @Nullable Boolean getNativeStructuredOutput() {
			return this.nativeStructuredOutput;
		}

		public void setNativeStructuredOutput(@Nullable Boolean nativeStructuredOutput) {
			this.nativeStructuredOutput = nativeStructuredOutput;
		}

		public @Nullable Boolean getRequireEndMarker() {
			return this.requireEndMarker;
		}

		public void setRequireEndMarker(@Nullable Boolean requireEndMarker) {
			this.requireEndMarker = requireEndMarker;
		}

		public @Nullable List<String> getAllowedDataClasses() {
			return this.allowedDataClasses;
		}

		public void setAllowedDataClasses(@Nullable List<String> allowedDataClasses) {
			this.allowedDataClasses = allowedDataClasses;
		}

		public @Nullable String getChatModel() {
			return this.chatModel;
		}

		public void setChatModel(@Nullable String chatModel) {
			this.chatModel = chatModel;
		}

		public @Nullable String getChatClient() {
			return this.chatClient;
		}

		public void setChatClient(@Nullable String chatClient) {
			this.chatClient = chatClient;
		}

		public @Nullable Integer getPriority() {
			return this.priority;
		}

		public void setPriority(@Nullable Integer priority) {
			this.priority = priority;
		}

		public @Nullable Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(@Nullable Duration timeout) {
			this.timeout = timeout;
		}

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}


	/**
	 * Sharing of provider state between the instances of the application through Redis.
	 */
	public static class Fleet {

		/**
		 * Whether instances share provider state (breaker opens, forced states, the kill
		 * switch, Retry-After rests) through Redis, reached with Spring Boot's
		 * spring.data.redis.* connection (needs spring-boot-starter-data-redis).
		 */
		private boolean enabled;

		/**
		 * Prefix of the fleet's Redis keys and channel. Instances with the same prefix share
		 * state. Defaults to "resilient-ai:" followed by spring.application.name, or
		 * "resilient-ai" without one.
		 */
		private @Nullable String keyPrefix;

		/**
		 * This instance's id in the fleet, written with the changes it shares; a random
		 * suffix is added. Defaults to the host name, the process id and a random suffix.
		 */
		private @Nullable String instanceId;

		/**
		 * How often the shared state is re-read: the backstop of the pub/sub subscription,
		 * and how soon sharing resumes after Redis comes back.
		 */
		private Duration refreshInterval = Duration.ofSeconds(1);

		/**
		 * How long a kill switch or a forced breaker state lives in Redis once the instance
		 * that set it stops renewing it (it renews it while it runs); the other instances then
		 * undo it.
		 */
		private Duration stateTtl = Duration.ofHours(24);

		/**
		 * How much longer a shared breaker open lasts on the other instances than on the
		 * instance that opened it: between half and all of this, at random, so that the
		 * opener probes first and the fleet does not probe a recovering provider at once.
		 */
		private Duration recoveryJitter = Duration.ofSeconds(2);

		/**
		 * The longest wait for one round trip to Redis, whatever spring.data.redis.timeout
		 * says: a Redis that does not answer within it counts as unreachable.
		 */
		private Duration commandTimeout = Duration.ofSeconds(1);

		public Duration getCommandTimeout() {
			return this.commandTimeout;
		}

		public void setCommandTimeout(Duration commandTimeout) {
			this.commandTimeout = commandTimeout;
		}

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getKeyPrefix() {
			return this.keyPrefix;
		}

		public void setKeyPrefix(@Nullable String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public @Nullable String getInstanceId() {
			return this.instanceId;
		}

		public void setInstanceId(@Nullable String instanceId) {
			this.instanceId = instanceId;
		}

		public Duration getRefreshInterval() {
			return this.refreshInterval;
		}

		public void setRefreshInterval(Duration refreshInterval) {
			this.refreshInterval = refreshInterval;
		}

		public Duration getStateTtl() {
			return this.stateTtl;
		}

		public void setStateTtl(Duration stateTtl) {
			this.stateTtl = stateTtl;
		}

		public Duration getRecoveryJitter() {
			return this.recoveryJitter;
		}

		public void setRecoveryJitter(Duration recoveryJitter) {
			this.recoveryJitter = recoveryJitter;
		}

	}

	/**
	 * Hedged attempts: after a delay without an answer (or a stream's first chunk), the
	 * request is also sent to the next eligible provider, and the first answer wins.
	 */
	public static class Hedging {

		/**
		 * Whether requests are hedged.
		 */
		private boolean enabled;

		/**
		 * How long an attempt runs alone before the next eligible provider is asked too.
		 */
		private Duration delay = Duration.ofSeconds(2);

		/**
		 * The most requests hedged, as a share of all requests: over any N requests at most
		 * max-ratio x N + 2 are hedged; a request over budget waits for its provider.
		 */
		private double maxRatio = 0.1;

		/**
		 * Whether the delay adapts to each provider: the 95th percentile of its last 64
		 * answer times (a call's duration, a stream's time to its first chunk), at least a
		 * tenth of 'delay' and at most 'delay', which then acts as the cap.
		 */
		private boolean adaptiveDelay;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getDelay() {
			return this.delay;
		}

		public void setDelay(Duration delay) {
			this.delay = delay;
		}

		public double getMaxRatio() {
			return this.maxRatio;
		}

		public void setMaxRatio(double maxRatio) {
			this.maxRatio = maxRatio;
		}

		public boolean isAdaptiveDelay() {
			return this.adaptiveDelay;
		}

		public void setAdaptiveDelay(boolean adaptiveDelay) {
			this.adaptiveDelay = adaptiveDelay;
		}

	}

	/**
	 * Failover drills through the resilientai endpoint's "drill" action.
	 */
	public static class Drills {

		/**
		 * Whether the endpoint's "drill" action may inject faults into a provider's attempts.
		 */
		private boolean enabled;

		/**
		 * The longest drill the endpoint accepts.
		 */
		private Duration maxDuration = Duration.ofHours(1);

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getMaxDuration() {
			return this.maxDuration;
		}

		public void setMaxDuration(Duration maxDuration) {
			this.maxDuration = maxDuration;
		}

	}

}
