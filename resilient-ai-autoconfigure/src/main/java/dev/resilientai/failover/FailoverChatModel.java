package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import reactor.core.publisher.Flux;
import reactor.util.context.ContextView;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.internal.ToolCallReactiveContextHolder;
import org.springframework.ai.tool.ToolCallback;

/**
 * A {@link ChatModel} that sends each prompt through the failover loop. Its default options
 * are {@link FailoverChatOptions} that name no model, so each provider answers with its own
 * model and defaults, and provider-specific options given on a request reach only providers
 * of that kind. They hold the default tools of every provider's model (tools are told apart
 * by name: one of a name is kept, and two of one name whose definitions differ are a startup
 * error), so a {@code ChatClient}'s tool loop runs a tool whichever provider asked for it.
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

	private static final String ROUTING_ADVISOR = "dev.resilientai.client.RoutingAdvisor";

	/** Frames of a Spring AI ChatClient's own request: where its advisor chain starts. */
	private static final String CHAT_CLIENT = "org.springframework.ai.chat.client.DefaultChatClient";

	/** Frames of the failover loop of an outer request: the boundary of a nested request. */
	private static final List<String> FAILOVER_LOOP = List.of(CallPath.class.getName(), StreamPath.class.getName(),
			FailoverExecutor.class.getName());

	private static final StackWalker STACK_WALKER = StackWalker.getInstance();

	private final FailoverExecutor executor;

	private final FailoverChatOptions options;

	/**
	 * Create a failover model over the executor's providers.
	 * @param executor the failover loop
	 * @throws IllegalStateException if two providers' models declare different default
	 * tools of the same name, or different values for one tool-context key
	 */
	public FailoverChatModel(FailoverExecutor executor) {
		this(executor, false);
	}

	private final boolean routed;

	/** The routed view's default options per class set current, built once each. */
	private final Map<Set<String>, FailoverChatOptions> routedOptions = new ConcurrentHashMap<>();

	private FailoverChatModel(FailoverExecutor executor, boolean routed) {
		this.executor = executor;
		this.routed = routed;
		this.options = defaultOptions(executor.getProviders()).routed(routed).build();
	}

	/**
	 * The failover model's defaults: no model name, and every provider's default tools and
	 * tool context, so that a {@code ChatClient}'s tool loop finds a tool whichever provider
	 * asks for it, and every provider is offered the same tools.
	 */
	private static FailoverChatOptions.Builder defaultOptions(List<Provider> providers) {
		Map<String, ToolCallback> tools = new LinkedHashMap<>();
		Map<String, String> toolOwners = new HashMap<>();
		Map<String, Object> toolContext = new LinkedHashMap<>();
		Map<String, String> contextOwners = new HashMap<>();
		for (Provider provider : providers) {
			if (!(provider.getModel().getOptions() instanceof ToolCallingChatOptions defaults)) {
				continue;
			}
			if (defaults.getToolCallbacks() != null) {
				for (ToolCallback tool : defaults.getToolCallbacks()) {
					String name = tool.getToolDefinition().name();
					ToolCallback known = tools.putIfAbsent(name, tool);
					if (known != null && !known.equals(tool)
							&& !(known.getToolDefinition().equals(tool.getToolDefinition())
									&& known.getToolMetadata().equals(tool.getToolMetadata())
									&& known.getClass() == tool.getClass())) {
						throw new IllegalStateException("Providers '" + toolOwners.get(name) + "' and '"
								+ provider.getName() + "' declare different default tools named '" + name
								+ "' (their descriptions, input schemas or metadata differ): give them different names, "
								+ "or declare the tool once on the ChatClient (defaultTools) instead of on the models");
					}
					toolOwners.putIfAbsent(name, provider.getName());
				}
			}
			if (defaults.getToolContext() != null) {
				for (Map.Entry<String, Object> entry : defaults.getToolContext().entrySet()) {
					Object known = toolContext.putIfAbsent(entry.getKey(), entry.getValue());
					if (known != null && !known.equals(entry.getValue())) {
						throw new IllegalStateException("Providers '" + contextOwners.get(entry.getKey()) + "' and '"
								+ provider.getName() + "' declare different default tool-context values for '"
								+ entry.getKey() + "'");
					}
					contextOwners.putIfAbsent(entry.getKey(), provider.getName());
				}
			}
		}
		FailoverChatOptions.Builder builder = FailoverChatOptions.builder();
		Set<ToolCallback> shared = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
		for (Provider provider : providers) {
			if (provider.getModel().getOptions() instanceof ToolCallingChatOptions defaults
					&& defaults.getToolCallbacks() != null) {
				shared.addAll(defaults.getToolCallbacks());
			}
		}
		Set<ToolCallback> sharedView = java.util.Collections.unmodifiableSet(shared);
		providers.forEach((provider) -> provider.setSharedDefaultTools(sharedView));
		if (!tools.isEmpty()) {
			builder.toolCallbacks(new ArrayList<>(tools.values()));
		}
		if (!toolContext.isEmpty()) {
			builder.toolContext(toolContext);
		}
		return builder;
	}

	/**
	 * Return a view of this model for a {@code ChatClient} that always carries resilient-ai's
	 * routing advisor and makes a request's classes current while it builds the request (as
	 * {@code ResilientChatClient} does): its default options are already marked as routed and
	 * carry the classes current when the {@code ChatClient} reads them, so the class is in the
	 * prompt from the start and the advisor rewrites a prompt only for a class named later.
	 * @return the view
	 */
	public FailoverChatModel routedView() {
		return new FailoverChatModel(this.executor, true);
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
			if (!failover.getDataClasses().isEmpty()) {
				context = context.with(RoutingContext.of(failover.getDataClasses()));
			}
			if (failover.isRouted()) {
				return context;
			}
		}
		if (this.executor.getPolicy().isEnforced() && caller() == Caller.UNROUTED_CHAT_CLIENT) {
			return context.with(new RoutingContext(Set.of(), true));
		}
		return context;
	}

	/**
	 * Who called this model, read from the stack down to the nearest boundary: a Spring AI
	 * {@code ChatClient}'s model-call advisor, with or without resilient-ai's routing advisor
	 * above it in the same request, or anything else (a direct call, a model or tool calling
	 * back from inside another request's attempt). Decorators, subclasses and aspects between
	 * the advisor and this model do not hide the advisor.
	 */
	private static Caller caller() {
		return STACK_WALKER.walk((frames) -> {
			boolean chatClient = false;
			for (StackWalker.StackFrame frame : (Iterable<StackWalker.StackFrame>) frames.skip(2)::iterator) {
				String name = frame.getClassName();
				if (!chatClient) {
					if (CHAT_CLIENT_MODEL_ADVISORS.contains(name)) {
						chatClient = true;
					}
					else if (isFailoverLoop(name)) {
						// inside another request's attempt: a call back, not a ChatClient's own call
						return Caller.OTHER;
					}
				}
				else if (name.equals(ROUTING_ADVISOR)) {
					return Caller.ROUTED_CHAT_CLIENT;
				}
				else if (isFailoverLoop(name) || name.startsWith(CHAT_CLIENT)) {
					// the entry of this request's ChatClient, or an outer request: no routing
					// advisor of this request's own was found
					return Caller.UNROUTED_CHAT_CLIENT;
				}
			}
			return chatClient ? Caller.UNROUTED_CHAT_CLIENT : Caller.OTHER;
		});
	}

	private static boolean isFailoverLoop(String className) {
		for (String loop : FAILOVER_LOOP) {
			if (className.startsWith(loop)) {
				return true;
			}
		}
		return false;
	}

	private enum Caller {

		ROUTED_CHAT_CLIENT, UNROUTED_CHAT_CLIENT, OTHER

	}

	@Override
	public ChatOptions getOptions() {
		if (!this.routed) {
			return this.options;
		}
		Set<String> current = RoutingContext.current().dataClasses();
		if (current.isEmpty()) {
			return this.options;
		}
		FailoverChatOptions options = this.routedOptions.get(current);
		if (options == null) {
			FailoverChatOptions.Builder builder = this.options.mutate();
			current.forEach(builder::dataClass);
			options = builder.build();
			if (this.routedOptions.size() < 64) {
				this.routedOptions.putIfAbsent(current, options);
			}
		}
		return options;
	}

}
