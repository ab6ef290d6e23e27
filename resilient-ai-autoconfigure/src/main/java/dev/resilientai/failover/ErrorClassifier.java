package dev.resilientai.failover;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.resilientai.ErrorKind;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.util.ClassUtils;

/**
 * The one place where provider failures are classified. It reads the HTTP status and
 * headers from the exceptions of the OpenAI and Anthropic Java SDKs, of Spring's HTTP clients
 * and of Spring AI's {@code ResponseErrorHandler} (which only keeps the status in its
 * message), and falls back on the exception type for transport failures. Spring's web
 * classes are only touched when {@code spring-web} is on the classpath: an application
 * whose providers are the OpenAI or Anthropic SDKs may have no web stack at all.
 *
 * <table>
 * <caption>Classification</caption>
 * <tr><th>signal</th><th>kind</th></tr>
 * <tr><td>400, 422</td><td>{@link ErrorKind#INVALID_REQUEST}, or {@link ErrorKind#CONTEXT_LENGTH} when the
 * provider says the prompt is too long</td></tr>
 * <tr><td>413</td><td>{@link ErrorKind#CONTEXT_LENGTH}</td></tr>
 * <tr><td>401, 403</td><td>{@link ErrorKind#AUTHENTICATION}</td></tr>
 * <tr><td>404</td><td>{@link ErrorKind#NOT_FOUND}</td></tr>
 * <tr><td>408</td><td>{@link ErrorKind#TIMEOUT}</td></tr>
 * <tr><td>429</td><td>{@link ErrorKind#RATE_LIMITED}, with its {@code Retry-After}</td></tr>
 * <tr><td>503, 529</td><td>{@link ErrorKind#OVERLOADED}, with its {@code Retry-After}</td></tr>
 * <tr><td>other 5xx, 409, an error event inside a 200</td><td>{@link ErrorKind#SERVER_ERROR} (or
 * {@link ErrorKind#OVERLOADED} when it says so)</td></tr>
 * <tr><td>socket or call timeout</td><td>{@link ErrorKind#TIMEOUT}</td></tr>
 * <tr><td>other I/O failure</td><td>{@link ErrorKind#CONNECTION}</td></tr>
 * <tr><td>unreadable body</td><td>{@link ErrorKind#INVALID_RESPONSE}</td></tr>
 * </table>
 */
public class ErrorClassifier {

	private static final boolean OPENAI_PRESENT = ClassUtils.isPresent("com.openai.errors.OpenAIServiceException",
			ErrorClassifier.class.getClassLoader());

	private static final boolean ANTHROPIC_PRESENT = ClassUtils
		.isPresent("com.anthropic.errors.AnthropicServiceException", ErrorClassifier.class.getClassLoader());

	private static final boolean SPRING_WEB_PRESENT = ClassUtils.isPresent(
			"org.springframework.web.client.RestClientResponseException", ErrorClassifier.class.getClassLoader());

	private static final boolean WEBFLUX_PRESENT = SPRING_WEB_PRESENT && ClassUtils.isPresent(
			"org.springframework.web.reactive.function.client.WebClientResponseException",
			ErrorClassifier.class.getClassLoader());

	private static final boolean SPRING_AI_RETRY_PRESENT = ClassUtils
		.isPresent("org.springframework.ai.retry.TransientAiException", ErrorClassifier.class.getClassLoader());

	/** Spring AI's response error handlers keep only "HTTP 503 - body" or "503 - body". */
	private static final Pattern SPRING_AI_STATUS = Pattern.compile("^(?:HTTP )?(\\d{3}) - ");

	private static final List<String> CONTEXT_LENGTH_MARKERS = List.of("context_length_exceeded",
			"maximum context length", "context length", "prompt is too long", "too many tokens",
			"request_too_large");

	private static final int MAX_CAUSE_DEPTH = 16;

	/** RFC 9110 IMF-fixdate, such as {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
	private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.RFC_1123_DATE_TIME;

	/** The obsolete asctime date, such as {@code Sun Nov  6 08:49:37 1994}, always in GMT. */
	private static final DateTimeFormatter ASCTIME_DATE = new DateTimeFormatterBuilder().parseCaseInsensitive()
		.appendPattern("EEE MMM d HH:mm:ss yyyy")
		.toFormatter(Locale.US);

	private final Clock clock;

	public ErrorClassifier() {
		this(Clock.systemUTC());
	}

	public ErrorClassifier(Clock clock) {
		this.clock = clock;
	}

