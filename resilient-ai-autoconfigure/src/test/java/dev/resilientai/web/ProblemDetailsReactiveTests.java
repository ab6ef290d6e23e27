package dev.resilientai.web;

import java.time.Duration;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.autoconfigure.ResilientAiAutoConfiguration;
import dev.resilientai.autoconfigure.ResilientAiProblemDetailsAutoConfiguration;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.config.EnableWebFlux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter's exceptions as problem details in a WebFlux application, through
 * {@link WebTestClient}.
 */
class ProblemDetailsReactiveTests {

	private final ReactiveWebApplicationContextRunner runner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
				CircuitBreakerAutoConfiguration.class, ResilientAiProblemDetailsAutoConfiguration.class))
		.withUserConfiguration(WebFlux.class, ProblemDetailsFixtures.LeakyFailingModels.class, ChatController.class)
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
			for (String path : new String[] { "/throw/", "/error/" }) {
				client(context).get()
					.uri(path + kind)
					.exchange()
					.expectStatus()
					.isEqualTo(status)
					.expectHeader()
					.contentType(MediaType.APPLICATION_PROBLEM_JSON)
					.expectHeader()
					.doesNotExist(HttpHeaders.RETRY_AFTER)
					.expectBody()
					.jsonPath("$.type")
					.isEqualTo(ResilientAiProblemDetails.TYPE_BASE + type)
					.jsonPath("$.title")
					.isEqualTo(title)
					.jsonPath("$.status")
					.isEqualTo(status)
					.jsonPath("$.instance")
					.isEqualTo(path + kind);
			}
			String body = new String(client(context).get()
				.uri("/throw/rejected")
				.exchange()
				.expectBody()
				.returnResult()
				.getResponseBodyContent());
			assertThat(body).contains("\"provider\":\"first\"")
				.doesNotContain(ProblemDetailsFixtures.PROMPT)
				.doesNotContain(ProblemDetailsFixtures.API_KEY);
		});
	}

	@Test
	void whenEveryProviderFailsTheAnswerIs503WithTheAttemptsAndNothingSecret() {
		this.runner.run((context) -> {
			byte[] body = client(context).get()
				.uri("/chat")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
				.expectHeader()
				.contentType(MediaType.APPLICATION_PROBLEM_JSON)
				.expectHeader()
				.doesNotExist(HttpHeaders.RETRY_AFTER)
				.expectBody()
				.jsonPath("$.attempts[1].provider")
				.isEqualTo("second")
				.returnResult()
				.getResponseBodyContent();
			assertThat(new String(body)).doesNotContain(ProblemDetailsFixtures.PROMPT)
				.doesNotContain(ProblemDetailsFixtures.API_KEY)
				.doesNotContain("upstream error");
		});
	}

	@Test
	void whenEveryProviderRestsAfterRetryAfterTheAnswerSaysWhenTheFirstIsBack() {
		this.runner.run((context) -> {
			ProblemDetailsFixtures.rest(context.getBean(FailoverExecutor.class), Duration.ofSeconds(20),
					Duration.ofSeconds(50));
			String retryAfter = client(context).get()
				.uri("/chat")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
				.returnResult(String.class)
				.getResponseHeaders()
				.getFirst(HttpHeaders.RETRY_AFTER);
			assertThat(Long.parseLong(retryAfter)).isBetween(19L, 20L);
		});
	}

	@Test
	void theApplicationsOwnAdviceWins() {
		this.runner.withUserConfiguration(ApplicationAdvice.class)
			.run((context) -> client(context).get()
				.uri("/throw/unknown")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.I_AM_A_TEAPOT)
				.expectBody(String.class)
				.isEqualTo("mine: UnknownDataClassException"));
	}

	@Test
	void whenTurnedOffThereIsNoHandlerAndTheAnswerIsAPlain500() {
		this.runner.withPropertyValues("resilient-ai.web.problem-details.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class);
			client(context).get()
				.uri("/throw/unknown")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR)
				.expectHeader()
				.value(HttpHeaders.CONTENT_TYPE, (type) -> assertThat(type).isNotEqualTo("application/problem+json"));
		});
	}

	private static WebTestClient client(ApplicationContext context) {
		return WebTestClient.bindToApplicationContext(context).build();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebFlux
	static class WebFlux {

	}

	@RestController
	static class ChatController {

		private final ResilientChatClient chatClient;

		ChatController(ResilientChatClient chatClient) {
			this.chatClient = chatClient;
		}

		@GetMapping("/chat")
		String chat() {
			return ProblemDetailsFixtures.chat(this.chatClient, null);
		}

		@GetMapping("/throw/{kind}")
		String fail(@PathVariable String kind) {
			throw ProblemDetailsFixtures.exception(kind);
		}

		@GetMapping("/error/{kind}")
		Mono<String> error(@PathVariable String kind) {
			return Mono.error(ProblemDetailsFixtures.exception(kind));
		}

	}

	@RestControllerAdvice
	static class ApplicationAdvice {

		@ExceptionHandler(ResilientAiException.class)
		ResponseEntity<String> handle(ResilientAiException ex) {
			return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("mine: " + ex.getClass().getSimpleName());
		}

	}

}
