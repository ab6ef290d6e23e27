package dev.resilientai.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator stays bounded under the faults the dashboard causes all day: thousands of
 * streams cancelled after their first bytes and of hangs the client abandons leave no
 * connection (the JDK server's {@code HttpConnection} with its buffers) behind. The client
 * side is a raw socket, so that nothing but the simulator holds state.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProviderSimulatorSoakTests {

	private static final int ROUNDS = 1500;

	private static final int CLIENTS = 64;

	/** What {@code ROUNDS} exchanges would retain if each kept an 8 KB connection buffer: the bound is a third. */
	private static final long BOUND = ROUNDS * 2 * 8 * 1024 / 3;

	private ProviderSimulator simulator;

	private ExecutorService clients;

	@BeforeEach
	void start() throws IOException {
		this.simulator = ProviderSimulator.start(Duration.ofMillis(30));
		this.clients = Executors.newFixedThreadPool(CLIENTS);
	}

	@AfterEach
	void stop() throws InterruptedException {
		this.clients.shutdownNow();
		this.clients.awaitTermination(5, TimeUnit.SECONDS);
		this.simulator.close();
	}

	@Test
	void cancelledStreamsAndAbandonedHangsRetainNoHeap() throws Exception {
		soak(200); // class loading, JIT and thread pools first
		long before = retainedHeap();

		soak(ROUNDS);
		long after = retainedHeap();

		assertThat(after - before).as("heap retained by %d cancelled streams and %d abandoned hangs", ROUNDS, ROUNDS)
			.isLessThan(BOUND);
	}

	@Test
	void aHangThatOutlastsNoClientStillAnswers() throws Exception {
		this.simulator.setMode(ProviderSimulator.Kind.OLLAMA, ProviderSimulator.Mode.HANG);

		String answer = exchange("/api/chat", false, Integer.MAX_VALUE);

		assertThat(answer).startsWith("HTTP/1.1 504");
	}

	/**
	 * Cancel {@code rounds} OpenAI streams after their first bytes and abandon as many Anthropic
	 * hangs before they answer, then wait for the simulator to finish with all of them.
	 */
	private void soak(int rounds) throws Exception {
		this.simulator.setMode(ProviderSimulator.Kind.ANTHROPIC, ProviderSimulator.Mode.HANG);
		List<Future<?>> done = new ArrayList<>();
		for (int i = 0; i < rounds; i++) {
			done.add(this.clients.submit(() -> exchange("/v1/chat/completions", true, 16)));
			done.add(this.clients.submit(() -> exchange("/v1/messages", true, 0)));
		}
		for (Future<?> future : done) {
			future.get(30, TimeUnit.SECONDS);
		}
		// the simulator's side of the last exchanges: a stream's next write, a hang's 30 ms
		Thread.sleep(300);
	}

	/**
	 * Send one request and read at most {@code read} bytes of the answer before closing the
	 * connection.
	 */
	private String exchange(String path, boolean stream, int read) throws IOException {
		String body = "{\"model\":\"m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
			socket.setSoTimeout(5000);
			OutputStream out = socket.getOutputStream();
			out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
					+ "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n"
					+ body)
				.getBytes(StandardCharsets.UTF_8));
			out.flush();
			StringBuilder answer = new StringBuilder();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[256];
			while (answer.length() < read) {
				int n = in.read(buffer, 0, Math.min(buffer.length, read - answer.length()));
				if (n < 0) {
					break;
				}
				answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
			}
			return answer.toString();
		}
	}

	private int port() {
		return Integer.parseInt(this.simulator.baseUrl().substring(this.simulator.baseUrl().lastIndexOf(':') + 1));
	}

	private static long retainedHeap() throws InterruptedException {
		MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
		long least = Long.MAX_VALUE;
		for (int i = 0; i < 5; i++) {
			System.gc();
			Thread.sleep(50);
			least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
		}
		return least;
	}

}
