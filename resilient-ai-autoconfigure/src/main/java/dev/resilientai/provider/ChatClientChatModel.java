package dev.resilientai.provider;

import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.util.Assert;

/**
 * A provider given as a {@link ChatClient} bean ({@code resilient-ai.providers.<name>.chat-client}):
 * each prompt goes through that client, so its own defaults (system text, options, advisors)
 * apply.
 */
public class ChatClientChatModel implements ChatModel {

	private final ChatClient chatClient;

	public ChatClientChatModel(ChatClient chatClient) {
		Assert.notNull(chatClient, "'chatClient' must not be null");
		this.chatClient = chatClient;
	}

	@Override
	public ChatResponse call(Prompt prompt) {
		ChatResponse response = this.chatClient.prompt(prompt).call().chatResponse();
		Assert.state(response != null, "The ChatClient returned no response");
		return response;
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		return this.chatClient.prompt(prompt).stream().chatResponse();
	}

}
