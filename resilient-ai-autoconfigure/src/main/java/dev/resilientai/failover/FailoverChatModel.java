package dev.resilientai.failover;

import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * A {@link ChatModel} that sends each prompt through the failover loop. Its default options
 * are {@link FailoverChatOptions} that name no model, so each provider answers with its own
 * model and defaults, and provider-specific options given on a request reach only providers
 * of that kind.
 */
public class FailoverChatModel implements ChatModel {

	private final FailoverExecutor executor;

	private final ChatOptions options = FailoverChatOptions.builder().build();

	public FailoverChatModel(FailoverExecutor executor) {
		this.executor = executor;
	}

	public FailoverExecutor getExecutor() {
		return this.executor;
	}

	@Override
	public ChatResponse call(Prompt prompt) {
		return this.executor.call(prompt, RoutingContext.current());
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		return Flux.deferContextual((context) -> this.executor.stream(prompt,
				context.getOrDefault(RoutingContext.class, RoutingContext.current())));
	}

	@Override
	public ChatOptions getOptions() {
		return this.options;
	}

}
