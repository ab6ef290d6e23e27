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
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.resilientai.benchmarks.footprint.FootprintApp;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The memory a resilience layer costs: the same small Spring Boot app ({@link FootprintApp}),
 * each time in a fresh JVM with the same flags, under the same closed-loop load over HTTP
 * (after the same warm-up), in three set-ups:
 * <ul>
 * <li><b>plain</b>: Spring AI's {@code ChatClient} straight to a stub provider, the starter's
 * auto-configuration excluded;</li>
 * <li><b>starter</b>: {@code ResilientChatClient} over a primary and a secondary stub;</li>
 * <li><b>plain + Portkey</b>: the plain app calling a Portkey gateway with the outage
 * harness's fallback config, primary then secondary (skipped, saying why, without
 * {@code node} or the gateway).</li>
 * </ul>
 * Reports per set-up the app's RSS under load ({@code VmRSS} of {@code /proc/<pid>/status},
 * sampled every 250 ms), its heap after a full collection at the end of the load, committed
 * heap, metaspace, classes and threads, and the gateway's RSS sampled the same way.
 *
 * <p>The app's heap is fixed and pre-touched ({@code -Xms} = {@code -Xmx},
 * {@code -XX:+AlwaysPreTouch}): resident in full in every set-up, so that the difference in RSS
 * is memory outside the heap (metaspace, JIT code, thread stacks, native buffers) and not the
 * collector's sizing of the moment; the heap a set-up needs is its live set after a full
 * collection.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.resilientai.benchmarks.harness.FootprintHarness
 * [--scale=1.0] [--callers=8] [--rounds=2] [--xmx=256m] [--out=target/footprint]}.
 */
public final class FootprintHarness {

	static final String PLAIN = "plain ChatClient";

	static final String STARTER = "ResilientChatClient (starter)";

	static final String PORTKEY = "plain ChatClient + Portkey gateway";

	private FootprintHarness() {
	}

	public static void main(String[] args) throws Exception {
		double scale = 1.0;
		int callers = 8;
		int rounds = 2;
		String xmx = "256m";
		Path out = Path.of("target", "footprint");
		for (String arg : args) {
			if (arg.startsWith("--scale=")) {
				scale = Double.parseDouble(arg.substring(8));
			}
			else if (arg.startsWith("--callers=")) {
				callers = Integer.parseInt(arg.substring(10));
			}
			else if (arg.startsWith("--rounds=")) {
				rounds = Integer.parseInt(arg.substring(9));
			}
			else if (arg.startsWith("--xmx=")) {
				xmx = arg.substring(6);
			}
			else if (arg.startsWith("--out=")) {
				out = Path.of(arg.substring(6));
			}
		}
		FootprintReport report = run(scale, callers, rounds, xmx, out);
		System.out.println(report.markdown());
		System.out.println("Written: " + out.resolve("footprint.json") + ", " + out.resolve("footprint.md"));
		System.exit(0);
	}

