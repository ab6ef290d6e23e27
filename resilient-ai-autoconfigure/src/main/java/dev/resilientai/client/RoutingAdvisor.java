package dev.resilientai.client;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.failover.RoutingContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.core.Ordered;

/**
 * Reads the request's data class from the {@link ResilientChatClient#DATA_CLASS} advisor
 * param (where {@link ResilientChatClient.RequestSpec#dataClass(String)} puts it too) and
 * writes it into the prompt's {@link FailoverChatOptions}, so that it travels with the
 * {@code Prompt} to the failover model through every advisor and tool-calling round, and
 * marks the options as read: a prompt from a {@code ChatClient} without this advisor is
 * refused unless it is routed as the most sensitive class.
 * <p>
 * It runs first in the chain, so the whole request, tool calls and other advisors included,
 * runs with the class current on its thread (and in its Reactor context): requests they make
 * inherit it and may only raise it. It never reads prompt content. Prompts whose options are
 * not {@code FailoverChatOptions} (a {@code ChatClient} over another model) are left as they
 * are.
 */
public final class RoutingAdvisor implements CallAdvisor, StreamAdvisor {

	/** First: before every other advisor, the tool-calling loop and memory included. */
	public static final int ORDER = Ordered.HIGHEST_PRECEDENCE;

	/**
	 * Last before Spring AI's model-call advisors (which run at lowest precedence): the order
	 * of {@link #beforeModel()}.
	 */
	public static final int BEFORE_MODEL_ORDER = Ordered.LOWEST_PRECEDENCE - 1000;

	private final int order;

	/**
	 * Create the routing advisor that runs first.
	 */
	public RoutingAdvisor() {
		this(ORDER);
	}

	private RoutingAdvisor(int order) {
		this.order = order;
	}

	/**
	 * A second routing advisor that reads the advisor param again just before the model
	 * call, so that a class an advisor in between put in the request context is enforced
	 * too. Classes only add up, so it can raise the class the first one read, never lower it.
	 * The auto-configured {@code ChatClient.Builder} carries both; {@code ResilientChatClient}
	 * carries this one (the classes its requests name are current from their entry).
	 * @return the advisor
	 */
	public static RoutingAdvisor beforeModel() {
		return new RoutingAdvisor(BEFORE_MODEL_ORDER);
	}

	@Override
	public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
		RoutingContext routing = RoutingContext.of(dataClass(request));
		ChatClientRequest routed = routed(request, routing);
		RoutingContext previous = routing.enter();
		try {
			return chain.nextCall(routed);
		}
		finally {
			RoutingContext.restore(previous);
		}
	}

	@Override
	public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
		return Flux.defer(() -> {
			RoutingContext routing = RoutingContext.of(dataClass(request));
			return routing.within(Flux.defer(() -> chain.nextStream(routed(request, routing))));
		});
	}

	private static @Nullable String dataClass(ChatClientRequest request) {
		Object dataClass = request.context().get(ResilientChatClient.DATA_CLASS);
		if (dataClass == null) {
			return null;
		}
		if (!(dataClass instanceof String name) || name.isBlank()) {
			throw new ResilientAiException("The advisor param '" + ResilientChatClient.DATA_CLASS
					+ "' must be a non-empty String, not " + ((dataClass instanceof String) ? "a blank one"
							: "a " + dataClass.getClass().getName()));
		}
		return name;
	}

	private static ChatClientRequest routed(ChatClientRequest request, RoutingContext routing) {
		Prompt prompt = request.prompt();
		if (!(prompt.getOptions() instanceof FailoverChatOptions options)) {
			return request;
		}
		FailoverChatOptions routed = options.routed(routing.dataClasses());
		if (routed == options) {
			return request;
		}
		return new ChatClientRequest(new Prompt(prompt.getInstructions(), routed), request.context());
	}

	/**
	 * Short names, with no capitals: Spring AI's advisor observations split each advisor's
	 * name on its capitals with a regular expression twice per request (about 80 ns a
	 * character), and the name is the {@code spring.ai.advisor.name} tag of their meters.
	 */
	@Override
	public String getName() {
		return (this.order == ORDER) ? "routing-first" : "routing";
	}

	@Override
	public int getOrder() {
		return this.order;
	}

}
