package dev.resilientai.autoconfigure;

import java.time.Clock;
import java.util.List;

import dev.resilientai.DataClassifier;
import dev.resilientai.FallbackResponder;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.audit.AuditPublisher;
import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.logging.ProviderEventLogger;
import dev.resilientai.logging.RoutingSummary;
import dev.resilientai.routing.DataClassPolicy;
import dev.resilientai.routing.PersonalDataClassifier;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.ai.chat.client.advisor.ToolCallingAdvisor;
import org.springframework.ai.chat.client.advisor.observation.AdvisorObservationConvention;
import org.springframework.ai.chat.client.observation.ChatClientObservationConvention;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the failover model and of {@link ResilientChatClient}.
 */
@AutoConfiguration(afterName = {
		// Resilience4j's registry binds resilience4j.circuitbreaker.* before the providers'
		// breakers are taken from it.
		"io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration",
		"io.github.resilience4j.springboot.bulkhead.autoconfigure.BulkheadAutoConfiguration" })
@EnableConfigurationProperties(ResilientAiProperties.class)
public final class ResilientAiAutoConfiguration {

	private static final Log logger = LogFactory.getLog(ResilientAiAutoConfiguration.class);

	private static final List<String> INNER_RETRY_PROPERTIES = List.of("spring.ai.openai.max-retries",
			"spring.ai.anthropic.max-retries", "spring.ai.retry.max-attempts");

	@Bean
	@ConditionalOnMissingBean
	CircuitBreakerRegistry circuitBreakerRegistry() {
		return CircuitBreakerRegistry.ofDefaults();
	}

	@Bean
	@ConditionalOnMissingBean
	BulkheadRegistry bulkheadRegistry() {
		return BulkheadRegistry.ofDefaults();
	}

	@Bean
	@ConditionalOnMissingBean
	ErrorClassifier resilientAiErrorClassifier() {
		return new ErrorClassifier();
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnProperty(name = "resilient-ai.classifier.personal-data.enabled", havingValue = "true")
	PersonalDataClassifier resilientAiPersonalDataClassifier(ResilientAiProperties properties) {
		return new PersonalDataClassifier(properties.getClassifier().getPersonalData().getRaiseTo());
	}

	@Bean
	@ConditionalOnMissingBean
	DataClassPolicy resilientAiDataClassPolicy(ResilientAiProperties properties,
			ObjectProvider<DataClassifier> classifiers) {
		DataClassValidator.validate(properties);
		return new DataClassPolicy(properties.getDataClasses(), properties.getDefaultDataClass(),
				classifiers.orderedStream().toList());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnProperty("resilient-ai.fallback.message")
	FallbackResponder resilientAiFallbackResponder(ResilientAiProperties properties) {
		String message = properties.getFallback().getMessage();
		return (prompt, failure) -> message;
	}

	@Bean
	@ConditionalOnMissingBean
	AuditPublisher resilientAiAuditPublisher(ApplicationEventPublisher eventPublisher,
			ResilientAiProperties properties) {
		return new AuditPublisher(eventPublisher, properties.getAudit().isLogEnabled());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	FailoverExecutor resilientAiFailoverExecutor(ResilientAiProperties properties, ListableBeanFactory beanFactory,
			CircuitBreakerRegistry circuitBreakerRegistry, BulkheadRegistry bulkheadRegistry,
			ErrorClassifier errorClassifier,
			DataClassPolicy resilientAiDataClassPolicy, AuditPublisher resilientAiAuditPublisher,
			ObjectProvider<FallbackResponder> fallbackResponder, Environment environment) {
		warnAboutInnerRetries(environment);
		warnAboutPromptLogging(environment);
		ProviderFactory providerFactory = new ProviderFactory(beanFactory, circuitBreakerRegistry, bulkheadRegistry,
				properties, environment);
		List<Provider> providers = providerFactory.createProviders();
		ResilientAiProperties.Failover failover = properties.getFailover();
		if (failover.getMaxAttemptsPerProvider() < 1) {
			throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
					"resilient-ai.failover.max-attempts-per-provider", failover.getMaxAttemptsPerProvider(),
					"At least one attempt per provider is needed.");
		}
		FailoverSettings settings = new FailoverSettings(failover.getTimeout(), failover.getMaxAttemptsPerProvider(),
				failover.getInitialBackoff(), failover.getMaxBackoff(), failover.getMaxRetryAfter(),
				ProviderFactory.positive("resilient-ai.failover.stream-idle-timeout", failover.getStreamIdleTimeout()));
		FailoverExecutor executor = new FailoverExecutor(providers, settings, errorClassifier,
				resilientAiDataClassPolicy, resilientAiAuditPublisher, fallbackResponder.getIfUnique(),
				Clock.systemUTC());
		ResilientAiProperties.Hedging hedging = properties.getHedging();
		if (hedging.isEnabled()) {
			if (hedging.getDelay().compareTo(java.time.Duration.ZERO) <= 0) {
				throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
						"resilient-ai.hedging.delay", hedging.getDelay(), "The delay must be positive.");
			}
			if (!(hedging.getMaxRatio() >= 0 && hedging.getMaxRatio() <= 1)) {
				throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
						"resilient-ai.hedging.max-ratio", hedging.getMaxRatio(),
						"The ratio of hedged requests is between 0 and 1.");
			}
			executor.setHedging(hedging.isAdaptiveDelay()
					? dev.resilientai.failover.Hedging.adaptive(hedging.getDelay(), hedging.getMaxRatio())
					: dev.resilientai.failover.Hedging.of(hedging.getDelay(), hedging.getMaxRatio()));
		}
		RoutingSummary.log(executor.getProviders(), providerFactory.origins(), settings.timeout());
		warnAboutSingleFaultDomains(executor);
		return executor;
	}

