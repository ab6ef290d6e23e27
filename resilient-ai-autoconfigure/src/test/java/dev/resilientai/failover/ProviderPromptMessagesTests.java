package dev.resilientai.failover;

import java.time.Duration;
import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.converter.BeanOutputConverter;
import org.springframework.ai.model.tool.ToolCallingChatOptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A provider's prompt carries the request's messages as they are (no copy of each message per
 * attempt): in the same order, with its own options; format instructions go into a new user
 * message of a new list, so the request's prompt, which the next attempt adapts again, is left
 * as it was.
 */
class ProviderPromptMessagesTests {

	@Test
	void aProvidersPromptCarriesTheRequestsMessagesWithItsOwnOptions() {
		Provider provider = provider(ToolCallingChatOptions.builder().model("own").temperature(0.1).build());
		List<Message> messages = List.of(new SystemMessage("Be brief."), new UserMessage("Hello"));
		Prompt request = new Prompt(messages, FailoverChatOptions.builder().model("requested").temperature(0.7).build());

		Prompt adapted = provider.promptFor(request);

		assertThat(adapted.getInstructions()).containsExactlyElementsOf(messages);
		assertThat(adapted.getOptions().getModel()).isEqualTo("own");
		assertThat(adapted.getOptions().getTemperature()).isEqualTo(0.7);
		assertThat(request.getInstructions()).containsExactlyElementsOf(messages);
		assertThat(request.getOptions().getModel()).isEqualTo("requested");
	}

	@Test
	void formatInstructionsLeaveTheRequestsMessagesAsTheyWere() {
		Provider provider = provider(ToolCallingChatOptions.builder().model("own").build());
		provider.setNativeStructuredOutput(false);
		String schema = new BeanOutputConverter<>(Forecast.class).getJsonSchema();
		UserMessage user = new UserMessage("Weather?");
		Prompt request = new Prompt(List.of(new SystemMessage("Be brief."), user),
				FailoverChatOptions.builder().outputSchema(schema).build());

		Prompt first = provider.promptFor(request);
		Prompt second = provider.promptFor(request);

		assertThat(first.getUserMessage().getText()).startsWith("Weather?").contains(schema);
		assertThat(second.getUserMessage().getText()).isEqualTo(first.getUserMessage().getText());
		assertThat(request.getInstructions()).containsExactly(request.getInstructions().get(0), user);
		assertThat(user.getText()).isEqualTo("Weather?");
	}

	private static Provider provider(ChatOptions options) {
		ChatModel model = new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public ChatOptions getOptions() {
				return options;
			}

		};
		return new Provider("p", 0, Duration.ofSeconds(1), true, model, CircuitBreaker.ofDefaults("prompt-messages"));
	}

	record Forecast(String city, int celsius) {
	}

}
