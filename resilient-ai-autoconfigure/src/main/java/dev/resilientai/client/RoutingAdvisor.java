package dev.resilientai.client;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.failover.RoutingContext;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.core.Ordered;

/**
 * Carries the request's data class from the advisor context (where
 * {@link ResilientChatClient.RequestSpec#dataClass(String)} and
 * {@code advisors(a -> a.param(ResilientChatClient.DATA_CLASS, ...))} put it) to the failover
 * model. It runs last before the model call, so every advisor before it, the tool-calling
 * loop included, has had its say, and no prompt content is ever read.
 */
public final class RoutingAdvisor implements CallAdvisor, StreamAdvisor {

	/** Just before Spring AI's model-call advisors, which run at lowest precedence. */
	public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 1000;

	@Override
	public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
		return routingContext(request).apply(() -> chain.nextCall(request));
	}

	@Override
	public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
		return Flux.defer(() -> {
			RoutingContext routing = routingContext(request);
			return chain.nextStream(request).contextWrite((context) -> context.put(RoutingContext.class, routing));
		});
	}

	private static RoutingContext routingContext(ChatClientRequest request) {
		Object dataClass = request.context().get(ResilientChatClient.DATA_CLASS);
		if (dataClass == null) {
			return RoutingContext.DEFAULT;
		}
		if (!(dataClass instanceof String name)) {
			throw new ResilientAiException(
					"The advisor param '" + ResilientChatClient.DATA_CLASS + "' must be a String, not a "
							+ dataClass.getClass().getName());
		}
		return new RoutingContext(name);
	}

	@Override
	public String getName() {
		return "ResilientAiRoutingAdvisor";
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

}
