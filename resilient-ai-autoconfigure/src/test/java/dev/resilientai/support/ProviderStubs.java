package dev.resilientai.support;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

/**
 * WireMock stubs that answer in each provider's real wire format: OpenAI chat completions,
 * Anthropic messages and Ollama's {@code /api/chat}.
 */
public final class ProviderStubs {

	public static final String OPENAI_PATH = "/v1/chat/completions";

	public static final String ANTHROPIC_PATH = "/v1/messages";

	public static final String OLLAMA_PATH = "/api/chat";

	private ProviderStubs() {
	}

	public static WireMockExtension server() {
		return WireMockExtension.newInstance()
			.options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig()
				.dynamicPort()
				.containerThreads(20))
			.build();
	}

	/**
	 * The stub's URL on 127.0.0.1: one address, since OkHttp transparently retries a failed
	 * connection on a host's next address and {@code localhost} has two.
	 */
	public static String loopbackUrl(WireMockExtension server) {
		return "http://127.0.0.1:" + server.getPort();
	}

	public static String openAiCompletion(String content, String finishReason) {
		return """
				{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
				 "choices":[{"index":0,"message":{"role":"assistant","content":%s,"refusal":null},
				 "logprobs":null,"finish_reason":"%s"}],
				 "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}
				""".formatted(json(content), finishReason);
	}

	public static String anthropicMessage(String content, String stopReason) {
		return """
				{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5",
				 "content":[{"type":"text","text":%s}],"stop_reason":"%s","stop_sequence":null,
				 "usage":{"input_tokens":5,"output_tokens":3}}
				""".formatted(json(content), stopReason);
	}

	public static String ollamaChat(String content) {
		return """
				{"model":"llama3.2","created_at":"2025-01-01T00:00:00Z",
				 "message":{"role":"assistant","content":%s},"done":true,"done_reason":"stop",
				 "total_duration":1000,"load_duration":10,"prompt_eval_count":5,"prompt_eval_duration":10,
				 "eval_count":3,"eval_duration":10}
				""".formatted(json(content));
	}

	public static String openAiError(String type, String code, String message) {
		return """
				{"error":{"message":%s,"type":"%s","param":null,"code":%s}}
				""".formatted(json(message), type, (code != null) ? json(code) : "null");
	}

	public static String anthropicError(String type, String message) {
		return """
				{"type":"error","error":{"type":"%s","message":%s}}
				""".formatted(type, json(message));
	}

	public static String ollamaError(String message) {
		return "{\"error\":" + json(message) + "}";
	}

	public static ResponseDefinitionBuilder jsonResponse(int status, String body) {
		return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
	}

	public static MappingBuilder openAi() {
		return post(urlPathEqualTo(OPENAI_PATH));
	}

	public static MappingBuilder anthropic() {
		return post(urlPathEqualTo(ANTHROPIC_PATH));
	}

	public static MappingBuilder ollama() {
		return post(urlPathEqualTo(OLLAMA_PATH));
	}

	public static int openAiRequests(WireMockExtension server) {
		return server.countRequestsMatching(postRequestedFor(urlPathEqualTo(OPENAI_PATH)).build()).getCount();
	}

	public static int anthropicRequests(WireMockExtension server) {
		return server.countRequestsMatching(postRequestedFor(urlPathEqualTo(ANTHROPIC_PATH)).build()).getCount();
	}

	public static int ollamaRequests(WireMockExtension server) {
		return server.countRequestsMatching(postRequestedFor(urlPathEqualTo(OLLAMA_PATH)).build()).getCount();
	}

	public static String openAiSse(String... parts) {
		StringBuilder body = new StringBuilder();
		String prefix = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
				+ "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,";
		for (int i = 0; i < parts.length; i++) {
			String role = (i == 0) ? "\"role\":\"assistant\"," : "";
			body.append("data: ")
				.append(prefix)
				.append("\"delta\":{")
				.append(role)
				.append("\"content\":")
				.append(json(parts[i]))
				.append("},\"finish_reason\":null}]}\n\n");
		}
		body.append("data: ").append(prefix).append("\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
		body.append("data: [DONE]\n\n");
		return body.toString();
	}

	public static String anthropicSse(String... parts) {
		StringBuilder body = new StringBuilder();
		body.append(sseEvent("message_start",
				"{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
						+ "\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
						+ "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}"));
		body.append(sseEvent("content_block_start",
				"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
		for (String part : parts) {
			body.append(sseEvent("content_block_delta",
					"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
							+ json(part) + "}}"));
		}
		body.append(sseEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
		body.append(sseEvent("message_delta",
				"{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
						+ "\"usage\":{\"output_tokens\":3}}"));
		body.append(sseEvent("message_stop", "{\"type\":\"message_stop\"}"));
		return body.toString();
	}

	public static String ollamaNdjson(String... parts) {
		StringBuilder body = new StringBuilder();
		for (String part : parts) {
			body.append("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":")
				.append(json(part))
				.append("},\"done\":false}\n");
		}
		body.append("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
				+ "\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1000,\"prompt_eval_count\":5,\"eval_count\":3}\n");
		return body.toString();
	}

	public static ResponseDefinitionBuilder sseResponse(String body) {
		return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body);
	}

	public static ResponseDefinitionBuilder ndjsonResponse(String body) {
		return aResponse().withStatus(200).withHeader("Content-Type", "application/x-ndjson").withBody(body);
	}

	private static String sseEvent(String name, String data) {
		return "event: " + name + "\ndata: " + data + "\n\n";
	}

	static String json(String value) {
		StringBuilder out = new StringBuilder("\"");
		for (char c : value.toCharArray()) {
			switch (c) {
				case '"' -> out.append("\\\"");
				case '\\' -> out.append("\\\\");
				case '\n' -> out.append("\\n");
				default -> out.append(c);
			}
		}
		return out.append('"').toString();
	}

	/**
	 * Call and stream each model once, outside the failover loop, so that class loading and
	 * client start-up do not count against a test's short attempt timeouts. The answers do
	 * not matter.
	 * @param models the models
	 */
	public static void warmUp(Iterable<? extends org.springframework.ai.chat.model.ChatModel> models) {
		for (org.springframework.ai.chat.model.ChatModel model : models) {
			try {
				model.call(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions()));
			}
			catch (RuntimeException ex) {
				// the stub's answer does not matter
			}
			try {
				model.stream(new org.springframework.ai.chat.prompt.Prompt("warm-up", model.getOptions()))
					.blockLast(java.time.Duration.ofSeconds(10));
			}
			catch (RuntimeException ex) {
				// nor does the stream's: this starts the streaming clients
			}
		}
	}

}
