package dev.resilientai.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.resilientai.ResilientChatClient;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.audit.AuditEventRepository;
import org.springframework.boot.actuate.audit.InMemoryAuditEventRepository;
import org.springframework.boot.actuate.audit.listener.AuditListener;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The clients as applications run them: each from a Spring Boot application context
 * (no web server) whose only real {@code ChatModel} is the in-memory one, built by the
 * auto-configuration.
 * <ul>
 * <li>{@link Runtime#STARTER}: the starter and Spring AI's {@code ChatClient} auto-configuration,
 * nothing else (actuator's auto-configurations excluded).</li>
 * <li>{@link Runtime#FULL}: as a typical Boot application with actuator runs: Micrometer's
 * {@code SimpleMeterRegistry} with resilient-ai's and Resilience4j's meters, an
 * {@code ObservationRegistry} recording Spring AI's {@code ChatClient} and advisor observations
 * as timers, and actuator's audit events on ({@code InMemoryAuditEventRepository}).</li>
 * </ul>
 * Plain {@code ChatClient}s come from an application of the same runtime without the starter,
 * so that Spring AI's auto-configured {@code ChatClient.Builder} is over the in-memory model
 * itself.
 */
final class Runtimes {

	/** The bean name of the in-memory model, the one provider of the resilient applications. */
	static final String MODEL_BEAN = "inMemoryChatModel";

	private static final String AUDIT_AUTO_CONFIGURATION = "org.springframework.boot.actuate.autoconfigure.audit.AuditAutoConfiguration";

	private Runtimes() {
	}

	enum Runtime {

		/** The starter alone. */
		STARTER,

		/** The starter with actuator metrics, observations and audit events. */
		FULL;

		static Runtime of(String name) {
			return valueOf(name.toUpperCase(java.util.Locale.ROOT));
		}

	}

	/**
	 * Start an application with the starter: one provider, {@value #MODEL_BEAN}.
	 * @param runtime what else the application runs
	 * @return the application
	 */
	static Application resilient(Runtime runtime) {
		ConfigurableApplicationContext context = start(runtime, true);
		return new Application(context, context.getBean(ResilientChatClient.class),
				context.getBean(ChatClient.Builder.class).build());
	}

	/**
	 * Start an application without the starter: Spring AI's {@code ChatClient} over the
	 * in-memory model.
	 * @param runtime what else the application runs
	 * @return the application
	 */
	static Application plain(Runtime runtime) {
		ConfigurableApplicationContext context = start(runtime, false);
		ChatClient client = context.getBean(ChatClient.Builder.class).build();
		return new Application(context, null, client);
	}

	private static ConfigurableApplicationContext start(Runtime runtime, boolean starter) {
		Map<String, Object> properties = new LinkedHashMap<>();
		properties.put("spring.main.banner-mode", "off");
		properties.put("spring.main.log-startup-info", "false");
		properties.put("logging.level.root", "warn");
		properties.put("spring.autoconfigure.exclude", String.join(",", excluded(runtime, starter)));
		if (starter) {
			properties.put("resilient-ai.providers.primary.chat-model", MODEL_BEAN);
		}
		List<Class<?>> sources = new ArrayList<>(List.of(BenchmarkApplication.class));
		if (runtime == Runtime.FULL) {
			sources.add(AuditEvents.class);
		}
		return new SpringApplicationBuilder(sources.toArray(Class<?>[]::new)).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.properties(properties)
			.run();
	}

	/**
	 * The auto-configurations left out: actuator's in the starter-only runtime, the
	 * starter's in the plain applications.
	 */
	private static List<String> excluded(Runtime runtime, boolean starter) {
		List<String> excluded = new ArrayList<>();
		for (String candidate : ImportCandidates.load(AutoConfiguration.class, Runtimes.class.getClassLoader())) {
			boolean actuator = candidate.startsWith("org.springframework.boot.micrometer.")
					|| candidate.startsWith("org.springframework.boot.actuate.")
					|| candidate.startsWith("org.springframework.boot.health.");
			boolean resilientAi = candidate.startsWith("dev.resilientai.");
			// AuditAutoConfiguration needs Spring Security: AuditEvents declares its listener
			boolean audit = candidate.equals(AUDIT_AUTO_CONFIGURATION);
			// the footprint harness's OpenAI starter is on this classpath too: the in-memory
			// model is the only one here
			boolean openAi = candidate.startsWith("org.springframework.ai.model.openai.");
			// and the HTTP clients' observation auto-configurations, which want actuator's registry
			boolean clientObservations = candidate.endsWith("ObservationAutoConfiguration")
					&& !candidate.startsWith("org.springframework.ai.");
			if (((actuator || clientObservations) && runtime == Runtime.STARTER) || (resilientAi && !starter) || audit
					|| openAi) {
				excluded.add(candidate);
			}
		}
		return excluded;
	}

	/**
	 * One application and the clients it gives.
	 *
	 * @param context the application context
	 * @param resilient its {@code ResilientChatClient}, or {@code null} without the starter
	 * @param chatClient a {@code ChatClient} from its auto-configured {@code ChatClient.Builder}:
	 * over the in-memory model without the starter, over the failover model with it
	 */
	record Application(ConfigurableApplicationContext context, ResilientChatClient resilient,
			ChatClient chatClient) implements AutoCloseable {

		@Override
		public void close() {
			this.context.close();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class BenchmarkApplication {

		@Bean
		InMemoryChatModel inMemoryChatModel() {
			return new InMemoryChatModel();
		}

	}

	/**
	 * Actuator's audit events on, as an application turns them on: an
	 * {@code AuditEventRepository} and the {@code AuditListener} that actuator's
	 * {@code AuditAutoConfiguration} adds for it (which also wants Spring Security's
	 * authentication listeners, and so is left out here).
	 */
	@Configuration(proxyBeanMethods = false)
	static class AuditEvents {

		@Bean
		AuditEventRepository auditEventRepository() {
			return new InMemoryAuditEventRepository();
		}

		@Bean
		AuditListener auditListener(AuditEventRepository auditEventRepository) {
			return new AuditListener(auditEventRepository);
		}

	}

}
