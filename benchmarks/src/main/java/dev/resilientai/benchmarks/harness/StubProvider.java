package dev.resilientai.benchmarks.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;

/**
 * A stub provider on loopback speaking OpenAI's chat completions, with a fault mode the
 * harness's timeline switches. Its answer names it, so the harness knows who served a request.
 */
final class StubProvider implements AutoCloseable {

	enum Mode {

		HEALTHY, OUTAGE, HANG, RATE_LIMITED, FLAPPING,

		/** Answers, but as slowly as its latency says (see {@link StubProvider#latency}). */
		BROWNOUT

	}

	private final String name;

	private final HttpServer server;

	private final ExecutorService executor;

	private final AtomicLong requests = new AtomicLong();

	private final java.util.concurrent.ConcurrentLinkedQueue<Long> arrivals = new java.util.concurrent.ConcurrentLinkedQueue<>();

	private final long serviceMillis;

	private final long flapMillis;

	private volatile Mode mode = Mode.HEALTHY;

	/** The service time of each answer in millis, if not the fixed one. */
	private volatile @Nullable DoubleSupplier latency;

	private volatile boolean closed;

	StubProvider(String name, long serviceMillis, long flapMillis) throws IOException {
		// a hung provider accepts every request and holds it: a gateway without a breaker sends
		// one per caller per timeout (160 in a 20 s hang), and each must still count as arrived
		this(name, serviceMillis, flapMillis, 512);
	}

	StubProvider(String name, long serviceMillis, long flapMillis, int threads) throws IOException {
		this.name = name;
		this.serviceMillis = serviceMillis;
		this.flapMillis = flapMillis;
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
		this.executor = Executors.newFixedThreadPool(threads, (runnable) -> {
			Thread thread = new Thread(runnable, "stub-" + name);
			thread.setDaemon(true);
			return thread;
		});
		this.server.setExecutor(this.executor);
		this.server.createContext("/v1/chat/completions", this::handle);
		this.server.start();
	}

	String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/v1";
	}

	void mode(Mode mode) {
		this.mode = mode;
	}

	/**
	 * Draw each answer's service time from the given supplier (millis) instead of the fixed
	 * one, in every mode that answers.
	 * @param millis the service time of the next answer, or {@code null} for the fixed one
	 */
	void latency(@Nullable DoubleSupplier millis) {
		this.latency = millis;
	}

	long requests() {
		return this.requests.get();
	}

	/**
	 * Count the requests that arrived in a window.
	 * @param fromMillis the window's start, epoch millis
	 * @param toMillis the window's end (exclusive)
	 * @return the count
	 */
	long requestsBetween(long fromMillis, long toMillis) {
		return this.arrivals.stream().filter((t) -> t >= fromMillis && t < toMillis).count();
	}

	/**
	 * The arrival times of the requests in a window, in order.
	 * @param fromMillis the window's start, epoch millis
	 * @param toMillis the window's end (exclusive)
	 * @return epoch millis, sorted
	 */
	java.util.List<Long> arrivalsBetween(long fromMillis, long toMillis) {
		return this.arrivals.stream().filter((t) -> t >= fromMillis && t < toMillis).sorted().toList();
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			exchange.getRequestBody().readAllBytes();
			this.requests.incrementAndGet();
			this.arrivals.add(System.currentTimeMillis());
			Mode current = effective(this.mode);
			switch (current) {
				case OUTAGE -> respond(exchange, 503, "{\"error\":{\"message\":\"down\",\"type\":\"server_error\"}}");
				case RATE_LIMITED -> {
					exchange.getResponseHeaders().set("Retry-After", "2");
					respond(exchange, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
				}
				case HANG -> {
					// hold the request until the fault ends (or the client gives up and the
					// write below fails)
					long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
					while (this.mode == Mode.HANG && !this.closed && System.nanoTime() < until) {
						TimeUnit.MILLISECONDS.sleep(20);
					}
					respond(exchange, 200, answer());
				}
				default -> {
					DoubleSupplier drawn = this.latency;
					if (drawn != null) {
						TimeUnit.MICROSECONDS.sleep(Math.round(drawn.getAsDouble() * 1000));
					}
					else if (this.serviceMillis > 0) {
						TimeUnit.MILLISECONDS.sleep(this.serviceMillis);
					}
					respond(exchange, 200, answer());
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException ex) {
			// the client gave up
		}
	}

	private Mode effective(Mode mode) {
		if (mode != Mode.FLAPPING) {
			return mode;
		}
		return ((System.currentTimeMillis() / this.flapMillis) % 2 == 0) ? Mode.OUTAGE : Mode.HEALTHY;
	}

	private String answer() {
		return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"stub\","
				+ "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + this.name
				+ "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
				+ "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}";
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
		this.closed = true;
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