	/**
	 * Measure the three set-ups, one after the other.
	 * @param scale multiplies the load's length (1.0: 30 s per set-up)
	 * @param callers concurrent callers of the app
	 * @param rounds how many times to measure each set-up (every other round in reverse order)
	 * @param xmx the app's maximum heap ({@code -Xmx})
	 * @param out where to write footprint.json, footprint.md and the apps' logs
	 * @return the report
	 */
	public static FootprintReport run(double scale, int callers, int rounds, String xmx, Path out) throws Exception {
		System.setProperty("sun.net.httpserver.nodelay", "true");
		Files.createDirectories(out);
		List<Footprint> setups = new ArrayList<>();
		String skipped = PortkeyGateway.unavailableReason();
		String gatewayVersion = null;
		String config = null;
		if (skipped != null) {
			System.out.println("*** Portkey set-up SKIPPED: " + skipped + " ***");
		}
		try (StubProvider primary = new StubProvider("primary", 5, 2000);
				StubProvider secondary = new StubProvider("secondary", 5, 2000)) {
			List<String> common = List.of("--spring.ai.openai.api-key=stub", "--spring.ai.openai.chat.options.model=stub");
			Map<String, List<String>> args = new LinkedHashMap<>();
			List<String> plain = new ArrayList<>(common);
			plain.addAll(List.of(FootprintApp.STARTER_OFF, "--spring.ai.openai.base-url=" + primary.baseUrl()));
			args.put(PLAIN, plain);
			List<String> starter = new ArrayList<>(common);
			starter.addAll(List.of("--spring.ai.openai.base-url=" + primary.baseUrl(),
					"--resilient-ai.providers.primary.chat-model=openAiChatModel",
					"--resilient-ai.providers.primary.timeout=1s",
					"--resilient-ai.providers.secondary.type=openai-compatible",
					"--resilient-ai.providers.secondary.base-url=" + secondary.baseUrl(),
					"--resilient-ai.providers.secondary.api-key=stub", "--resilient-ai.providers.secondary.model=stub",
					"--resilient-ai.providers.secondary.timeout=1s"));
			args.put(STARTER, starter);
			if (skipped == null) {
				config = PortkeyGateway.fallbackConfig(primary.baseUrl(), secondary.baseUrl());
				args.put(PORTKEY, new ArrayList<>(common));
			}
			for (int round = 1; round <= rounds; round++) {
				// every other round in reverse order, so that no set-up always goes first
				List<String> order = new ArrayList<>(args.keySet());
				if (round % 2 == 0) {
					Collections.reverse(order);
				}
				for (String setup : order) {
					if (!setup.equals(PORTKEY)) {
						setups.add(measure(setup, round, args.get(setup), null, scale, callers, xmx, out));
						continue;
					}
					// a fresh gateway for each round, as each app gets a fresh JVM
					try (PortkeyGateway gateway = PortkeyGateway.start()) {
						gatewayVersion = gateway.version() + " on node " + gateway.nodeVersion();
						List<String> viaGateway = new ArrayList<>(args.get(PORTKEY));
						viaGateway.addAll(List.of(FootprintApp.STARTER_OFF,
								"--spring.ai.openai.base-url=" + gateway.baseUrl(),
								"--spring.ai.openai.custom-headers.x-portkey-config=" + config));
						setups.add(measure(PORTKEY, round, viaGateway, gateway, scale, callers, xmx, out));
					}
				}
			}
		}
		FootprintReport report = new FootprintReport(Runtime.getRuntime().availableProcessors(),
				System.getProperty("java.version"), xmx, callers, scale, rounds, gatewayVersion, config,
				(skipped != null) ? "skipped: " + skipped : "ran", setups);
		JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
		Files.writeString(out.resolve("footprint.json"), json.writeValueAsString(report));
		Files.writeString(out.resolve("footprint.md"), report.markdown());
		return report;
	}

