package dev.resilientai.sample;

import java.util.Map;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.web.ResilientAiProblemDetails;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The sample's chat API, served through {@link ResilientChatClient}.
 */
@RestController
@RequestMapping("/api/chat")
class ChatController {

	private final ResilientChatClient chatClient;

	ChatController(ResilientChatClient chatClient) {
		this.chatClient = chatClient;
	}

	@PostMapping
	ChatAnswer chat(@RequestBody ChatRequest request) {
		ChatResponse response = spec(request).call().chatResponse();
		Assert.state(response != null && response.getResult() != null, "no response");
		return new ChatAnswer(response.getResult().getOutput().getText(),
				response.getMetadata().get(ResilientChatClient.PROVIDER),
				response.getMetadata().get(ResilientChatClient.ATTEMPTS));
	}

	/**
	 * The streaming variant: one {@code chunk} event per chunk, then {@code done}; a failure
	 * ends the stream with an {@code error} event holding a problem detail.
	 */
	@PostMapping(path = "/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	Flux<ServerSentEvent<Object>> stream(@RequestBody ChatRequest request) {
		ResilientChatClient.RequestSpec spec = spec(request);
		return spec.stream()
			.chatResponse()
			.map((chunk) -> ServerSentEvent.<Object>builder(new ChatAnswer(
					(chunk.getResult() != null) ? chunk.getResult().getOutput().getText() : "",
					chunk.getMetadata().get(ResilientChatClient.PROVIDER),
					chunk.getMetadata().get(ResilientChatClient.ATTEMPTS)))
				.event("chunk")
				.build())
			.concatWith(Flux.just(ServerSentEvent.<Object>builder(Map.of()).event("done").build()))
			.onErrorResume(ResilientAiException.class,
					(ex) -> Flux.just(ServerSentEvent.<Object>builder(ResilientAiProblemDetails.forException(ex, true))
						.event("error")
						.build()));
	}

	private ResilientChatClient.RequestSpec spec(ChatRequest request) {
		if (!StringUtils.hasText(request.message())) {
			throw new IllegalArgumentException("'message' must not be empty");
		}
		ResilientChatClient.RequestSpec spec = this.chatClient.prompt().user(request.message());
		if (StringUtils.hasText(request.dataClass())) {
			spec.dataClass(request.dataClass());
		}
		return spec;
	}

	record ChatRequest(@Nullable String message, @Nullable String dataClass) {
	}

	record ChatAnswer(@Nullable String content, @Nullable String provider, @Nullable Integer attempts) {
	}

}