	/**
	 * Classify a failure thrown by a provider's model.
	 * @param failure the failure
	 * @return its classification
	 */
	public Classification classify(Throwable failure) {
		if (failure instanceof Drill.InjectedFailureException) {
			// a drill's injected error stands for the provider's outage: a 5xx
			return new Classification(ErrorKind.SERVER_ERROR, null, null);
		}
		List<Throwable> chain = causeChain(failure);
		for (Throwable candidate : chain) {
			HttpError error = httpError(candidate);
			if (error != null) {
				return classifyStatus(error, candidate);
			}
		}
		for (Throwable candidate : chain) {
			if (candidate instanceof InterruptedIOException || candidate instanceof TimeoutException
					|| candidate.getClass().getSimpleName().contains("Timeout")) {
				return new Classification(ErrorKind.TIMEOUT, null, null);
			}
		}
		for (Throwable candidate : chain) {
			if (isJsonFailure(candidate) || isInvalidData(candidate)) {
				return new Classification(ErrorKind.INVALID_RESPONSE, null, null);
			}
		}
		for (Throwable candidate : chain) {
			if (candidate instanceof IOException || isSdkIo(candidate)
					|| (SPRING_WEB_PRESENT && SpringWebErrors.isConnectionFailure(candidate))) {
				return new Classification(ErrorKind.CONNECTION, null, null);
			}
		}
		for (Throwable candidate : chain) {
			if (candidate instanceof org.springframework.core.codec.DecodingException
					|| (SPRING_WEB_PRESENT && SpringWebErrors.isUnreadableResponse(candidate))) {
				return new Classification(ErrorKind.INVALID_RESPONSE, null, null);
			}
		}
		return new Classification(ErrorKind.UNKNOWN, null, null);
	}

	private Classification classifyStatus(HttpError error, Throwable failure) {
		int status = error.status();
		ErrorKind kind = switch (status) {
			case 400, 422 -> mentionsContextLength(failure) ? ErrorKind.CONTEXT_LENGTH : ErrorKind.INVALID_REQUEST;
			case 413 -> ErrorKind.CONTEXT_LENGTH;
			case 401, 403 -> ErrorKind.AUTHENTICATION;
			case 404 -> ErrorKind.NOT_FOUND;
			case 408 -> ErrorKind.TIMEOUT;
			case 409 -> ErrorKind.SERVER_ERROR;
			case 429 -> ErrorKind.RATE_LIMITED;
			case 503, 529 -> ErrorKind.OVERLOADED;
			// an error inside a successful response, such as Anthropic's "event: error" in a 200
			// stream, is the provider's failure
			default -> (status < 400) ? errorInsideSuccess(failure)
					: (status >= 500) ? ErrorKind.SERVER_ERROR : ErrorKind.INVALID_REQUEST;
		};
		Duration retryAfter = (kind == ErrorKind.RATE_LIMITED || kind == ErrorKind.OVERLOADED)
				? parseRetryAfter(error.retryAfterMs(), error.retryAfter()) : null;
		return new Classification(kind, status, retryAfter);
	}

	/**
	 * Parse a {@code Retry-After} value: delay-seconds or an HTTP date in any of the three
	 * formats of RFC 9110 §5.6.7, or the {@code retry-after-ms} extension that OpenAI sends.
	 * A delay that is zero, negative or already past asks for no rest, so it counts as absent:
	 * otherwise a provider answering every request with {@code Retry-After: 0} would never
	 * count against its breaker.
	 * @param retryAfterMs the {@code retry-after-ms} header, if any
	 * @param retryAfter the {@code Retry-After} header, if any
	 * @return the delay, or {@code null} if none could be read or it is not positive
	 */
	@Nullable Duration parseRetryAfter(@Nullable String retryAfterMs, @Nullable String retryAfter) {
		if (retryAfterMs != null) {
			Duration delay = positive(parseNumber(retryAfterMs, 1));
			if (delay != null) {
				return delay;
			}
			// unreadable or not positive: Retry-After may still say something
		}
		if (retryAfter == null || retryAfter.isBlank()) {
			return null;
		}
		String value = retryAfter.trim();
		Duration delay = parseNumber(value, 1000);
		if (delay == null) {
			Instant date = parseHttpDate(value);
			delay = (date != null) ? Duration.between(this.clock.instant(), date) : null;
		}
		return positive(delay);
	}

