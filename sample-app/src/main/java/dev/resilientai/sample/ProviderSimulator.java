package dev.resilientai.sample;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Three simulated LLM providers on loopback, speaking OpenAI's chat completions, Anthropic's
 * messages and Ollama's {@code /api/chat} wire formats, calls and streams, each with a fault
 * switch. The real Spring AI model classes talk to it over HTTP, so what the sample shows is
 * what production would do. Answers are short, deterministic, and name the provider.
 */
public final class ProviderSimulator implements AutoCloseable {

	/** Providers the simulator plays. */
	public enum Kind {

		OPENAI, ANTHROPIC, OLLAMA;

		String label() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

	/** What a simulated provider does with the next request. */
	public enum Mode {

		/** Answers at once. */
		HEALTHY,

		/** Answers 503 (Anthropic: 529 overloaded). */
		OUTAGE,

		/** Answers after {@value ProviderSimulator#SLOW_MILLIS} ms. */
		SLOW,

		/**
		 * Sends nothing until the client gives up, then (after {@value ProviderSimulator#HANG_SECONDS} s)
		 * answers 504.
		 */
		HANG,

		/** Answers 429 with {@code Retry-After: 5}. */
		RATE_LIMITED,

		/** Alternates {@value ProviderSimulator#FLAP_SECONDS} s of outage and of health. */
		FLAPPING

	}

	static final long SLOW_MILLIS = 1500;

	static final long HANG_SECONDS = 30;

	static final long FLAP_SECONDS = 5;

	private final HttpServer server;

	private final Map<Kind, Mode> modes = new ConcurrentHashMap<>();

	private final Map<Kind, AtomicLong> requests = new ConcurrentHashMap<>();

	private final Duration hang;

	private ProviderSimulator(HttpServer server, Duration hang) {
		this.server = server;
		this.hang = hang;
		for (Kind kind : Kind.values()) {
			this.modes.put(kind, Mode.HEALTHY);
			this.requests.put(kind, new AtomicLong());
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
		return start(Duration.ofSeconds(HANG_SECONDS));
	}

	/**
	 * Start a simulator on a free loopback port whose hangs last {@code hang}.
	 * @param hang how long a hanging provider sends nothing before it answers 504
	 * @return the running simulator
	 * @throws IOException if no port can be bound
	 */
	static ProviderSimulator start(Duration hang) throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.setExecutor(Executors.newCachedThreadPool((runnable) -> {
			Thread thread = new Thread(runnable, "provider-simulator");
			thread.setDaemon(true);
			return thread;
		}));
		ProviderSimulator simulator = new ProviderSimulator(server, hang);
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

	/**
	 * How many HTTP requests a simulated provider received.
	 * @param kind the provider
	 * @return the count
	 */
	public long requests(Kind kind) {
		return this.requests.get(kind).get();
	}

	/**
	 * Answer one request. Every exchange ends with a response or an exception: the JDK server
	 * releases a connection (and its buffers) only when a response is complete or the handler
	 * throws; an exchange closed without either stays registered for the life of the server.
	 * So a hang ends in a 504 when it gives up, and an {@link IOException} of a client that
	 * went away (a cancelled stream, an abandoned hang) is thrown on, not swallowed.
	 */
	private void handle(HttpExchange exchange, Kind kind) throws IOException {
		try (exchange) {
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			this.requests.get(kind).incrementAndGet();
			boolean stream = body.replace(" ", "").contains("\"stream\":true");
			Mode mode = effectiveMode(this.modes.get(kind));
			switch (mode) {
				case OUTAGE -> respond(exchange, (kind == Kind.ANTHROPIC) ? 529 : 503, "application/json", outage(kind));
				case RATE_LIMITED -> {
					exchange.getResponseHeaders().set("Retry-After", "5");
					respond(exchange, 429, "application/json", rateLimited(kind));
				}
				case HANG -> {
					TimeUnit.MILLISECONDS.sleep(this.hang.toMillis());
					respond(exchange, 504, "application/json", gaveUp(kind));
				}
				default -> {
					if (mode == Mode.SLOW) {
						TimeUnit.MILLISECONDS.sleep(SLOW_MILLIS);
					}
					String text = "Hello from the simulated " + kind.label() + " provider.";
					if (stream) {
						stream(exchange, kind, text);
					}
					else {
						respond(exchange, 200, "application/json", answer(kind, text));
					}
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted", ex);
		}
	}

	private static Mode effectiveMode(Mode mode) {
		if (mode != Mode.FLAPPING) {
			return mode;
		}
		long phase = (System.currentTimeMillis() / 1000 / FLAP_SECONDS) % 2;
		return (phase == 0) ? Mode.OUTAGE : Mode.HEALTHY;
	}

	private static void stream(HttpExchange exchange, Kind kind, String text) throws IOException, InterruptedException {
		exchange.getResponseHeaders()
			.set("Content-Type", (kind == Kind.OLLAMA) ? "application/x-ndjson" : "text/event-stream");
		exchange.sendResponseHeaders(200, 0);
		try (OutputStream out = exchange.getResponseBody()) {
			String[] words = text.split(" ");
			if (kind == Kind.ANTHROPIC) {
				write(out, event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_sim\",\"type\":"
						+ "\"message\",\"role\":\"assistant\",\"model\":\"claude-sim\",\"content\":[],\"stop_reason\":null,"
						+ "\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}"));
				write(out, event("content_block_start",
						"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
			}
			for (int i = 0; i < words.length; i++) {
				String part = words[i] + ((i < words.length - 1) ? " " : "");
				write(out, switch (kind) {
					case OPENAI -> "data: {\"id\":\"chatcmpl-sim\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
							+ "\"model\":\"gpt-sim\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\""
							+ part + "\"},\"finish_reason\":null}]}\n\n";
					case ANTHROPIC -> event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
							+ "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + part + "\"}}");
					case OLLAMA -> "{\"model\":\"llama-sim\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":"
							+ "\"assistant\",\"content\":\"" + part + "\"},\"done\":false}\n";
				});
				TimeUnit.MILLISECONDS.sleep(40);
			}
			write(out, switch (kind) {
				case OPENAI -> "data: {\"id\":\"chatcmpl-sim\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
						+ "\"model\":\"gpt-sim\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
						+ "data: [DONE]\n\n";
				case ANTHROPIC -> event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
						+ event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
								+ "\"stop_sequence\":null},\"usage\":{\"output_tokens\":8}}")
						+ event("message_stop", "{\"type\":\"message_stop\"}");
				case OLLAMA -> "{\"model\":\"llama-sim\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":"
						+ "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"eval_count\":8}\n";
			});
		}
	}

	private static String event(String name, String data) {
		return "event: " + name + "\ndata: " + data + "\n\n";
	}

	private static void write(OutputStream out, String text) throws IOException {
		out.write(text.getBytes(StandardCharsets.UTF_8));
		out.flush();
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

	private static String gaveUp(Kind kind) {
		return switch (kind) {
			case OPENAI -> "{\"error\":{\"message\":\"simulated hang gave up\",\"type\":\"server_error\",\"code\":null}}";
			case ANTHROPIC -> "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Timed out\"}}";
			case OLLAMA -> "{\"error\":\"simulated hang gave up\"}";
		};
	}

	private static String rateLimited(Kind kind) {
		return switch (kind) {
			case OPENAI -> "{\"error\":{\"message\":\"simulated rate limit\",\"type\":\"rate_limit_error\",\"code\":null}}";
			case ANTHROPIC -> "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}";
			case OLLAMA -> "{\"error\":\"simulated rate limit\"}";
		};
	}

	private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", contentType);
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
