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

	private static final ChatResponse[] CHUNK_RESPONSES = chunks(CHUNKS);

	private final ChatResponse[] chunks;

	InMemoryChatModel() {
		this(CHUNKS);
	}

	/**
	 * A model whose streams have the given number of chunks.
	 * @param chunks the chunks per stream
	 */
	InMemoryChatModel(int chunks) {
		this.chunks = (chunks == CHUNKS) ? CHUNK_RESPONSES : chunks(chunks);
	}

	private static ChatResponse[] chunks(int count) {
		ChatResponse[] chunks = new ChatResponse[count];
		for (int i = 0; i < count; i++) {
			ChatGenerationMetadata metadata = (i == count - 1)
					? ChatGenerationMetadata.builder().finishReason("STOP").build() : ChatGenerationMetadata.NULL;
			chunks[i] = new ChatResponse(List.of(new Generation(new AssistantMessage("token" + i + " "), metadata)));
		}
		return chunks;
	}

	private final ChatOptions options = ToolCallingChatOptions.builder().model("in-memory").build();

	@Override
	public ChatResponse call(Prompt prompt) {
		return ANSWER;
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		return Flux.fromArray(this.chunks);
	}

	@Override
	public ChatOptions getOptions() {
		return this.options;
	}

}
