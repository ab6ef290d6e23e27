package dev.resilientai.benchmarks.harness;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Portkey's open-source AI gateway (npm {@code @portkey-ai/gateway}) as a peer of the starter
 * in the harness: a {@code node} process on a free loopback port, started and stopped by the
 * harness. {@code benchmarks/install-portkey.sh} installs it into
 * {@code benchmarks/target/portkey}; without {@code node} or without the install the Portkey
 * lane is skipped and {@link #unavailableReason()} says why.
 *
 * <p>The gateway takes no host to bind to (it listens on every interface); a preload script
 * given to {@code node --require} binds it to 127.0.0.1. It runs as its docs run it in
 * production: {@code NODE_ENV=production} and {@code --headless} (no console UI, no log
 * stream). The routing config travels in each request's {@code x-portkey-config} header, as
 * the gateway's docs show for the open-source build: see {@link #fallbackConfig}.
 */
final class PortkeyGateway implements AutoCloseable {

	/** The version this lane was written and measured with. */
	static final String EXPECTED_VERSION = "1.15.2";

	private static final String ENTRY = "node_modules/@portkey-ai/gateway/build/start-server.js";

	private static final String LOOPBACK_PRELOAD = """
			// binds every server of this process to 127.0.0.1: the gateway takes no host option
			const net = require('node:net');
			const listen = net.Server.prototype.listen;
			net.Server.prototype.listen = function (...args) {
			  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
			    args[1] = '127.0.0.1';
			  } else if (args[0] && typeof args[0] === 'object' && !args[0].host && args[0].port !== undefined) {
			    args[0] = { ...args[0], host: '127.0.0.1' };
			  }
			  return listen.apply(this, args);
			};
			""";

	private final Path home;

	private final int port;

	private final Process process;

	private final Path directory;

	private PortkeyGateway(String node, Path home) throws IOException {
		this.home = home;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			this.port = socket.getLocalPort();
		}
		this.directory = Files.createTempDirectory("portkey-lane");
		Path preload = this.directory.resolve("loopback.cjs");
		Files.writeString(preload, LOOPBACK_PRELOAD);
		File log = this.directory.resolve("gateway.log").toFile();
		ProcessBuilder builder = new ProcessBuilder(List.of(node, "--require", preload.toString(),
				home.resolve(ENTRY).toString(), "--port=" + this.port, "--headless"))
			.directory(home.toFile())
			.redirectErrorStream(true)
			.redirectOutput(log);
		builder.environment().put("NODE_ENV", "production");
		this.process = builder.start();
	}

	/**
	 * Why the lane cannot run here, or {@code null} if it can.
	 * @return the reason, for the report and the console
	 */
	static @Nullable String unavailableReason() {
		if (node() == null) {
			return "node is not installed (the Portkey gateway is a Node.js server); install Node.js 18+ and run "
					+ "benchmarks/install-portkey.sh";
		}
		if (home() == null) {
			return "the Portkey gateway is not installed; run benchmarks/install-portkey.sh (it needs npm)";
		}
		return null;
	}

	/**
	 * Start the gateway and wait until it answers.
	 * @return the running gateway
	 * @throws IOException if node or the gateway is missing, or it does not start
	 */
	static PortkeyGateway start() throws IOException {
		String reason = unavailableReason();
		String node = node();
		Path home = home();
		if (reason != null || node == null || home == null) {
			throw new IOException(reason);
		}
		PortkeyGateway gateway = new PortkeyGateway(node, home);
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
		HttpRequest hello = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port + "/"))
			.timeout(Duration.ofSeconds(2))
			.build();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (System.nanoTime() < deadline && gateway.process.isAlive()) {
			try {
				if (http.send(hello, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
					return gateway;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			sleep(50);
		}
		String log = gateway.log();
		gateway.close();
		throw new IOException("the Portkey gateway did not start on port " + gateway.port + ":\n" + log);
	}

	/** The gateway's OpenAI-compatible endpoint: what the lane's {@code ChatClient} calls. */
	String baseUrl() {
		return "http://127.0.0.1:" + this.port + "/v1";
	}

	long pid() {
		return this.process.pid();
	}

	/**
	 * The installed gateway's version, from its {@code package.json}.
	 * @return the version, or "unknown"
	 */
	String version() {
		try {
			JsonNode pkg = JsonMapper.builder()
				.build()
				.readTree(Files.readString(this.home.resolve("node_modules/@portkey-ai/gateway/package.json")));
			return pkg.path("version").asString("unknown");
		}
		catch (IOException | RuntimeException ex) {
			return "unknown";
		}
	}

	String nodeVersion() {
		try {
			Process version = new ProcessBuilder(List.of(node(), "--version")).redirectErrorStream(true).start();
			String out = new String(version.getInputStream().readAllBytes()).trim();
			version.waitFor(5, TimeUnit.SECONDS);
			return out;
		}
		catch (IOException | RuntimeException ex) {
			return "unknown";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "unknown";
		}
	}

	/**
	 * The gateway process's resident set size, from {@code /proc/<pid>/status}.
	 * @return VmRSS in KiB, or -1 where there is no {@code /proc}
	 */
	long rssKiB() {
		return ProcMemory.rssKiB(this.process.pid());
	}

	/**
	 * The fallback config the lane sends in {@code x-portkey-config}: the primary, then the
	 * secondary, on the statuses the gateway's docs name for fallbacks (429 and 5xx) plus 408,
	 * which is what the gateway answers itself when {@code request_timeout} cuts an attempt
	 * short (its docs: "Portkey issues a standard 408 error for timed-out requests", to be
	 * listed in {@code on_status_codes} for a fallback). {@code request_timeout} 1000 ms is the
	 * {@code ResilientChatClient} lane's attempt timeout. No {@code retry}: the gateway's
	 * default is none, and retries on a dead primary only add requests to it. The documented
	 * circuit breaker ({@code cb_config} on the strategy) is sent too, with the figures of the
	 * {@code ResilientChatClient} lane's breaker where they map (50 % failures over at least 10
	 * requests) and the documented minimum cool-down (30 s), so the lane shows what the
	 * open-source build does with it.
	 * @param primary the primary's base URL ({@code http://127.0.0.1:port/v1})
	 * @param secondary the secondary's base URL
	 * @return the config as JSON
	 */
	static String fallbackConfig(String primary, String secondary) {
		return String.format(Locale.ROOT, """
				{"strategy":{"mode":"fallback","on_status_codes":[408,429,500,502,503,504],\
				"cb_config":{"failure_threshold_percentage":50,"minimum_requests":10,"cooldown_interval":30000,\
				"failure_status_codes":[408,429,500,502,503,504]}},\
				"request_timeout":1000,\
				"targets":[{"provider":"openai","api_key":"stub","custom_host":"%s"},\
				{"provider":"openai","api_key":"stub","custom_host":"%s"}]}""", primary, secondary);
	}

	/**
	 * The lane's headers: the fallback config.
	 * @param primary the primary's base URL
	 * @param secondary the secondary's base URL
	 * @return the headers the lane's OpenAI model sends on every request
	 */
	static Map<String, String> headers(String primary, String secondary) {
		return Map.of("x-portkey-config", fallbackConfig(primary, secondary));
	}

	private String log() {
		try {
			return Files.readString(this.directory.resolve("gateway.log"));
		}
		catch (IOException ex) {
			return "";
		}
	}

	static @Nullable String node() {
		List<String> candidates = new ArrayList<>();
		String path = System.getenv("PATH");
		if (path != null) {
			for (String dir : path.split(File.pathSeparator)) {
				candidates.add(dir + File.separator + "node");
			}
		}
		candidates.addAll(List.of("/usr/bin/node", "/usr/local/bin/node"));
		for (String candidate : candidates) {
			if (new File(candidate).canExecute()) {
				return candidate;
			}
		}
		return null;
	}

	/**
	 * Where the gateway is installed: {@code -Dportkey.home} or {@code PORTKEY_HOME} if set,
	 * else {@code benchmarks/target/portkey} seen from the repository or from the module.
	 * @return the folder holding {@code node_modules/@portkey-ai/gateway}, or {@code null}
	 */
	static @Nullable Path home() {
		List<Path> candidates = new ArrayList<>();
		String property = System.getProperty("portkey.home", System.getenv("PORTKEY_HOME"));
		if (property != null && !property.isBlank()) {
			candidates.add(Path.of(property));
		}
		candidates.add(Path.of("benchmarks", "target", "portkey"));
		candidates.add(Path.of("target", "portkey"));
		candidates.add(Path.of("..", "benchmarks", "target", "portkey"));
		for (Path candidate : candidates) {
			if (Files.isRegularFile(candidate.resolve(ENTRY))) {
				return candidate.toAbsolutePath().normalize();
			}
		}
		return null;
	}

	private static void sleep(long millis) {
		try {
			TimeUnit.MILLISECONDS.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		RedisProcess.stop(this.process);
		try {
			for (Path file : List.of(this.directory.resolve("loopback.cjs"), this.directory.resolve("gateway.log"),
					this.directory)) {
				Files.deleteIfExists(file);
			}
		}
		catch (IOException ex) {
			// a temp folder left behind
		}
	}

}
