package dev.resilientai.web;

import java.time.Duration;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.UnknownDataClassException;
import dev.resilientai.autoconfigure.ResilientAiAutoConfiguration;
import dev.resilientai.autoconfigure.ResilientAiProblemDetailsAutoConfiguration;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.WebApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The starter's exceptions as problem details in a Spring MVC application, through MockMvc.
 */
class ProblemDetailsServletTests {

	private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
				CircuitBreakerAutoConfiguration.class, ResilientAiProblemDetailsAutoConfiguration.class,
				JacksonAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class,
				WebMvcAutoConfiguration.class, DispatcherServletAutoConfiguration.class))
		.withUserConfiguration(ProblemDetailsFixtures.LeakyFailingModels.class, ChatController.class)
		.withPropertyValues(ProblemDetailsFixtures.PROPERTIES);

	@ParameterizedTest
	@CsvSource({ "unknown, 400, unknown-data-class, Unknown data class",
			"not-enforceable, 500, data-class-not-enforceable, Data class not enforceable",
			"rejected, 400, provider-request-rejected, Request rejected by provider",
			"no-eligible, 503, no-eligible-provider, No eligible provider",
			"all-failed, 503, all-providers-failed, All providers failed",
			"stream, 502, stream-interrupted, Stream interrupted",
			"interrupted, 503, request-interrupted, Request interrupted",
			"other, 500, request-failed, AI request failed" })
	void eachExceptionIsAProblemDetailOfItsOwnType(String kind, int status, String type, String title) {
		this.runner.run((context) -> {
			MvcResult result = mvc(context).perform(get("/throw/" + kind))
				.andExpect(status().is(status))
				.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
				.andExpect(jsonPath("$.type").value(ResilientAiProblemDetails.TYPE_BASE + type))
				.andExpect(jsonPath("$.title").value(title))
				.andExpect(jsonPath("$.status").value(status))
				.andExpect(jsonPath("$.instance").value("/throw/" + kind))
				.andExpect(jsonPath("$.detail").isNotEmpty())
				.andExpect(header().doesNotExist(HttpHeaders.RETRY_AFTER))
				.andReturn();
			assertThat(result.getResponse().getContentAsString()).doesNotContain(ProblemDetailsFixtures.PROMPT)
				.doesNotContain(ProblemDetailsFixtures.API_KEY)
				.doesNotContain("IllegalStateException");
		});
	}

	@Test
	void extensionPropertiesNameTheDataClassProviderAndAttempts() {
		this.runner.run((context) -> {
			MockMvc mvc = mvc(context);
			mvc.perform(get("/throw/unknown")).andExpect(jsonPath("$.dataClass").value("secret"));
			mvc.perform(get("/throw/not-enforceable")).andExpect(jsonPath("$.dataClass").value("public"));
			mvc.perform(get("/throw/no-eligible")).andExpect(jsonPath("$.dataClass").value("phi"));
			mvc.perform(get("/throw/rejected"))
				.andExpect(jsonPath("$.provider").value("first"))
				.andExpect(jsonPath("$.providerStatus").value(400));
			mvc.perform(get("/throw/stream"))
				.andExpect(jsonPath("$.provider").value("first"))
				.andExpect(jsonPath("$.chunksDelivered").value(3));
			mvc.perform(get("/throw/all-failed"))
				.andExpect(jsonPath("$.attempts[0].provider").value("first"))
				.andExpect(jsonPath("$.attempts[0].errorKind").value("SERVER_ERROR"))
				.andExpect(jsonPath("$.attempts[0].httpStatus").value(500));
		});
	}

	@Test
	void anUnknownDataClassOfARealRequestIsA400NamingTheClass() {
		this.runner.run((context) -> mvc(context).perform(get("/chat").param("dataClass", "secret"))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value(ResilientAiProblemDetails.UNKNOWN_DATA_CLASS.toString()))
			.andExpect(jsonPath("$.dataClass").value("secret"))
			.andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("'secret'"))));
	}

	@Test
	void whenEveryProviderFailsWithErrorsTheAnswerIs503WithTheAttemptsAndNoRetryAfter() {
		this.runner.run((context) -> {
			MvcResult result = mvc(context).perform(get("/chat"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
				.andExpect(jsonPath("$.type").value(ResilientAiProblemDetails.ALL_PROVIDERS_FAILED.toString()))
				.andExpect(jsonPath("$.attempts[0].provider").value("first"))
				.andExpect(jsonPath("$.attempts[0].outcome").value("FAILURE"))
				.andExpect(jsonPath("$.attempts[1].provider").value("second"))
				.andExpect(header().doesNotExist(HttpHeaders.RETRY_AFTER))
				.andReturn();
			assertThat(result.getResponse().getContentAsString()).doesNotContain(ProblemDetailsFixtures.PROMPT)
				.doesNotContain(ProblemDetailsFixtures.API_KEY)
				.doesNotContain("upstream error");
		});
	}

	@Test
	void whenEveryProviderRestsAfterRetryAfterTheAnswerSaysWhenTheFirstIsBack() {
		this.runner.run((context) -> {
			ProblemDetailsFixtures.rest(context.getBean(FailoverExecutor.class), Duration.ofSeconds(40),
					Duration.ofSeconds(10));
			MvcResult result = mvc(context).perform(get("/chat"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(jsonPath("$.attempts[0].skipReason").value("RATE_LIMITED"))
				.andReturn();
			assertThat(Long.parseLong(result.getResponse().getHeader(HttpHeaders.RETRY_AFTER))).isBetween(9L, 10L);
		});
	}

	@Test
	void anOpenBreakerIsBackAfterItsWaitInTheOpenState() {
		this.runner.run((context) -> {
			FailoverExecutor executor = context.getBean(FailoverExecutor.class);
			ProblemDetailsFixtures.rest(executor, Duration.ZERO, Duration.ofHours(1));
			Provider first = executor.getProviders().get(0);
			first.getCircuitBreaker().transitionToOpenState();
			long wait = first.getCircuitBreaker()
				.getCircuitBreakerConfig()
				.getWaitIntervalFunctionInOpenState()
				.apply(1);
			mvc(context).perform(get("/chat"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(jsonPath("$.attempts[0].skipReason").value("BREAKER_OPEN"))
				.andExpect(header().string(HttpHeaders.RETRY_AFTER, Long.toString(wait / 1000)));
		});
	}

	@Test
	void aProviderThatOnlyAnOperatorBringsBackLeavesNoRetryAfter() {
		this.runner.run((context) -> {
			FailoverExecutor executor = context.getBean(FailoverExecutor.class);
			ProblemDetailsFixtures.rest(executor, Duration.ofSeconds(10), Duration.ZERO);
			executor.getProviders().get(1).getCircuitBreaker().transitionToForcedOpenState();
			MockMvc mvc = mvc(context);
			mvc.perform(get("/chat"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(header().string(HttpHeaders.RETRY_AFTER, org.hamcrest.Matchers.matchesPattern("9|10")));
			// the forced-open one is out of the count, but one available now leaves nothing to wait for
			executor.getProviders().get(0).clearRateLimit();
			mvc.perform(get("/chat"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(header().doesNotExist(HttpHeaders.RETRY_AFTER));
		});
	}

	@Test
	void noEligibleProviderIsA503WithoutRetryAfter() {
		this.runner.run((context) -> {
			context.getBean(FailoverExecutor.class).getProviders().get(1).setEnabled(false);
			mvc(context).perform(get("/chat").param("dataClass", "phi"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(jsonPath("$.type").value(ResilientAiProblemDetails.NO_ELIGIBLE_PROVIDER.toString()))
				.andExpect(jsonPath("$.dataClass").value("phi"))
				.andExpect(header().doesNotExist(HttpHeaders.RETRY_AFTER));
		});
	}

	@Test
	void theApplicationsOwnAdviceForTheBaseTypeWins() {
		this.runner.withUserConfiguration(ApplicationAdvice.class).run((context) -> {
			MockMvc mvc = mvc(context);
			mvc.perform(get("/throw/unknown"))
				.andExpect(status().isIAmATeapot())
				.andExpect(content().string("mine: UnknownDataClassException"));
			mvc.perform(get("/chat")).andExpect(status().isIAmATeapot());
		});
	}

	@Test
	void anApplicationAdviceForOneTypeLeavesTheOthersToTheStarter() {
		this.runner.withUserConfiguration(UnknownDataClassAdvice.class).run((context) -> {
			MockMvc mvc = mvc(context);
			mvc.perform(get("/throw/unknown")).andExpect(status().isIAmATeapot());
			mvc.perform(get("/throw/no-eligible"))
				.andExpect(status().isServiceUnavailable())
				.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
		});
	}

	@Test
	void whenTurnedOffTheExceptionReachesTheServletContainer() {
		this.runner.withPropertyValues("resilient-ai.web.problem-details.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class);
			assertThatException().isThrownBy(() -> mvc(context).perform(get("/throw/unknown")))
				.withRootCauseInstanceOf(UnknownDataClassException.class);
		});
	}

	private static MockMvc mvc(AssertableWebApplicationContext context) {
		return MockMvcBuilders.webAppContextSetup((WebApplicationContext) context.getSourceApplicationContext())
			.build();
	}

	@RestController
	static class ChatController {

		private final ResilientChatClient chatClient;

		ChatController(ResilientChatClient chatClient) {
			this.chatClient = chatClient;
		}

		@GetMapping("/chat")
		String chat(@RequestParam(required = false) String dataClass) {
			return ProblemDetailsFixtures.chat(this.chatClient, dataClass);
		}

		@GetMapping("/throw/{kind}")
		String fail(@PathVariable String kind) {
			throw ProblemDetailsFixtures.exception(kind);
		}

	}

	@RestControllerAdvice
	static class ApplicationAdvice {

		@ExceptionHandler(ResilientAiException.class)
		ResponseEntity<String> handle(ResilientAiException ex) {
			return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("mine: " + ex.getClass().getSimpleName());
		}

	}

	@RestControllerAdvice
	static class UnknownDataClassAdvice {

		@ExceptionHandler(UnknownDataClassException.class)
		ResponseEntity<String> handle(UnknownDataClassException ex) {
			return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("mine");
		}

	}

}