	private static Footprint measure(String name, int round, List<String> appArgs, @Nullable PortkeyGateway gateway,
			double scale, int callers, String xmx, Path out) throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			port = socket.getLocalPort();
		}
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xms" + xmx, "-Xmx" + xmx, "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"), FootprintApp.class.getName(),
				"--server.port=" + port, "--server.address=127.0.0.1", "--spring.main.banner-mode=off",
				"--logging.level.root=WARN"));
		command.addAll(appArgs);
		File log = out.resolve("app-" + name.replaceAll("[^A-Za-z]+", "-").toLowerCase(Locale.ROOT) + round + ".log")
			.toFile();
		Process app = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
		try {
			HttpClient http = HttpClient.newBuilder()
				.version(HttpClient.Version.HTTP_1_1)
				.connectTimeout(Duration.ofSeconds(2))
				.build();
			String base = "http://127.0.0.1:" + port;
			long startedAt = System.nanoTime();
			waitUntilUp(http, base, app, log);
			double startupSeconds = (System.nanoTime() - startedAt) / 1e9;
			HttpRequest chat = HttpRequest.newBuilder(URI.create(base + "/chat"))
				.timeout(Duration.ofSeconds(30))
				.header("Content-Type", "text/plain")
				.POST(HttpRequest.BodyPublishers.ofString("hi"))
				.build();
			// the outage harness's warm-up (a cold JVM's first calls may miss a 1 s attempt
			// timeout), then the load, all of it served by the primary
			int warmUp = Math.max(20, (int) (300 * scale));
			for (int i = 0; i < warmUp; i++) {
				http.send(chat, HttpResponse.BodyHandlers.discarding());
			}
			String answer = http.send(chat, HttpResponse.BodyHandlers.ofString()).body();
			if (!answer.contains("primary")) {
				throw new IllegalStateException(name + ": the app answered " + answer + "; see " + log);
			}
			long loadMillis = Math.max(1000, (long) (30_000 * scale));
			Load load = load(http, chat, callers, loadMillis, app.pid(), (gateway != null) ? gateway.pid() : -1);
			long rssAfterLoad = ProcMemory.rssKiB(app.pid());
			JsonNode jvm = JsonMapper.builder()
				.build()
				.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/footprint?gc=true")).build(),
						HttpResponse.BodyHandlers.ofString())
					.body());
			return new Footprint(name, round, jvm.path("starter").asBoolean(), startupSeconds, load.calls, load.failures,
					load.p50, load.p99, mib(load.appRss.mean()), mib(load.appRss.max), mib(rssAfterLoad),
					mib(ProcMemory.peakRssKiB(app.pid())), mib(jvm.path("heapUsed").asLong() / 1024),
					mib(jvm.path("heapCommitted").asLong() / 1024), mib(jvm.path("metaspaceUsed").asLong() / 1024),
					mib(jvm.path("nonHeapCommitted").asLong() / 1024), jvm.path("loadedClasses").asInt(),
					jvm.path("threads").asInt(), (gateway != null) ? mib(load.gatewayRss.mean()) : null,
					(gateway != null) ? mib(load.gatewayRss.max) : null);
		}
		finally {
			app.destroy();
			if (!app.waitFor(15, TimeUnit.SECONDS)) {
				app.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
	}

	private static void waitUntilUp(HttpClient http, String base, Process app, File log) throws Exception {
		HttpRequest probe = HttpRequest.newBuilder(URI.create(base + "/footprint"))
			.timeout(Duration.ofSeconds(2))
			.build();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
		while (System.nanoTime() < deadline && app.isAlive()) {
			try {
				if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not up yet
			}
			TimeUnit.MILLISECONDS.sleep(100);
		}
		throw new IllegalStateException("the footprint app did not start; its log:\n" + Files.readString(log.toPath()));
	}

	private static Load load(HttpClient http, HttpRequest chat, int callers, long millis, long appPid, long gatewayPid)
			throws InterruptedException {
		long end = System.currentTimeMillis() + millis;
		ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
		AtomicLong failures = new AtomicLong();
		List<Thread> threads = new ArrayList<>();
		for (int i = 0; i < callers; i++) {
			Thread thread = new Thread(() -> {
				while (System.currentTimeMillis() < end) {
					long t0 = System.nanoTime();
					try {
						HttpResponse<String> response = http.send(chat, HttpResponse.BodyHandlers.ofString());
						if (response.statusCode() == 200) {
							latencies.add((System.nanoTime() - t0) / 1_000_000.0);
						}
						else {
							failures.incrementAndGet();
						}
						TimeUnit.MILLISECONDS.sleep(10);
					}
					catch (IOException ex) {
						failures.incrementAndGet();
					}
					catch (InterruptedException ex) {
						return;
					}
				}
			}, "footprint-caller");
			thread.setDaemon(true);
			threads.add(thread);
			thread.start();
		}
		Samples appRss = new Samples();
		Samples gatewayRss = new Samples();
		while (System.currentTimeMillis() < end) {
			appRss.add(ProcMemory.rssKiB(appPid));
			if (gatewayPid > 0) {
				gatewayRss.add(ProcMemory.rssKiB(gatewayPid));
			}
			TimeUnit.MILLISECONDS.sleep(250);
		}
		for (Thread thread : threads) {
			thread.join(millis + 30_000);
		}
		double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
		return new Load(sorted.length, failures.get(), HopLatency.quantile(sorted, 0.5),
				HopLatency.quantile(sorted, 0.99), appRss, gatewayRss);
	}

	private static double mib(double kib) {
		return Math.round(kib / 1024.0 * 10) / 10.0;
	}

	private record Load(int calls, long failures, double p50, double p99, Samples appRss, Samples gatewayRss) {
	}

	/** RSS samples in KiB. */
	private static final class Samples {

		private final List<Long> values = new ArrayList<>();

		private long max = -1;

		void add(long kib) {
			if (kib > 0) {
				this.values.add(kib);
				this.max = Math.max(this.max, kib);
			}
		}

		double mean() {
			return this.values.stream().mapToLong(Long::longValue).average().orElse(-1);
		}

	}

	/** One set-up's figures; memory in MiB. */
	public record Footprint(String setup, int round, boolean starter, double startupSeconds, int calls, long failures,
			double p50Millis, double p99Millis, double appRssMeanMiB, double appRssPeakMiB, double appRssAfterLoadMiB,
			double appRssHighWaterMiB, double heapAfterGcMiB, double heapCommittedMiB, double metaspaceMiB,
			double nonHeapCommittedMiB, int loadedClasses, int threads, @Nullable Double gatewayRssMeanMiB,
			@Nullable Double gatewayRssPeakMiB) {
	}

	/** The run. */
	public record FootprintReport(int cores, String java, String xmx, int callers, double scale, int rounds,
			@Nullable String gateway, @Nullable String gatewayConfig, String portkey, List<Footprint> setups) {

		public String markdown() {
			StringBuilder md = new StringBuilder();
			md.append(String.format(Locale.ROOT,
					"Machine: %d cores, Java %s. Each set-up a fresh JVM (-Xms=-Xmx=%s, -XX:+AlwaysPreTouch, default GC), the same warm-up, then "
							+ "%d closed-loop callers (10 ms think time) for the same time; %d rounds, every other one in "
							+ "reverse order. Portkey set-up: %s%s.%n%n",
					this.cores, this.java, this.xmx, this.callers, this.rounds, this.portkey,
					(this.gateway != null) ? " (@portkey-ai/gateway " + this.gateway + ")" : ""));
			md.append("| set-up | round | calls | p50 ms | p99 ms | app RSS mean | app RSS peak | heap after full GC | "
					+ "heap committed | metaspace | classes | threads | gateway RSS mean | gateway RSS peak | "
					+ "app + gateway RSS mean |\n");
			md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
			List<Footprint> sorted = new ArrayList<>(this.setups);
			sorted.sort(Comparator.comparingInt(Footprint::round));
			for (Footprint f : sorted) {
				md.append(String.format(Locale.ROOT,
						"| %s | %d | %d | %.1f | %.1f | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %d | %d | %s | %s | %.1f MiB |%n",
						f.setup(), f.round(), f.calls(), f.p50Millis(), f.p99Millis(), f.appRssMeanMiB(),
						f.appRssPeakMiB(), f.heapAfterGcMiB(), f.heapCommittedMiB(), f.metaspaceMiB(),
						f.loadedClasses(), f.threads(), mibOrDash(f.gatewayRssMeanMiB()),
						mibOrDash(f.gatewayRssPeakMiB()), total(f)));
			}
			for (int round = 1; round <= this.rounds; round++) {
				Map<String, Footprint> byName = new LinkedHashMap<>();
				for (Footprint f : this.setups) {
					if (f.round() == round) {
						byName.put(f.setup(), f);
					}
				}
				Footprint plain = byName.get(PLAIN);
				for (String other : List.of(STARTER, PORTKEY)) {
					Footprint f = byName.get(other);
					if (plain != null && f != null) {
						md.append(String.format(Locale.ROOT,
								"| **%s adds** | %d | | | | %+.1f MiB | %+.1f MiB | %+.1f MiB | %+.1f MiB | %+.1f MiB | %+d | %+d | | | **%+.1f MiB** |%n",
								other.equals(STARTER) ? "the starter" : "the gateway", round,
								f.appRssMeanMiB() - plain.appRssMeanMiB(), f.appRssPeakMiB() - plain.appRssPeakMiB(),
								f.heapAfterGcMiB() - plain.heapAfterGcMiB(),
								f.heapCommittedMiB() - plain.heapCommittedMiB(), f.metaspaceMiB() - plain.metaspaceMiB(),
								f.loadedClasses() - plain.loadedClasses(), f.threads() - plain.threads(),
								total(f) - total(plain)));
					}
				}
			}
			if (this.gatewayConfig != null) {
				md.append("\n`x-portkey-config`: `").append(this.gatewayConfig).append("`\n");
			}
			return md.toString();
		}

		private static double total(Footprint f) {
			return f.appRssMeanMiB() + ((f.gatewayRssMeanMiB() != null) ? f.gatewayRssMeanMiB() : 0);
		}

		private static String mibOrDash(@Nullable Double value) {
			return (value != null) ? String.format(Locale.ROOT, "%.1f MiB", value) : "-";
		}

	}

}
