package dev.resilientai.web;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.ErrorKind;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.StreamInterruptedException;
import dev.resilientai.UnknownDataClassException;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the problem-details tests share: two in-memory providers that fail with messages
 * carrying the prompt and an API key, the properties that declare them, and one instance of
 * each of the starter's exceptions.
 */
final class ProblemDetailsFixtures {

	/** Prompt text that must never reach an HTTP caller. */
	static final String PROMPT = "Summarize the record of patient Jane Roe";

	/** An API key that must never reach an HTTP caller. */
	static final String API_KEY = "sk-live-ProblemDetailsSecret";

	static final String[] PROPERTIES = { "resilient-ai.data-classes=public,phi",
			"resilient-ai.default-data-class=public", "resilient-ai.providers.first.chat-model=firstChatModel",
			"resilient-ai.providers.first.priority=1", "resilient-ai.providers.first.allowed-data-classes=public",
			"resilient-ai.providers.second.chat-model=secondChatModel", "resilient-ai.providers.second.priority=2",
			"resilient-ai.providers.second.allowed-data-classes=public,phi",
			// these tests check what the bodies say of the providers (FirstHourHygieneTests checks the default)
			"resilient-ai.web.problem-details.include-provider-details=true" };

	private ProblemDetailsFixtures() {
	}

	/**
	 * Return one of the starter's exceptions by a short name, as a controller would see it.
	 * @param kind the short name
	 * @return the exception
	 */
	static ResilientAiException exception(String kind) {
		return switch (kind) {
			case "unknown" -> new UnknownDataClassException("secret", List.of("public", "phi"));
			case "not-enforceable" -> new DataClassNotEnforceableException("public");
			case "rejected" -> new ProviderRequestRejectedException("first", 400,
					new IllegalStateException("400 Bad Request: {\"error\":\"" + PROMPT + "\",\"key\":\"" + API_KEY
							+ "\"}"));
			case "no-eligible" -> new NoEligibleProviderException("phi", "every provider allowed for it is disabled");
			case "all-failed" -> new AllProvidersFailedException("No provider allowed for data class 'public' answered",
					List.of(ProviderAttempt.failure("first", ErrorKind.SERVER_ERROR, 500, Duration.ofMillis(12))));
			case "stream" -> new StreamInterruptedException("first", 3, ErrorKind.CONNECTION);
			case "interrupted" -> new RequestInterruptedException("The request was interrupted before its next attempt");
			default -> new ResilientAiException("Provider 'first' returned no generations");
		};
	}

	/**
	 * Send the prompt through the failover chat client.
	 * @param chatClient the client
	 * @param dataClass the request's class, or {@code null} for the default
	 * @return the answer
	 */
	static String chat(ResilientChatClient chatClient, String dataClass) {
		ResilientChatClient.RequestSpec spec = chatClient.prompt().user(PROMPT);
		if (dataClass != null) {
			spec.dataClass(dataClass);
		}
		return spec.call().content();
	}

	/**
	 * Keep every provider resting after a {@code Retry-After} for the given time.
	 * @param executor the executor
	 * @param first the rest of provider {@code first}
	 * @param second the rest of provider {@code second}
	 */
	static void rest(FailoverExecutor executor, Duration first, Duration second) {
		for (Provider provider : executor.getProviders()) {
			provider.rateLimitUntil(Instant.now().plus(provider.getName().equals("first") ? first : second));
		}
	}

	/**
	 * Two providers whose models fail with an error message that echoes the prompt and an API
	 * key, as some provider error bodies do.
	 */
	@Configuration(proxyBeanMethods = false)
	static class LeakyFailingModels {

		@Bean
		ChatModel firstChatModel() {
			return failing();
		}

		@Bean
		ChatModel secondChatModel() {
			return failing();
		}

		private static ChatModel failing() {
			return new ChatModel() {

				@Override
				public ChatResponse call(Prompt prompt) {
					throw new IllegalStateException(
							"upstream error for '" + prompt.getContents() + "' with key " + API_KEY);
				}

			};
		}

	}

}
