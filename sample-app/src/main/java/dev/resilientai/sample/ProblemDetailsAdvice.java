package dev.resilientai.sample;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.UnknownDataClassException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * The starter's exceptions as RFC 9457 problem details, typed by the exception.
 */
@RestControllerAdvice
class ProblemDetailsAdvice {

	@ExceptionHandler(ResilientAiException.class)
	ProblemDetail resilientAi(ResilientAiException ex) {
		return problemFor(ex);
	}

	@ExceptionHandler(IllegalArgumentException.class)
	ProblemDetail badInput(IllegalArgumentException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setType(URI.create("urn:resilient-ai:sample:bad-request"));
		return problem;
	}

	/**
	 * The problem detail of one of the starter's exceptions: typed by the exception, 400 for
	 * what the caller got wrong, 503 when no provider could serve the request.
	 */
	static ProblemDetail problemFor(ResilientAiException ex) {
		HttpStatus status = (ex instanceof UnknownDataClassException || ex instanceof ProviderRequestRejectedException)
				? HttpStatus.BAD_REQUEST
				: (ex instanceof NoEligibleProviderException || ex instanceof AllProvidersFailedException)
						? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
		problem.setType(URI.create("urn:resilient-ai:" + ex.getClass().getSimpleName()));
		problem.setTitle(ex.getClass().getSimpleName());
		if (ex instanceof ProviderRequestRejectedException rejected) {
			problem.setProperty("provider", rejected.getProvider());
		}
		else if (ex instanceof NoEligibleProviderException noEligible) {
			problem.setProperty("dataClass", noEligible.getDataClass());
		}
		else if (ex instanceof AllProvidersFailedException failed) {
			problem.setProperty("attempts", attempts(failed.getAttempts()));
		}
		return problem;
	}

	private static List<Map<String, Object>> attempts(List<ProviderAttempt> attempts) {
		return attempts.stream().map((attempt) -> {
			Map<String, Object> entry = new java.util.LinkedHashMap<>();
			entry.put("provider", attempt.provider());
			entry.put("outcome", attempt.outcome().name());
			if (attempt.errorKind() != null) {
				entry.put("errorKind", attempt.errorKind().name());
			}
			if (attempt.skipReason() != null) {
				entry.put("skipReason", attempt.skipReason().name());
			}
			if (attempt.httpStatus() != null) {
				entry.put("httpStatus", attempt.httpStatus());
			}
			entry.put("durationMs", attempt.duration().toMillis());
			return entry;
		}).toList();
	}

}
