package dev.resilientai.failover;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import dev.resilientai.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.ai.retry.TransientAiException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorClassifierTests {

	private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

	private final ErrorClassifier classifier = new ErrorClassifier(Clock.fixed(NOW, ZoneOffset.UTC));

	@ParameterizedTest
	@CsvSource({ "HTTP 400 - {\"error\":\"invalid\"}, INVALID_REQUEST", "HTTP 401 - nope, AUTHENTICATION",
			"HTTP 404 - {\"error\":\"model not found\"}, NOT_FOUND", "HTTP 429 - slow, RATE_LIMITED",
			"HTTP 500 - boom, SERVER_ERROR", "HTTP 503 - busy, OVERLOADED", "529 - overloaded, OVERLOADED",
			"HTTP 413 - too large, CONTEXT_LENGTH" })
	void springAiErrorHandlerMessagesAreClassifiedByTheirStatus(String message, ErrorKind expected) {
		RuntimeException failure = message.startsWith("HTTP 4") ? new NonTransientAiException(message)
				: new TransientAiException(message);
		assertThat(this.classifier.classify(failure).kind()).isEqualTo(expected);
	}

	@Test
	void aStatusCarriedByASpringHttpExceptionIsRead() {
		HttpHeaders headers = new HttpHeaders();
		headers.add(HttpHeaders.RETRY_AFTER, "12");
		HttpClientErrorException failure = HttpClientErrorException.create(HttpStatusCode.valueOf(429), "Too Many",
				headers, new byte[0], StandardCharsets.UTF_8);

		Classification classification = this.classifier.classify(new RuntimeException(failure));

		assertThat(classification.kind()).isEqualTo(ErrorKind.RATE_LIMITED);
		assertThat(classification.httpStatus()).isEqualTo(429);
		assertThat(classification.retryAfter()).isEqualTo(Duration.ofSeconds(12));
		assertThat(classification.recordsBreakerFailure()).isFalse();
	}

	@Test
	void aRateLimitWithoutRetryAfterCountsAsAProviderFailure() {
		Classification classification = this.classifier.classify(new NonTransientAiException("HTTP 429 - quota"));
		assertThat(classification.retryAfter()).isNull();
		assertThat(classification.recordsBreakerFailure()).isTrue();
	}

	@Test
	void contextLengthErrorsMoveOnButNeverCountAgainstTheBreaker() {
		Classification classification = this.classifier
			.classify(new NonTransientAiException("HTTP 400 - {\"error\":\"prompt is too long: 210000 tokens\"}"));
		assertThat(classification.kind()).isEqualTo(ErrorKind.CONTEXT_LENGTH);
		assertThat(classification.kind().isFailover()).isTrue();
		assertThat(classification.recordsBreakerFailure()).isFalse();
	}

	@Test
	void invalidRequestsGoBackToTheCaller() {
		ErrorKind kind = this.classifier.classify(new NonTransientAiException("HTTP 400 - bad temperature")).kind();
		assertThat(kind.isFailover()).isFalse();
		assertThat(kind.isProviderFailure()).isFalse();
	}

	@Test
	void transportFailuresAreClassifiedByType() {
		assertThat(this.classifier.classify(new ResourceAccessException("x", new ConnectException("refused"))).kind())
			.isEqualTo(ErrorKind.CONNECTION);
		assertThat(this.classifier.classify(new RuntimeException(new SocketTimeoutException("read"))).kind())
			.isEqualTo(ErrorKind.TIMEOUT);
		assertThat(this.classifier.classify(new RuntimeException(new IOException("reset"))).kind())
			.isEqualTo(ErrorKind.CONNECTION);
		assertThat(this.classifier.classify(new IllegalStateException("no idea")).kind()).isEqualTo(ErrorKind.UNKNOWN);
	}

	@Test
	void retryAfterIsReadAsSecondsMillisecondsOrAnHttpDate() {
		assertThat(this.classifier.parseRetryAfter(null, "2")).isEqualTo(Duration.ofSeconds(2));
		assertThat(this.classifier.parseRetryAfter("1500", "2")).isEqualTo(Duration.ofMillis(1500));
		assertThat(this.classifier.parseRetryAfter(null, "Sat, 21 Nov 2026 12:00:30 GMT"))
			.isEqualTo(Duration.ofSeconds(30));
		assertThat(this.classifier.parseRetryAfter(null, "soon")).isNull();
		assertThat(this.classifier.parseRetryAfter(null, null)).isNull();
	}

	@ParameterizedTest
	@CsvSource(nullValues = "null",
			value = { "null, 0", "null, 0.0", "null, -5", "null, 'Sat, 21 Nov 2026 11:00:00 GMT'",
					"null, 'Sat, 21 Nov 2026 12:00:00 GMT'", "null, 'Saturday, 21-Nov-26 11:00:00 GMT'",
					"null, Sat Nov 21 11:00:00 2026", "0, null", "0, 0", "-1, 0" })
	void aRateLimitWhoseRetryAfterIsZeroOrPastCountsAsAProviderFailureLikeOneWithout(String retryAfterMs,
			String retryAfter) {
		HttpHeaders headers = new HttpHeaders();
		if (retryAfterMs != null) {
			headers.add("retry-after-ms", retryAfterMs);
		}
		if (retryAfter != null) {
			headers.add(HttpHeaders.RETRY_AFTER, retryAfter);
		}
		Classification withZero = this.classifier.classify(HttpClientErrorException
			.create(HttpStatusCode.valueOf(429), "Too Many", headers, new byte[0], StandardCharsets.UTF_8));
		Classification without = this.classifier.classify(HttpClientErrorException
			.create(HttpStatusCode.valueOf(429), "Too Many", new HttpHeaders(), new byte[0], StandardCharsets.UTF_8));

		assertThat(withZero).isEqualTo(without);
		assertThat(withZero.retryAfter()).isNull();
		assertThat(withZero.recordsBreakerFailure()).isTrue();
	}

	@Test
	void anOverloadedProviderCarriesItsRetryAfterAndStillCountsAsAFailure() {
		HttpHeaders headers = new HttpHeaders();
		headers.add(HttpHeaders.RETRY_AFTER, "20");
		Classification spring = this.classifier.classify(HttpServerErrorException.create(HttpStatusCode.valueOf(503),
				"Unavailable", headers, new byte[0], StandardCharsets.UTF_8));
		Classification openAi = this.classifier.classify(com.openai.errors.InternalServerException.builder()
			.statusCode(503)
			.headers(com.openai.core.http.Headers.builder().put("Retry-After", "20").build())
			.build());
		Classification anthropic = this.classifier.classify(com.anthropic.errors.InternalServerException.builder()
			.statusCode(529)
			.headers(com.anthropic.core.http.Headers.builder().put("retry-after", "20").build())
			.body(com.anthropic.core.JsonValue.from(java.util.Map.of()))
			.build());

		assertThat(List.of(spring, openAi, anthropic)).allSatisfy((classification) -> {
			assertThat(classification.kind()).isEqualTo(ErrorKind.OVERLOADED);
			assertThat(classification.retryAfter()).isEqualTo(Duration.ofSeconds(20));
			assertThat(classification.recordsBreakerFailure()).isTrue();
		});
	}

	@Test
	void retryAfterAcceptsTheObsoleteRfc850AndAsctimeDates() {
		assertThat(this.classifier.parseRetryAfter(null, "Saturday, 21-Nov-26 12:00:30 GMT"))
			.isEqualTo(Duration.ofSeconds(30));
		assertThat(this.classifier.parseRetryAfter(null, "Sat Nov 21 12:00:30 2026")).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.classifier.parseRetryAfter(null, "Tue Dec  1 12:00:00 2026")).isEqualTo(Duration.ofDays(10));
		// RFC 9110: a two-digit year more than 50 years ahead is the most recent such year past
		assertThat(this.classifier.parseRetryAfter(null, "Sunday, 06-Nov-94 08:49:37 GMT")).isNull();
		assertThat(this.classifier.parseRetryAfter(null, "Tuesday, 01-Dec-26 12:00:00 GMT"))
			.isEqualTo(Duration.ofDays(10));
	}

	@Test
	void aTwoDigitYearIsReadAsTheOneWithinFiftyYears() {
		ErrorClassifier in1990 = new ErrorClassifier(Clock.fixed(Instant.parse("1990-01-01T00:00:00Z"), ZoneOffset.UTC));
		assertThat(in1990.parseRetryAfter(null, "Sunday, 06-Nov-94 08:49:37 GMT"))
			.isEqualTo(Duration.between(Instant.parse("1990-01-01T00:00:00Z"), Instant.parse("1994-11-06T08:49:37Z")));
		assertThat(in1990.parseRetryAfter(null, "Sun Nov  6 08:49:37 1994")).isEqualTo(
				Duration.between(Instant.parse("1990-01-01T00:00:00Z"), Instant.parse("1994-11-06T08:49:37Z")));
	}

}
