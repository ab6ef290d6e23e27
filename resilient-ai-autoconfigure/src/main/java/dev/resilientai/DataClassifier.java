package dev.resilientai;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.Prompt;

/**
 * Raises a request's data class from its content, never lowers it. Declare a bean of this
 * type and every request (each model call, tool-calling rounds included) passes through it
 * before a provider is chosen. A returned class less sensitive than the request's current one
 * is ignored; an unknown one fails the request with {@link UnknownDataClassException}.
 */
@FunctionalInterface
public interface DataClassifier {

	/**
	 * Inspect a prompt and say which data class it needs at least.
	 * @param prompt the prompt about to be sent
	 * @param currentClass the request's class so far (named by the caller or the default)
	 * @return the class the prompt needs, or {@code null} to leave it as is
	 */
	@Nullable String classify(Prompt prompt, String currentClass);

}
