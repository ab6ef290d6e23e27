package dev.resilientai.failover;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import dev.resilientai.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.ai.retry.TransientAiException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.client.HttpClientErrorException;
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
		assertThat(this.classifier.parseRetryAfter(null, "Sat, 21 Nov 2026 11:00:00 GMT")).isEqualTo(Duration.ZERO);
		assertThat(this.classifier.parseRetryAfter(null, "soon")).isNull();
		assertThat(this.classifier.parseRetryAfter(null, null)).isNull();
	}

}