	/**
	 * With fault domains labelled, name each data class whose providers all run in one
	 * fault domain: an outage of it leaves the class no provider.
	 */
	private static void warnAboutSingleFaultDomains(FailoverExecutor executor) {
		List<Provider> providers = executor.getProviders();
		if (providers.stream().allMatch((provider) -> provider.getFaultDomainLabel() == null)) {
			return;
		}
		DataClassPolicy policy = executor.getPolicy();
		List<String> classes = policy.isEnforced() ? policy.getClasses() : List.of(policy.getDefaultClass());
		org.apache.commons.logging.Log log = org.apache.commons.logging.LogFactory.getLog("dev.resilientai");
		for (String dataClass : classes) {
			List<String> domains = providers.stream()
				.filter((provider) -> provider.isEnabled() && provider.isAllowed(dataClass))
				.map(Provider::getFaultDomain)
				.distinct()
				.toList();
			if (domains.size() == 1) {
				log.warn("Data class '" + dataClass + "' is served by a single fault domain ('" + domains.get(0)
						+ "'): an outage of it leaves " + dataClass + " requests no provider. Allow a provider of "
						+ "another fault domain for it (resilient-ai.providers.<name>.allowed-data-classes)");
			}
		}
	}

	@Bean
	@ConditionalOnMissingBean
	ProviderEventLogger resilientAiProviderEventLogger(FailoverExecutor resilientAiFailoverExecutor,
			ErrorClassifier errorClassifier) {
		return new ProviderEventLogger(resilientAiFailoverExecutor.getProviders(), errorClassifier,
				Clock.systemUTC());
	}

	// static: the binder looks its converters up before this configuration is instantiated
	@Bean
	@ConfigurationPropertiesBinding
	@ConditionalOnMissingBean
	static ProviderTypeConverter resilientAiProviderTypeConverter() {
		return new ProviderTypeConverter();
	}

	/**
	 * Primary unless the application has a primary {@code ChatModel} of its own (see
	 * {@link PrimaryChatModelPostProcessor}).
	 */
	@Bean
	@ConditionalOnMissingBean
	FailoverChatModel resilientAiChatModel(FailoverExecutor resilientAiFailoverExecutor) {
		return new FailoverChatModel(resilientAiFailoverExecutor);
	}

	@Bean
	@ConditionalOnMissingBean
	static PrimaryChatModelPostProcessor resilientAiPrimaryChatModelPostProcessor() {
		return new PrimaryChatModelPostProcessor("resilientAiChatModel");
	}

