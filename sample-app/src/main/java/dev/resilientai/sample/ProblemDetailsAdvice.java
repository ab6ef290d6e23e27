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

	@ExceptionHandler(UnknownDataClassException.class)
	ProblemDetail unknownDataClass(UnknownDataClassException ex) {
		return problem(HttpStatus.BAD_REQUEST, ex);
	}

	@ExceptionHandler(ProviderRequestRejectedException.class)
	ProblemDetail rejected(ProviderRequestRejectedException ex) {
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, ex);
		problem.setProperty("provider", ex.getProvider());
		return problem;
	}

	@ExceptionHandler(NoEligibleProviderException.class)
	ProblemDetail noEligibleProvider(NoEligibleProviderException ex) {
		ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, ex);
		problem.setProperty("dataClass", ex.getDataClass());
		return problem;
	}

	@ExceptionHandler(AllProvidersFailedException.class)
	ProblemDetail allProvidersFailed(AllProvidersFailedException ex) {
		ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, ex);
		problem.setProperty("attempts", attempts(ex.getAttempts()));
		return problem;
	}

	@ExceptionHandler(ResilientAiException.class)
	ProblemDetail other(ResilientAiException ex) {
		return problem(HttpStatus.INTERNAL_SERVER_ERROR, ex);
	}

	@ExceptionHandler(IllegalArgumentException.class)
	ProblemDetail badInput(IllegalArgumentException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setType(URI.create("urn:resilient-ai:sample:bad-request"));
		return problem;
	}

	static ProblemDetail problem(HttpStatus status, ResilientAiException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
		problem.setType(URI.create("urn:resilient-ai:" + ex.getClass().getSimpleName()));
		problem.setTitle(ex.getClass().getSimpleName());
		return problem;
	}

	static List<Map<String, Object>> attempts(List<ProviderAttempt> attempts) {
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
