package dev.resilientai.sample;

import dev.resilientai.ResilientChatClient;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The sample's HTTP API: a chat endpoint served through {@link ResilientChatClient}, and the
 * simulator's fault switches.
 */
@RestController
@RequestMapping("/api")
class ChatController {

	private final ResilientChatClient chatClient;

	private final ObjectProvider<ProviderSimulator> simulator;

	ChatController(ResilientChatClient chatClient, ObjectProvider<ProviderSimulator> simulator) {
		this.chatClient = chatClient;
		this.simulator = simulator;
	}

	@PostMapping("/chat")
	ChatAnswer chat(@RequestBody ChatRequest request) {
		if (!StringUtils.hasText(request.message())) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "'message' must not be empty");
		}
		ResilientChatClient.RequestSpec spec = this.chatClient.prompt().user(request.message());
		if (StringUtils.hasText(request.dataClass())) {
			spec.dataClass(request.dataClass());
		}
		ChatResponse response = spec.call().chatResponse();
		Assert.state(response != null && response.getResult() != null, "no response");
		return new ChatAnswer(response.getResult().getOutput().getText(),
				response.getMetadata().get(ResilientChatClient.PROVIDER),
				response.getMetadata().get(ResilientChatClient.ATTEMPTS));
	}

	@PostMapping("/simulator/{provider}/{mode}")
	SimulatorState simulate(@PathVariable String provider, @PathVariable String mode) {
		ProviderSimulator simulator = this.simulator.getIfAvailable();
		if (simulator == null) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND, "The simulator is not running");
		}
		ProviderSimulator.Kind kind = parse(ProviderSimulator.Kind.class, provider);
		simulator.setMode(kind, parse(ProviderSimulator.Mode.class, mode));
		return new SimulatorState(provider, simulator.mode(kind).name().toLowerCase());
	}

	private static <E extends Enum<E>> E parse(Class<E> type, String value) {
		try {
			return Enum.valueOf(type, value.toUpperCase());
		}
		catch (IllegalArgumentException ex) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Unknown " + type.getSimpleName() + " '" + value
					+ "'; one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase());
		}
	}

	record ChatRequest(@Nullable String message, @Nullable String dataClass) {
	}

	record ChatAnswer(@Nullable String content, @Nullable String provider, @Nullable Integer attempts) {
	}

	record SimulatorState(String provider, String mode) {
	}

}
