package dev.resilientai.sample;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * The sample's own input errors as RFC 9457 problem details. The starter's exceptions need
 * nothing here: the starter answers them with problem details of its own.
 */
@RestControllerAdvice
class ProblemDetailsAdvice {

	@ExceptionHandler(IllegalArgumentException.class)
	ProblemDetail badInput(IllegalArgumentException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setType(URI.create("urn:resilient-ai:sample:bad-request"));
		return problem;
	}

}
