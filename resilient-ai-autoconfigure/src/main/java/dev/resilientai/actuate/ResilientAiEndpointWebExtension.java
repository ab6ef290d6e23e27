package dev.resilientai.actuate;

import dev.resilientai.actuate.ResilientAiEndpoint.ProviderState;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The web side of {@link ResilientAiEndpoint}'s write operation: a missing or unknown
 * {@code action} is a 400 and an unknown provider a 404, each with a body whose
 * {@code message} says what was wrong, whatever {@code server.error.include-message} says.
 * (An {@code action} that is a JSON object or array never gets here: the actuator reads the
 * body as a map of strings and Spring MVC answers a 400 itself.)
 */
@EndpointWebExtension(endpoint = ResilientAiEndpoint.class)
public class ResilientAiEndpointWebExtension {

	private final ResilientAiEndpoint endpoint;

	public ResilientAiEndpointWebExtension(ResilientAiEndpoint endpoint) {
		this.endpoint = endpoint;
	}

	/**
	 * Act on one provider.
	 * @param name the provider
	 * @param action the action, one of {@link ResilientAiEndpoint#ACTIONS}
	 * @param fault a drill's fault
	 * @param ratio a drill's share of attempts
	 * @param duration a drill's duration
	 * @param latency a latency drill's delay
	 * @param securityContext who calls
	 * @return the provider's state after the action, or the error
	 */
	@WriteOperation
	public WebEndpointResponse<Object> update(@Selector String name, @Nullable String action, @Nullable String fault,
			@Nullable String ratio, @Nullable String duration, @Nullable String latency,
			@Nullable SecurityContext securityContext) {
		ProviderState state;
		try {
			state = this.endpoint.update(name, action, fault, ratio, duration, latency, securityContext);
		}
		catch (InvalidEndpointRequestException ex) {
			return error(WebEndpointResponse.STATUS_BAD_REQUEST, "Bad Request", ex.getReason());
		}
		catch (ResilientAiEndpoint.DrillsDisabledException ex) {
			return error(403, "Forbidden", ex.getMessage());
		}
		if (state == null) {
			return error(WebEndpointResponse.STATUS_NOT_FOUND, "Not Found", "No provider named '" + name
					+ "'; the providers are " + String.join(", ", this.endpoint.providerNames()) + ".");
		}
		return new WebEndpointResponse<>(state);
	}

	private static WebEndpointResponse<Object> error(int status, String error, String message) {
		return new WebEndpointResponse<>(new ErrorBody(status, error, message), status);
	}

	/**
	 * The body of an error, in the shape of Spring Boot's own error responses.
	 *
	 * @param status the HTTP status
	 * @param error its reason phrase
	 * @param message what was wrong with the request
	 */
	public record ErrorBody(int status, String error, String message) {
	}

}
