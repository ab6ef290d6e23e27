package dev.resilientai.failover;

import java.util.Set;

import reactor.core.publisher.Flux;
import reactor.util.context.ContextView;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.internal.ToolCallReactiveContextHolder;

/**
 * A {@link ChatModel} that sends each prompt through the failover loop. Its default options
 * are {@link FailoverChatOptions} that name no model, so each provider answers with its own
 * model and defaults, and provider-specific options given on a request reach only providers
 * of that kind.
 * <p>
 * Every way in reaches the same enforcement. The request's data class is read from the
 * prompt's {@link FailoverChatOptions} (where {@code ResilientChatClient} and resilient-ai's
 * routing advisor put it), combined with the class of any request this one runs inside (a
 * tool callback, an advisor, a model that calls back), which it can raise but never lower.
 * A prompt that comes straight from a Spring AI {@code ChatClient} that has no routing
 * advisor may carry a class in an advisor param that nothing can read: the failover loop then
 * refuses it unless it is routed as the most sensitive class anyway.
 */
public class FailoverChatModel implements ChatModel {

	private static final Set<String> CHAT_CLIENT_MODEL_ADVISORS = Set.of(
			"org.springframework.ai.chat.client.advisor.ChatModelCallAdvisor",
			"org.springframework.ai.chat.client.advisor.ChatModelStreamAdvisor");

	private static final StackWalker STACK_WALKER = StackWalker.getInstance();

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
		return this.executor.call(prompt, routingContext(prompt, ToolCallReactiveContextHolder.getContext()));
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		// read on the calling thread: its current context and its caller
		RoutingContext assembly = routingContext(prompt, ToolCallReactiveContextHolder.getContext());
		return Flux.deferContextual(
				(context) -> this.executor.stream(prompt, assembly.with(RoutingContext.from(context))));
	}

	/**
	 * Everything known about the prompt's class: its options, the context current on this
	 * thread (an outer request), the Reactor context of a streamed tool call this request
	 * runs in, and whether it came from a {@code ChatClient} whose advisor params were never
	 * read.
	 */
	private RoutingContext routingContext(Prompt prompt, ContextView toolCallContext) {
		RoutingContext context = RoutingContext.current().with(RoutingContext.from(toolCallContext));
		if (prompt.getOptions() instanceof FailoverChatOptions failover) {
			context = context.with(new RoutingContext(failover.getDataClasses(), false));
			if (failover.isRouted()) {
				return context;
			}
		}
		if (this.executor.getPolicy().isEnforced() && calledByChatClient()) {
			return context.with(new RoutingContext(Set.of(), true));
		}
		return context;
	}

	/**
	 * Whether the nearest caller outside this model (and any proxy around it) is the advisor
	 * with which a Spring AI {@code ChatClient} calls its model.
	 */
	private static boolean calledByChatClient() {
		return STACK_WALKER.walk((frames) -> frames.skip(1)
			.limit(16)
			.map(StackWalker.StackFrame::getClassName)
			.filter((name) -> !isModelOrProxy(name))
			.findFirst()
			.map(CHAT_CLIENT_MODEL_ADVISORS::contains)
			.orElse(false));
	}

	private static boolean isModelOrProxy(String className) {
		return className.startsWith(FailoverChatModel.class.getName()) || className.contains("$$")
				|| className.startsWith("jdk.proxy") || className.startsWith("java.lang.reflect.")
				|| className.startsWith("jdk.internal.reflect.") || className.startsWith("org.springframework.aop.");
	}

	@Override
	public ChatOptions getOptions() {
		return this.options;
	}

}