	private static @Nullable Duration parseNumber(String value, long millisPerUnit) {
		try {
			double amount = Double.parseDouble(value.trim());
			return Double.isFinite(amount) ? Duration.ofMillis((long) (amount * millisPerUnit)) : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	private static @Nullable Duration positive(@Nullable Duration delay) {
		return (delay != null && delay.compareTo(Duration.ZERO) > 0) ? delay : null;
	}

	/**
	 * Parse an HTTP date: recipients must accept IMF-fixdate and the obsolete RFC 850 and
	 * asctime formats (RFC 9110 §5.6.7).
	 * @param value the date
	 * @return the instant, or {@code null} if it is none of the three
	 */
	private @Nullable Instant parseHttpDate(String value) {
		try {
			return ZonedDateTime.parse(value, IMF_FIXDATE).toInstant();
		}
		catch (DateTimeParseException ex) {
			// try the obsolete formats
		}
		try {
			return ZonedDateTime.parse(value, rfc850Date()).toInstant();
		}
		catch (DateTimeParseException ex) {
			// try asctime
		}
		try {
			// asctime pads a one-digit day with a space ("Nov  6"); folding the spaces lets one
			// pattern read both that and a day of two digits
			return LocalDateTime.parse(value.replaceAll("\\s+", " "), ASCTIME_DATE).toInstant(ZoneOffset.UTC);
		}
		catch (DateTimeParseException ex) {
			return null;
		}
	}

	/**
	 * The obsolete RFC 850 date, such as {@code Sunday, 06-Nov-94 08:49:37 GMT}. Its
	 * two-digit year is read as the one within 50 years of now: RFC 9110 takes a year that
	 * would be more than 50 years ahead as the most recent past year with those digits.
	 * @return the formatter
	 */
	private DateTimeFormatter rfc850Date() {
		int thisYear = this.clock.instant().atOffset(ZoneOffset.UTC).getYear();
		return new DateTimeFormatterBuilder().parseCaseInsensitive()
			.appendPattern("EEEE, dd-MMM-")
			.appendValueReduced(ChronoField.YEAR, 2, 2, thisYear - 49)
			.appendPattern(" HH:mm:ss zzz")
			.toFormatter(Locale.US);
	}

	private static ErrorKind errorInsideSuccess(Throwable failure) {
		String message = failure.getMessage();
		return (message != null && message.toLowerCase(Locale.ROOT).contains("overloaded")) ? ErrorKind.OVERLOADED
				: ErrorKind.SERVER_ERROR;
	}

	private static boolean mentionsContextLength(Throwable failure) {
		for (Throwable candidate : causeChain(failure)) {
			String message = candidate.getMessage();
			if (message != null) {
				String lower = message.toLowerCase(Locale.ROOT);
				for (String marker : CONTEXT_LENGTH_MARKERS) {
					if (lower.contains(marker)) {
						return true;
					}
				}
			}
		}
		return false;
	}

	private static @Nullable HttpError httpError(Throwable candidate) {
		if (OPENAI_PRESENT) {
			HttpError error = OpenAiErrors.httpError(candidate);
			if (error != null) {
				return error;
			}
		}
		if (ANTHROPIC_PRESENT) {
			HttpError error = AnthropicErrors.httpError(candidate);
			if (error != null) {
				return error;
			}
		}
		if (SPRING_WEB_PRESENT) {
			HttpError error = SpringWebErrors.httpError(candidate);
			if (error != null) {
				return error;
			}
		}
		if (WEBFLUX_PRESENT) {
			HttpError error = WebClientErrors.httpError(candidate);
			if (error != null) {
				return error;
			}
		}
		if (SPRING_AI_RETRY_PRESENT && SpringAiErrors.isSpringAiException(candidate)
				&& candidate.getMessage() != null) {
			Matcher matcher = SPRING_AI_STATUS.matcher(candidate.getMessage());
			if (matcher.find()) {
				return new HttpError(Integer.parseInt(matcher.group(1)), null, null);
			}
		}
		return null;
	}

	private static boolean isJsonFailure(Throwable candidate) {
		// Jackson 2 (the OpenAI SDK) and Jackson 3 (Spring AI) may both be present, or neither.
		for (Class<?> type = candidate.getClass(); type != null; type = type.getSuperclass()) {
			String name = type.getName();
			if (name.equals("com.fasterxml.jackson.core.JacksonException")
					|| name.equals("tools.jackson.core.JacksonException")) {
				return true;
			}
		}
		return false;
	}

	private static boolean isInvalidData(Throwable candidate) {
		return (OPENAI_PRESENT && OpenAiErrors.isInvalidData(candidate))
				|| (ANTHROPIC_PRESENT && AnthropicErrors.isInvalidData(candidate));
	}

	private static boolean isSdkIo(Throwable candidate) {
		return (OPENAI_PRESENT && OpenAiErrors.isIo(candidate)) || (ANTHROPIC_PRESENT && AnthropicErrors.isIo(candidate));
	}

	private static List<Throwable> causeChain(Throwable failure) {
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		List<Throwable> chain = new ArrayList<>();
		for (Throwable current = failure; current != null && chain.size() < MAX_CAUSE_DEPTH
				&& seen.put(current, Boolean.TRUE) == null; current = current.getCause()) {
			chain.add(current);
		}
		return chain;
	}

	private static @Nullable String first(List<String> values) {
		return values.isEmpty() ? null : values.get(0);
	}

	record HttpError(int status, @Nullable String retryAfterMs, @Nullable String retryAfter) {
	}

	private static final class OpenAiErrors {

		static @Nullable HttpError httpError(Throwable candidate) {
			if (candidate instanceof com.openai.errors.OpenAIServiceException ex) {
				return new HttpError(ex.statusCode(), first(ex.headers().values("retry-after-ms")),
						first(ex.headers().values("retry-after")));
			}
			return null;
		}

		static boolean isInvalidData(Throwable candidate) {
			return candidate instanceof com.openai.errors.OpenAIInvalidDataException
					|| candidate instanceof com.openai.errors.SseException;
		}

		static boolean isIo(Throwable candidate) {
			return candidate instanceof com.openai.errors.OpenAIIoException
					|| candidate instanceof com.openai.errors.OpenAIRetryableException;
		}

	}

	private static final class AnthropicErrors {

		static @Nullable HttpError httpError(Throwable candidate) {
			if (candidate instanceof com.anthropic.errors.AnthropicServiceException ex) {
				return new HttpError(ex.statusCode(), first(ex.headers().values("retry-after-ms")),
						first(ex.headers().values("retry-after")));
			}
			return null;
		}

		static boolean isInvalidData(Throwable candidate) {
			return candidate instanceof com.anthropic.errors.AnthropicInvalidDataException
					|| candidate instanceof com.anthropic.errors.SseException;
		}

		static boolean isIo(Throwable candidate) {
			return candidate instanceof com.anthropic.errors.AnthropicIoException
					|| candidate instanceof com.anthropic.errors.AnthropicRetryableException;
		}

	}

	/**
	 * The failures of Spring's blocking HTTP clients; only loaded when {@code spring-web} is
	 * present.
	 */
	private static final class SpringWebErrors {

		static @Nullable HttpError httpError(Throwable candidate) {
			if (candidate instanceof org.springframework.web.client.RestClientResponseException ex) {
				return fromHeaders(ex.getStatusCode().value(), ex.getResponseHeaders());
			}
			return null;
		}

		static boolean isConnectionFailure(Throwable candidate) {
			return candidate instanceof org.springframework.web.client.ResourceAccessException;
		}

		static boolean isUnreadableResponse(Throwable candidate) {
			return candidate instanceof org.springframework.http.converter.HttpMessageNotReadableException
					|| candidate instanceof org.springframework.web.client.UnknownContentTypeException;
		}

		static HttpError fromHeaders(int status, @Nullable HttpHeaders headers) {
			if (headers == null) {
				return new HttpError(status, null, null);
			}
			return new HttpError(status, headers.getFirst("retry-after-ms"),
					headers.getFirst(HttpHeaders.RETRY_AFTER));
		}

	}

	/**
	 * The failures of Spring's {@code WebClient}; only loaded when {@code spring-webflux} is
	 * present.
	 */
	private static final class WebClientErrors {

		static @Nullable HttpError httpError(Throwable candidate) {
			if (candidate instanceof org.springframework.web.reactive.function.client.WebClientResponseException ex) {
				return SpringWebErrors.fromHeaders(ex.getStatusCode().value(), ex.getHeaders());
			}
			return null;
		}

	}

	private static final class SpringAiErrors {

		static boolean isSpringAiException(Throwable candidate) {
			return candidate instanceof org.springframework.ai.retry.TransientAiException
					|| candidate instanceof org.springframework.ai.retry.NonTransientAiException;
		}

	}

}
