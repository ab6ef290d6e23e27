package dev.resilientai.benchmarks;

import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;

/**
 * A model with no I/O: a fixed answer, and a stream of fixed chunks whose last carries a
 * finish reason. What is left to measure is the layers above it.
 */
final class InMemoryChatModel implements ChatModel {

	static final int CHUNKS = 10;

	private static final ChatResponse ANSWER = new ChatResponse(List.of(new Generation(new AssistantMessage("answer"),
			ChatGenerationMetadata.builder().finishReason("STOP").build())));

	private static final ChatResponse[] CHUNK_RESPONSES = new ChatResponse[CHUNKS];

	static {
		for (int i = 0; i < CHUNKS; i++) {
			ChatGenerationMetadata metadata = (i == CHUNKS - 1)
					? ChatGenerationMetadata.builder().finishReason("STOP").build() : ChatGenerationMetadata.NULL;
			CHUNK_RESPONSES[i] = new ChatResponse(
					List.of(new Generation(new AssistantMessage("token" + i + " "), metadata)));
		}
	}

	private final ChatOptions options = ToolCallingChatOptions.builder().model("in-memory").build();

	@Override
	public ChatResponse call(Prompt prompt) {
		return ANSWER;
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		return Flux.fromArray(CHUNK_RESPONSES);
	}

	@Override
	public ChatOptions getOptions() {
		return this.options;
	}

}
