package dev.resilientai;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.resilientai.autoconfigure.ResilientAiAutoConfiguration;
import dev.resilientai.autoconfigure.ResilientAiProblemDetailsAutoConfiguration;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.Provider;
import dev.resilientai.logging.ProviderEventLogger;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.WebApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

/**
 * What a newcomer's application shows the world: no credentials in startup errors, nothing of
 * the upstream set-up in problem bodies, problem+json on event streams, the last breaker line
 * telling the breaker's state, the application's defaults and logger levels winning.
 */
@ExtendWith(OutputCaptureExtension.class)
class FirstHourHygieneTests {

	private static final String SECRET = "s3cretPassw0rd";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
		.withUserConfiguration(OneModel.class);

	// ---- a base-url's credentials never reach the startup failure ----

	@Test
	void aBaseUrlWithAnUnencodedAtInItsPasswordFailsWithoutEchoingThePassword() {
		// "user:pa@ss@host" does not parse as a server authority: java.net.URI has no host
		this.runner
			.withPropertyValues("resilient-ai.providers.x.type=openai-compatible",
					"resilient-ai.providers.x.base-url=https://svc:" + SECRET + "@x@llm.internal/v1")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(fullText(context.getStartupFailure())).contains("resilient-ai.providers.x.base-url")
					.doesNotContain(SECRET);
			});
	}

	@Test
	void aBaseUrlWithAQueryTokenThatIsNotAValidUriFailsWithoutEchoingTheToken() {
		// a key in the query (Azure-style ?api-key=) with a character URI refuses
		this.runner
			.withPropertyValues("resilient-ai.providers.x.type=openai-compatible",
					"resilient-ai.providers.x.base-url=https://llm.internal/v1?api-key=" + SECRET + "|1")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(fullText(context.getStartupFailure())).contains("resilient-ai.providers.x.base-url")
					.doesNotContain(SECRET);
			});
	}

	// ---- an unterminated placeholder's default (a secret) is never echoed ----

	@Test
	void anUnterminatedPlaceholderWithADefaultKeyFailsWithoutEchoingTheDefault() {
		this.runner
			.withPropertyValues("resilient-ai.providers.x.type=openai",
					"resilient-ai.providers.x.api-key=${RESILIENT_AI_REVIEW_MISSING:sk-live-" + SECRET)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(fullText(context.getStartupFailure())).contains("resilient-ai.providers.x.api-key")
					.doesNotContain(SECRET);
			});
	}

	// ---- an SSE endpoint failing before its first chunk answers with problem+json ----

	@Test
	void anSseEndpointWhoseStreamFailsBeforeItsFirstChunkAnswersWithTheProblem() throws Exception {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
					CircuitBreakerAutoConfiguration.class, ResilientAiProblemDetailsAutoConfiguration.class,
					JacksonAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class,
					WebMvcAutoConfiguration.class, DispatcherServletAutoConfiguration.class))
			.withUserConfiguration(OneModel.class, SseController.class)
			.run((context) -> {
				MockMvc mvc = mvc(context);
				MvcResult started = mvc.perform(get("/sse").accept(MediaType.TEXT_EVENT_STREAM)).andReturn();
				MvcResult result = mvc.perform(asyncDispatch(started)).andReturn();
				String body = result.getResponse().getContentAsString();
				System.out.println("SSE status=" + result.getResponse().getStatus() + " type="
						+ result.getResponse().getContentType() + " body=" + body);
				assertThat(result.getResponse().getStatus() == 503 || body.contains("all-providers-failed"))
					.as("status %s, body '%s'", result.getResponse().getStatus(), body)
					.isTrue();
			});
	}

	// ---- the server's upstream set-up stays out of problem bodies ----

	@Test
	void anHttpCallerIsNotToldThatTheServersOwnProviderCredentialsAreRejected() {
		servletRunner().run((context) -> {
			MvcResult result = mvc(context).perform(get("/auth")).andReturn();
			String body = result.getResponse().getContentAsString();
			assertThat(result.getResponse().getStatus()).isEqualTo(503);
			// Spring Boot's own default (server.error.include-message=never) tells a caller nothing
			// of the server's internals; this tells it which upstream vendor refused the server's key
			assertThat(body).doesNotContain("AUTHENTICATION").doesNotContain("azure-eu-prod");
		});
	}

	private static WebApplicationContextRunner servletRunner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
					CircuitBreakerAutoConfiguration.class, ResilientAiProblemDetailsAutoConfiguration.class,
					JacksonAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class,
					WebMvcAutoConfiguration.class, DispatcherServletAutoConfiguration.class))
			.withUserConfiguration(OneModel.class, SseController.class);
	}

	@Test
	void aWebFluxSseEndpointWhoseStreamFailsBeforeItsFirstChunkAnswersWithAProblemJsonBody() {
		new org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
					CircuitBreakerAutoConfiguration.class, ResilientAiProblemDetailsAutoConfiguration.class))
			.withUserConfiguration(WebFluxOn.class, OneModel.class, SseController.class)
			.run((context) -> {
				org.springframework.test.web.reactive.server.EntityExchangeResult<byte[]> result = org.springframework.test.web.reactive.server.WebTestClient
					.bindToApplicationContext(context)
					.build()
					.get()
					.uri("/sse")
					.accept(MediaType.TEXT_EVENT_STREAM)
					.exchange()
					.expectBody()
					.returnResult();
				String body = (result.getResponseBody() != null) ? new String(result.getResponseBody()) : "";
				System.out.println("WebFlux SSE status=" + result.getStatus() + " type="
						+ result.getResponseHeaders().getContentType() + " body=" + body);
				assertThat(result.getStatus().value()).isEqualTo(503);
				// the body is a problem detail, as in Spring MVC, not an SSE event of one
				assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
				assertThat(body).startsWith("{");
			});
	}

	// ---- an application that names Spring AI's model loggers sees their warnings ----

	@Test
	void anApplicationThatNamesSpringAisModelLoggersSeesTheirWarnings() {
		try (org.springframework.context.ConfigurableApplicationContext context = new org.springframework.boot.builder.SpringApplicationBuilder(
				Empty.class)
			.web(org.springframework.boot.WebApplicationType.NONE)
			.run("--logging.level.org.springframework.ai.anthropic.AnthropicChatModel=WARN")) {
			assertThat(org.slf4j.LoggerFactory.getLogger("org.springframework.ai.anthropic.AnthropicChatModel")
				.isWarnEnabled()).as("Anthropic's 'Failed to parse tool arguments JSON' warning").isTrue();
		}
	}

	@Test
	void anApplicationsDefaultPropertiesBeatTheStartersDefaults() {
		// SpringApplicationBuilder.properties(...) = SpringApplication.setDefaultProperties(...)
		try (org.springframework.context.ConfigurableApplicationContext context = new org.springframework.boot.builder.SpringApplicationBuilder(
				Empty.class)
			.web(org.springframework.boot.WebApplicationType.NONE)
			.properties("spring.ai.openai.max-retries=3",
					"resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size=50")
			.run()) {
			assertThat(context.getEnvironment().getProperty("spring.ai.openai.max-retries")).isEqualTo("3");
			assertThat(context.getEnvironment()
				.getProperty("resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size")).isEqualTo("50");
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class Empty {

	}

	@Configuration(proxyBeanMethods = false)
	@org.springframework.web.reactive.config.EnableWebFlux
	static class WebFluxOn {

	}

	private static MockMvc mvc(AssertableWebApplicationContext context) {
		return MockMvcBuilders.webAppContextSetup((WebApplicationContext) context.getSourceApplicationContext())
			.build();
	}

	private static String fullText(Throwable failure) {
		StringBuilder text = new StringBuilder();
		for (Throwable t = failure; t != null; t = t.getCause()) {
			text.append(t).append('\n');
		}
		return text.toString();
	}

	@RestController
	static class SseController {

		@GetMapping("/auth")
		String auth() {
			throw new AllProvidersFailedException("No provider allowed for data class 'public' answered",
					List.of(ProviderAttempt.failure("azure-eu-prod", ErrorKind.AUTHENTICATION, 401, Duration.ofMillis(5))));
		}

		@GetMapping(path = "/sse", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<String> sse() {
			return Flux.error(new AllProvidersFailedException("No provider allowed for data class 'public' answered",
					List.of(ProviderAttempt.failure("one", ErrorKind.SERVER_ERROR, 500, Duration.ofMillis(5)))));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OneModel {

		@Bean
		ChatModel oneChatModel() {
			return new ChatModel() {

				@Override
				public ChatResponse call(Prompt prompt) {
					throw new IllegalStateException("down");
				}

			};
		}

	}

	static final class MutableClock extends Clock {

		private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

		void advance(Duration duration) {
			this.millis.addAndGet(duration.toMillis());
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return Instant.ofEpochMilli(this.millis.get());
		}

	}

}
