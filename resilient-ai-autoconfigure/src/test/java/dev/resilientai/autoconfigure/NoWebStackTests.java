package dev.resilientai.autoconfigure;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.resilientai.ErrorKind;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application with a Spring AI model module but no web stack: neither {@code spring-web}
 * nor {@code spring-webflux} (nor anything built on them) is on its classpath.
 * <p>
 * A {@link FilteredClassLoader} only hides classes from the lookups made through it (the
 * {@code @ConditionalOnClass} checks); the starter's own classes still link against
 * {@code spring-web} through the class loader that defined them. So the scenario also runs
 * in a class loader that really lacks the web jars, where a stray reference to a web class
 * ends in {@link NoClassDefFoundError}.
 */
class NoWebStackTests {

	/** Jars of the web stack, and of modules that cannot exist without it. */
	private static final Pattern WEB_STACK = Pattern.compile("(spring-web|spring-webflux|spring-webmvc"
			+ "|spring-boot-web.*|spring-boot-http-.*|spring-boot-restclient|spring-boot-webclient"
			+ "|spring-boot-tomcat|tomcat-.*|spring-ai-retry|spring-ai-ollama"
			+ "|spring-ai-autoconfigure-model-.*|spring-ai-starter-.*|spring-boot-starter-web.*|wiremock-.*)-\\d.*\\.jar");

	@Test
	void withoutTheWebStackTheContextStartsAndAFailingProviderFailsOver() throws Exception {
		String outcome = runWithoutWebJars(Scenario.class);
		assertThat(outcome).isEqualTo("served by working after 2 attempts; IOException is CONNECTION");
	}

	@Test
	void withWebPackagesFilteredTheContextStartsAndAFailingProviderFailsOver() {
		assertThat(Scenario.run(new FilteredClassLoader("org.springframework.web.", "org.springframework.http.",
				"org.springframework.boot.restclient.", "org.springframework.boot.webclient.")))
			.isEqualTo("served by working after 2 attempts; IOException is CONNECTION");
	}

	private static String runWithoutWebJars(Class<? extends Supplier<String>> scenario) throws Exception {
		List<URL> urls = new ArrayList<>();
		List<String> removed = new ArrayList<>();
		for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
			File file = new File(entry);
			if (WEB_STACK.matcher(file.getName()).matches()) {
				removed.add(file.getName());
			}
			else {
				urls.add(toUrl(file));
			}
		}
		assertThat(removed).as("the test classpath has the web stack to remove")
			.anyMatch((name) -> name.startsWith("spring-web-"));
		ClassLoader previous = Thread.currentThread().getContextClassLoader();
		try (URLClassLoader withoutWeb = new URLClassLoader(urls.toArray(URL[]::new),
				ClassLoader.getPlatformClassLoader())) {
			assertThat(withoutWeb.getResource("org/springframework/http/HttpHeaders.class")).isNull();
			Thread.currentThread().setContextClassLoader(withoutWeb);
			Object instance = withoutWeb.loadClass(scenario.getName()).getDeclaredConstructor().newInstance();
			return (String) instance.getClass().getMethod("get").invoke(instance);
		}
		catch (InvocationTargetException ex) {
			throw (ex.getCause() instanceof Exception cause) ? cause : new IllegalStateException(ex.getCause());
		}
		finally {
			Thread.currentThread().setContextClassLoader(previous);
		}
	}

	private static URL toUrl(File file) {
		try {
			return file.toURI().toURL();
		}
		catch (MalformedURLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Starts the auto-configuration with two in-memory providers, the first failing with a
	 * plain exception, and asks once.
	 */
	public static class Scenario implements Supplier<String> {

		@Override
		public String get() {
			return run(null);
		}

		static String run(ClassLoader classLoader) {
			ApplicationContextRunner runner = new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
						HttpCancellationAutoConfiguration.class, ResilientAiHealthAutoConfiguration.class,
						ResilientAiEndpointAutoConfiguration.class, ResilientAiMetricsAutoConfiguration.class,
						CircuitBreakerAutoConfiguration.class))
				.withUserConfiguration(InMemoryModels.class)
				.withPropertyValues("resilient-ai.providers.failing.chat-model=failingChatModel",
						"resilient-ai.providers.failing.priority=1",
						"resilient-ai.providers.working.chat-model=workingChatModel",
						"resilient-ai.providers.working.priority=2", "spring.jmx.enabled=true",
						"management.endpoints.jmx.exposure.include=resilientai");
			if (classLoader != null) {
				runner = runner.withClassLoader(classLoader);
			}
			List<String> outcome = new ArrayList<>();
			runner.run((context) -> {
				assertThat(context).hasNotFailed()
					.hasSingleBean(FailoverExecutor.class)
					.hasSingleBean(ResilientAiEndpoint.class);
				ChatResponse response = context.getBean(ResilientChatClient.class)
					.prompt()
					.user("hi")
					.call()
					.chatResponse();
				ErrorKind kind = new ErrorClassifier().classify(new IOException("reset")).kind();
				outcome.add("served by " + response.getMetadata().get(ResilientChatClient.PROVIDER) + " after "
						+ response.getMetadata().get(ResilientChatClient.ATTEMPTS) + " attempts; IOException is "
						+ kind);
			});
			return outcome.get(0);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class InMemoryModels {

		@Bean
		ChatModel failingChatModel() {
			return new ChatModel() {

				@Override
				public ChatResponse call(Prompt prompt) {
					throw new IllegalStateException("down");
				}

			};
		}

		@Bean
		ChatModel workingChatModel() {
			return new ChatModel() {

				@Override
				public ChatResponse call(Prompt prompt) {
					return new ChatResponse(List.of(new Generation(new AssistantMessage("hello"))));
				}

			};
		}

	}

}
