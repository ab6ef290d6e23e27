package dev.resilientai.support;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis server (Debian's {@code redis-server}) on a free loopback port, without
 * persistence, for the fleet tests: started, stopped and started again on the same port as
 * an outage and a restart would. Tests that need it are skipped where {@code redis-server}
 * is not installed (see {@link #testsRun()}; {@code .ci/run} installs it).
 */
public final class RedisServer implements AutoCloseable {

	private static final String[] LOCATIONS = { "/usr/bin/redis-server", "/usr/local/bin/redis-server",
			"/usr/sbin/redis-server" };

	private final int port;

	private final File directory;

	private volatile Process process;

	private RedisServer(int port) throws IOException {
		this.port = port;
		this.directory = Files.createTempDirectory("redis-fleet").toFile();
		this.directory.deleteOnExit();
	}

	/**
	 * Whether tests that need a Redis server run: where {@code redis-server} is installed, and
	 * always under {@code REQUIRE_REDIS_TESTS=true} (as {@code .ci/run} sets), so there they
	 * run or fail, never skip.
	 * @return {@code true} if they run
	 */
	public static boolean testsRun() {
		return executable() != null || "true".equals(System.getenv("REQUIRE_REDIS_TESTS"));
	}

	/**
	 * Start a server on a free loopback port.
	 * @return the running server
	 * @throws IOException if it cannot start
	 */
	public static RedisServer start() throws IOException {
		RedisServer server = new RedisServer(freePort());
		server.startProcess();
		return server;
	}

	public int getPort() {
		return this.port;
	}

	/**
	 * Start the server again after {@link #stop()}, on the same port, with no state.
	 * @throws IOException if it cannot start
	 */
	public void restart() throws IOException {
		stop();
		startProcess();
	}

	/**
	 * Stop the server (an outage, until {@link #restart()}).
	 */
	public void stop() {
		Process running = this.process;
		if (running != null && running.isAlive()) {
			running.destroy();
			try {
				if (!running.waitFor(5, TimeUnit.SECONDS)) {
					running.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Send one command and return the raw reply (for {@code INFO commandstats} and the like).
	 * @param command the command and its arguments
	 * @return the reply as Redis wrote it
	 * @throws IOException on trouble
	 */
	public String command(String... command) throws IOException {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
			socket.setSoTimeout(2000);
			StringBuilder request = new StringBuilder("*" + command.length + "\r\n");
			for (String part : command) {
				request.append('$').append(part.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(part)
					.append("\r\n");
			}
			OutputStream out = socket.getOutputStream();
			out.write(request.toString().getBytes(StandardCharsets.UTF_8));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[65536];
			StringBuilder reply = new StringBuilder();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
			do {
				int read = in.read(buffer);
				if (read < 0) {
					break;
				}
				reply.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
			}
			while (!complete(reply) && System.nanoTime() < deadline);
			return reply.toString();
		}
	}

	/**
	 * Return how many times each command ran, from {@code INFO commandstats}.
	 * @return the total number of commands run
	 * @throws IOException on trouble
	 */
	public long totalCommands() throws IOException {
		long total = 0;
		for (String line : command("INFO", "commandstats").split("\r\n")) {
			int calls = line.indexOf("calls=");
			if (line.startsWith("cmdstat_") && calls > 0) {
				int end = line.indexOf(',', calls);
				total += Long.parseLong(line.substring(calls + 6, end));
			}
		}
		return total;
	}

	private static boolean complete(StringBuilder reply) {
		if (reply.length() == 0) {
			return false;
		}
		char type = reply.charAt(0);
		if (type == '$') {
			int header = reply.indexOf("\r\n");
			if (header < 0) {
				return false;
			}
			int length = Integer.parseInt(reply.substring(1, header));
			return length < 0 || reply.length() >= header + 2 + length + 2;
		}
		return reply.indexOf("\r\n") >= 0;
	}

	private void startProcess() throws IOException {
		String executable = executable();
		if (executable == null) {
			throw new IOException("redis-server is not installed");
		}
		ProcessBuilder builder = new ProcessBuilder(List.of(executable, "--port", Integer.toString(this.port),
				"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.directory.getPath(),
				"--protected-mode", "yes"))
			.redirectErrorStream(true)
			.redirectOutput(new File(this.directory, "redis.log"));
		this.process = builder.start();
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (System.nanoTime() < deadline) {
			try {
				if (command("PING").startsWith("+PONG")) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IOException("interrupted while starting redis-server", ex);
			}
		}
		stop();
		throw new IOException("redis-server did not start on port " + this.port);
	}

	private static String executable() {
		for (String location : LOCATIONS) {
			if (new File(location).canExecute()) {
				return location;
			}
		}
		return null;
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	@Override
	public void close() {
		stop();
		File[] files = this.directory.listFiles();
		if (files != null) {
			for (File file : files) {
				file.delete();
			}
		}
		this.directory.delete();
	}

}
