package dev.resilientai.benchmarks.harness;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * A real Redis server (Debian's {@code redis-server}) for the fleet lane: on a free loopback
 * port, without persistence, stopped when the lane ends. Reads {@code INFO commandstats} over
 * a plain socket, so counting commands costs one {@code INFO} and nothing else.
 */
final class RedisProcess implements AutoCloseable {

	private static final String[] LOCATIONS = { "/usr/bin/redis-server", "/usr/local/bin/redis-server",
			"/usr/sbin/redis-server" };

	private final int port;

	private final File directory;

	private final Process process;

	private RedisProcess(String executable) throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			this.port = socket.getLocalPort();
		}
		this.directory = Files.createTempDirectory("redis-fleet-lane").toFile();
		this.directory.deleteOnExit();
		File log = new File(this.directory, "redis.log");
		log.deleteOnExit();
		this.process = new ProcessBuilder(List.of(executable, "--port", Integer.toString(this.port), "--bind",
				"127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.directory.getPath(),
				"--protected-mode", "yes"))
			.redirectErrorStream(true)
			.redirectOutput(log)
			.start();
	}

	/**
	 * Where {@code redis-server} is installed, if it is.
	 * @return its path, or {@code null}
	 */
	static @Nullable String executable() {
		for (String location : LOCATIONS) {
			if (new File(location).canExecute()) {
				return location;
			}
		}
		return null;
	}

	/**
	 * Start a server and wait until it answers {@code PING}.
	 * @return the running server
	 * @throws IOException if {@code redis-server} is missing or does not start
	 */
	static RedisProcess start() throws IOException {
		String executable = executable();
		if (executable == null) {
			throw new IOException("redis-server is not installed");
		}
		RedisProcess redis = new RedisProcess(executable);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (System.nanoTime() < deadline) {
			try {
				if (redis.command("PING").startsWith("+PONG")) {
					return redis;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			try {
				TimeUnit.MILLISECONDS.sleep(20);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		redis.close();
		throw new IOException("redis-server did not start on port " + redis.port);
	}

	int port() {
		return this.port;
	}

	/**
	 * Calls per command since the server started, from {@code INFO commandstats} (the
	 * {@code INFO} reading them included; commands run by Lua scripts count too).
	 * @return calls keyed by command name
	 * @throws IOException on trouble
	 */
	Map<String, Long> commandStats() throws IOException {
		Map<String, Long> calls = new TreeMap<>();
		for (String line : command("INFO", "commandstats").split("\r\n")) {
			int at = line.indexOf("calls=");
			if (line.startsWith("cmdstat_") && at > 0) {
				calls.put(line.substring(8, line.indexOf(':')),
						Long.parseLong(line.substring(at + 6, line.indexOf(',', at))));
			}
		}
		return calls;
	}

	/**
	 * The total of {@link #commandStats()}.
	 * @return the number of commands run
	 * @throws IOException on trouble
	 */
	long totalCommands() throws IOException {
		return commandStats().values().stream().mapToLong(Long::longValue).sum();
	}

	private String command(String... command) throws IOException {
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

	private static boolean complete(StringBuilder reply) {
		if (reply.length() == 0) {
			return false;
		}
		if (reply.charAt(0) == '$') {
			int header = reply.indexOf("\r\n");
			if (header < 0) {
				return false;
			}
			int length = Integer.parseInt(reply.substring(1, header));
			return length < 0 || reply.length() >= header + 2 + length + 2;
		}
		return reply.indexOf("\r\n") >= 0;
	}

	@Override
	public void close() {
		stop(this.process);
	}

	/**
	 * Stop a child process: ask, then after 5 s force it.
	 * @param process the process
	 */
	static void stop(Process process) {
		process.destroy();
		try {
			if (!process.waitFor(5, TimeUnit.SECONDS)) {
				process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
