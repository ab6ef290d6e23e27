package dev.resilientai.sample;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Three simulated LLM providers on one loopback port, speaking OpenAI's chat completions,
 * Anthropic's messages and Ollama's {@code /api/chat} wire formats, each with a fault switch.
 * The real Spring AI model classes talk to it over HTTP.
 */
public final class ProviderSimulator implements AutoCloseable {

	/** Providers the simulator plays. */
	public enum Kind {

		OPENAI, ANTHROPIC, OLLAMA

	}

	/** What a simulated provider does with the next request. */
	public enum Mode {

		/** Answers. */
		HEALTHY,

		/** Answers 503 (Anthropic: 529 overloaded). */
		OUTAGE

	}

	private final HttpServer server;

	private final Map<Kind, Mode> modes = new ConcurrentHashMap<>();

	private ProviderSimulator(HttpServer server) {
		this.server = server;
		for (Kind kind : Kind.values()) {
			this.modes.put(kind, Mode.HEALTHY);
		}
		server.createContext("/v1/chat/completions", (exchange) -> handle(exchange, Kind.OPENAI));
		server.createContext("/v1/messages", (exchange) -> handle(exchange, Kind.ANTHROPIC));
		server.createContext("/api/chat", (exchange) -> handle(exchange, Kind.OLLAMA));
	}

	/**
	 * Start a simulator on a free loopback port.
	 * @return the running simulator
	 * @throws IOException if no port can be bound
	 */
	public static ProviderSimulator start() throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.setExecutor(Executors.newCachedThreadPool((runnable) -> {
			Thread thread = new Thread(runnable, "provider-simulator");
			thread.setDaemon(true);
			return thread;
		}));
		ProviderSimulator simulator = new ProviderSimulator(server);
		server.start();
		return simulator;
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	public Mode mode(Kind kind) {
		return this.modes.get(kind);
	}

	public void setMode(Kind kind, Mode mode) {
		this.modes.put(kind, mode);
	}

	private void handle(HttpExchange exchange, Kind kind) throws IOException {
		try (exchange) {
			exchange.getRequestBody().readAllBytes();
			if (this.modes.get(kind) == Mode.OUTAGE) {
				respond(exchange, (kind == Kind.ANTHROPIC) ? 529 : 503, outage(kind));
				return;
			}
			respond(exchange, 200, answer(kind, "Hello from the simulated " + kind.name().toLowerCase() + " provider."));
		}
	}

	private static String answer(Kind kind, String text) {
		return switch (kind) {
			case OPENAI -> """
					{"id":"chatcmpl-sim","object":"chat.completion","created":1700000000,"model":"gpt-sim",
					 "choices":[{"index":0,"message":{"role":"assistant","content":"%s","refusal":null},
					 "logprobs":null,"finish_reason":"stop"}],
					 "usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13}}""".formatted(text);
			case ANTHROPIC -> """
					{"id":"msg_sim","type":"message","role":"assistant","model":"claude-sim",
					 "content":[{"type":"text","text":"%s"}],"stop_reason":"end_turn","stop_sequence":null,
					 "usage":{"input_tokens":5,"output_tokens":8}}""".formatted(text);
			case OLLAMA -> """
					{"model":"llama-sim","created_at":"2026-01-01T00:00:00Z",
					 "message":{"role":"assistant","content":"%s"},"done":true,"done_reason":"stop",
					 "total_duration":1000,"prompt_eval_count":5,"eval_count":8}""".formatted(text);
		};
	}

	private static String outage(Kind kind) {
		return switch (kind) {
			case OPENAI -> "{\"error\":{\"message\":\"simulated outage\",\"type\":\"server_error\",\"code\":null}}";
			case ANTHROPIC -> "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
			case OLLAMA -> "{\"error\":\"simulated outage\"}";
		};
	}

	private static void respond(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

}
