package dev.resilientai.web;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.UnknownDataClassException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Maps the starter's exceptions to RFC 9457 problem details: a status, a stable
 * {@code type} URI under {@value #TYPE_BASE}, a title, a detail and extension properties. The
 * detail never carries prompt text, credentials or a provider's error body: it is the
 * exception's own message, which is built from provider names, error kinds, HTTP statuses
 * and data classes only, or a fixed sentence where the message is meant for developers.
 */
public final class ResilientAiProblemDetails {

	/** Base of every problem type URI of the starter. */
	public static final String TYPE_BASE = "https://resilientai.dev/problems/";

	/** Type of {@link UnknownDataClassException} (400). */
	public static final URI UNKNOWN_DATA_CLASS = URI.create(TYPE_BASE + "unknown-data-class");

	/** Type of {@link DataClassNotEnforceableException} (500). */
	public static final URI DATA_CLASS_NOT_ENFORCEABLE = URI.create(TYPE_BASE + "data-class-not-enforceable");

	/** Type of {@link ProviderRequestRejectedException} (400). */
	public static final URI PROVIDER_REQUEST_REJECTED = URI.create(TYPE_BASE + "provider-request-rejected");

	/** Type of {@link NoEligibleProviderException} (503). */
	public static final URI NO_ELIGIBLE_PROVIDER = URI.create(TYPE_BASE + "no-eligible-provider");

	/** Type of {@link AllProvidersFailedException} (503). */
	public static final URI ALL_PROVIDERS_FAILED = URI.create(TYPE_BASE + "all-providers-failed");

	/** Type of {@link StreamInterruptedException} (502). */
	public static final URI STREAM_INTERRUPTED = URI.create(TYPE_BASE + "stream-interrupted");

	/** Type of {@link RequestInterruptedException} (503). */
	public static final URI REQUEST_INTERRUPTED = URI.create(TYPE_BASE + "request-interrupted");

	/** Type of any other {@link ResilientAiException} (500). */
	public static final URI REQUEST_FAILED = URI.create(TYPE_BASE + "request-failed");

	private ResilientAiProblemDetails() {
	}

	/**
	 * Return the problem detail of one of the starter's exceptions.
	 * @param ex the exception
	 * @return its problem detail, without an {@code instance} (the web stack fills it in)
	 */
	public static ProblemDetail forException(ResilientAiException ex) {
		return forException(ex, false);
	}

	/**
	 * Return the problem detail of one of the starter's exceptions.
	 * @param ex the exception
	 * @param includeProviderDetails whether to tell the caller which of the server's
	 * providers were tried and how each failed (provider names, error kinds, HTTP statuses):
	 * off by default, as Spring Boot keeps error messages from callers
	 * ({@code server.error.include-message=never})
	 * @return its problem detail, without an {@code instance} (the web stack fills it in)
	 */
	public static ProblemDetail forException(ResilientAiException ex, boolean includeProviderDetails) {
		if (ex instanceof UnknownDataClassException unknown) {
			ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, UNKNOWN_DATA_CLASS, "Unknown data class",
					unknown.getMessage());
			problem.setProperty("dataClass", unknown.getDataClass());
			return problem;
		}
		if (ex instanceof DataClassNotEnforceableException notEnforceable) {
			// the application's ChatClient is missing the routing advisor: a bug of the
			// server, not of its HTTP caller; the developer's explanation goes to the log
			ProblemDetail problem = problem(HttpStatus.INTERNAL_SERVER_ERROR, DATA_CLASS_NOT_ENFORCEABLE,
					"Data class not enforceable",
					"The application sent this request through a ChatClient that cannot carry its data class, "
							+ "so it was refused before any provider was called");
			problem.setProperty("dataClass", notEnforceable.getDataClass());
			return problem;
		}
		if (ex instanceof ProviderRequestRejectedException rejected) {
			ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, PROVIDER_REQUEST_REJECTED,
					"Request rejected by provider", includeProviderDetails ? rejected.getMessage()
							: "The language model provider rejected the request as invalid");
			if (includeProviderDetails) {
				problem.setProperty("provider", rejected.getProvider());
				if (rejected.getHttpStatus() != null) {
					problem.setProperty("providerStatus", rejected.getHttpStatus());
				}
			}
			return problem;
		}
		if (ex instanceof NoEligibleProviderException noEligible) {
			ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, NO_ELIGIBLE_PROVIDER,
					"No eligible provider", noEligible.getMessage());
			problem.setProperty("dataClass", noEligible.getDataClass());
			return problem;
		}
		if (ex instanceof AllProvidersFailedException failed) {
			ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, ALL_PROVIDERS_FAILED,
					"All providers failed", includeProviderDetails ? failed.getMessage()
							: "No language model provider answered the request; try again later");
			if (includeProviderDetails) {
				problem.setProperty("attempts", attempts(failed.getAttempts()));
			}
			return problem;
		}
		if (ex instanceof StreamInterruptedException interrupted) {
			ProblemDetail problem = problem(HttpStatus.BAD_GATEWAY, STREAM_INTERRUPTED, "Stream interrupted",
					includeProviderDetails ? interrupted.getMessage()
							: "The answer broke off after it had started; it is incomplete");
			if (includeProviderDetails) {
				problem.setProperty("provider", interrupted.getProvider());
			}
			problem.setProperty("chunksDelivered", interrupted.getChunksDelivered());
			return problem;
		}
		if (ex instanceof RequestInterruptedException) {
			return problem(HttpStatus.SERVICE_UNAVAILABLE, REQUEST_INTERRUPTED, "Request interrupted",
					"The request was interrupted before a provider answered");
		}
		return problem(HttpStatus.INTERNAL_SERVER_ERROR, REQUEST_FAILED, "AI request failed",
				"The request to the language model failed");
	}

	private static ProblemDetail problem(HttpStatus status, URI type, String title, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(type);
		problem.setTitle(title);
		return problem;
	}

	private static List<Map<String, Object>> attempts(List<ProviderAttempt> attempts) {
		return attempts.stream().map(ResilientAiProblemDetails::attempt).toList();
	}

	private static Map<String, Object> attempt(ProviderAttempt attempt) {
		Map<String, Object> entry = new LinkedHashMap<>();
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
	}

}