	@Bean
	@ConditionalOnMissingBean(name = "resilientAiChatClientCustomizer")
	RoutingChatClientCustomizer resilientAiChatClientCustomizer() {
		return new RoutingChatClientCustomizer();
	}

	@Bean
	@ConditionalOnMissingBean(ResilientChatClient.class)
	DefaultResilientChatClient resilientChatClient(FailoverChatModel resilientAiChatModel,
			ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<ChatClientObservationConvention> chatClientObservationConvention,
			ObjectProvider<AdvisorObservationConvention> advisorObservationConvention,
			ObjectProvider<ToolCallingAdvisor.Builder<?>> toolCallingAdvisorBuilder,
			ObjectProvider<ChatClientCustomizer> customizers) {
		// the ResilientChatClient's prompts start out routed (the routed view's options)
		ToolCallingAdvisor.Builder<?> toolCalling = toolCallingAdvisorBuilder.getIfAvailable();
		ChatClient.Builder builder = ChatClient.builder(resilientAiChatModel.routedView(),
				observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP),
				chatClientObservationConvention.getIfUnique(), advisorObservationConvention.getIfUnique(),
				toolCalling);
		// The routing advisor is added here, not by the customizer, so that replacing the
		// customizer never leaves the ResilientChatClient without it.
		customizers.orderedStream()
			.filter((customizer) -> !(customizer instanceof RoutingChatClientCustomizer))
			.forEach((customizer) -> customizer.customize(builder));
		// The classes a request names are current from its entry (DefaultResilientChatClient);
		// the advisor just before the model reads the params into the prompt's options. It
		// joins the requests that have advisors or a data-class param; with a tool-calling
		// advisor of the application's own, which Spring AI adds to every request, it is on
		// every request.
		if (toolCalling != null && toolCalling.getClass() != ToolCallingAdvisor.Builder.class) {
			builder.defaultAdvisors(RoutingAdvisor.beforeModel());
			return new DefaultResilientChatClient(builder.build());
		}
		return DefaultResilientChatClient.overRoutedView(builder.build());
	}

	private static final List<String> PROMPT_LOGGING_PROPERTIES = List.of("spring.ai.chat.observations.log-prompt",
			"spring.ai.chat.observations.log-completion", "spring.ai.chat.client.observations.log-prompt",
			"spring.ai.chat.client.observations.log-completion");

	private static void warnAboutPromptLogging(Environment environment) {
		for (String property : PROMPT_LOGGING_PROPERTIES) {
			if (environment.getProperty(property, Boolean.class, false)) {
				logger.warn(property + "=true: prompt or completion text will be written to the logs. Turn it off "
						+ "where prompts may hold personal or health data.");
			}
		}
		for (String promptLogger : ResilientAiEnvironmentPostProcessor.PROMPT_LOGGERS) {
			String level = environment.getProperty("logging.level." + promptLogger);
			if ("DEBUG".equalsIgnoreCase(level) || "TRACE".equalsIgnoreCase(level)) {
				logger.warn("logging.level." + promptLogger + "=" + level
						+ ": this logger writes HTTP request bodies, prompts included, at this level.");
			}
		}
	}

	private static void warnAboutInnerRetries(Environment environment) {
		for (String property : INNER_RETRY_PROPERTIES) {
			Integer value = environment.getProperty(property, Integer.class);
			if (value != null && value > 0) {
				logger.warn(property + "=" + value + " makes one provider attempt up to " + (value + 1)
						+ " HTTP requests, retried inside the provider's client before resilient-ai can fail over. "
						+ "Remove it to let resilient-ai own the retries.");
			}
		}
	}

	/**
	 * Adds the {@link RoutingAdvisor} to the {@code ChatClient.Builder} that Spring AI
	 * auto-configures, so that plain {@code ChatClient}s over the failover model honour the
	 * {@link ResilientChatClient#DATA_CLASS} advisor param.
	 */
	static final class RoutingChatClientCustomizer implements ChatClientCustomizer {

		@Override
		public void customize(ChatClient.Builder builder) {
			builder.defaultAdvisors(new RoutingAdvisor(), RoutingAdvisor.beforeModel());
		}

	}

}
