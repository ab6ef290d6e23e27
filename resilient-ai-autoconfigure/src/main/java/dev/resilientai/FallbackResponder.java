package dev.resilientai;

import org.springframework.ai.chat.prompt.Prompt;

/**
 * The last resort: answers a request that every eligible provider failed. Its answer is
 * marked as provider {@code fallback} in the response metadata, audited and counted. It is
 * never asked for a request the caller got wrong ({@link ProviderRequestRejectedException}) or
 * that compliance refused ({@link UnknownDataClassException},
 * {@link NoEligibleProviderException}).
 */
@FunctionalInterface
public interface FallbackResponder {

	/** The provider name that marks a fallback answer in {@link ResilientChatClient#PROVIDER}. */
	String PROVIDER_NAME = "fallback";

	/**
	 * Answer a request no provider could.
	 * @param prompt the prompt
	 * @param failure every attempt and skip of the request
	 * @return the answer's text
	 */
	String respond(Prompt prompt, AllProvidersFailedException failure);

}
