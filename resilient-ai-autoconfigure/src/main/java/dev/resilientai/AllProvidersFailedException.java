package dev.resilientai;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Every eligible provider was tried or skipped and none answered. {@link #getAttempts()}
 * lists each attempt and skip in order. The message names providers, error kinds, HTTP
 * statuses and durations only: never prompt text, never credentials, and deliberately no
 * provider error bodies (which may echo either).
 */
public class AllProvidersFailedException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final List<ProviderAttempt> attempts;

	public AllProvidersFailedException(String reason, List<ProviderAttempt> attempts) {
		super(reason + ": " + attempts.stream().map(ProviderAttempt::toString).collect(Collectors.joining("; ", "[", "]")));
		this.attempts = List.copyOf(attempts);
	}

	/**
	 * Return every attempt and skip of the request, in the order they happened.
	 * @return the attempts
	 */
	public List<ProviderAttempt> getAttempts() {
		return this.attempts;
	}

}
