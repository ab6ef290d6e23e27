package dev.resilientai.benchmarks.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Hedging;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;

/**
 * The brownout lane: the primary's latency climbs from its 5 ms of service time to 1.5 s over
 * a phase, with no error, then holds, then recovers. Five clients side by side, each with its
 * own primary and secondary stub and closed-loop callers: plain Spring AI on the primary,
 * try/catch fallback, {@code ResilientChatClient} without hedging, with hedging (300 ms delay,
 * at most 20 % of requests hedged), and Spring AI direct to a healthy secondary. Per phase:
 * success, p50/p99, and provider requests per request (the cost of a hedge).
 */
public final class BrownoutHarness {

	static final String PLAIN = "plain ChatClient";

	static final String TRY_CATCH = "try/catch fallback";

	static final String RESILIENT = "ResilientChatClient";

	static final String HEDGED = "ResilientChatClient, hedging";

	static final String BASELINE = "secondary direct";

	static final List<String> CLIENTS = List.of(PLAIN, TRY_CATCH, RESILIENT, HEDGED, BASELINE);

	private BrownoutHarness() {
	}

	public static void main(String[] args) throws Exception {
		double scale = 1.0;
		Path out = Path.of("target", "brownout");
		for (String arg : args) {
			if (arg.startsWith("--scale=")) {
				scale = Double.parseDouble(arg.substring(8));
			}
			else if (arg.startsWith("--out=")) {
				out = Path.of(arg.substring(6));
			}
		}
		String markdown = run(scale, 4, out);
		System.out.println(markdown);
		System.exit(0);
	}

	/**
	 * Run the lane.
	 * @param scale multiplies the phases' lengths (1.0: 40 s)
	 * @param callers callers per client
	 * @param out where to write brownout.md
	 * @return the markdown report
	 */
	public static String run(double scale, int callers, Path out) throws Exception {
		System.setProperty("sun.net.httpserver.nodelay", "true");
		Map<String, StubProvider> primaries = new LinkedHashMap<>();
		Map<String, StubProvider> secondaries = new LinkedHashMap<>();
		for (String client : CLIENTS) {
			primaries.put(client, new StubProvider("primary", 5, 1000));
			secondaries.put(client, new StubProvider("secondary", 5, 1000));
		}
		Duration breakerWait = Duration.ofMillis(Math.max(200, (long) (5000 * scale)));
		FailoverExecutor plainResilient = OutageHarness.resilientExecutor(primaries.get(RESILIENT),
				secondaries.get(RESILIENT), breakerWait);
		FailoverExecutor hedgedResilient = OutageHarness.resilientExecutor(primaries.get(HEDGED),
				secondaries.get(HEDGED), breakerWait);
		hedgedResilient.setHedging(Hedging.of(Duration.ofMillis(300), 0.2));
		Map<String, Supplier<String>> clients = new LinkedHashMap<>();
		ChatClient plain = ChatClient.create(springAi(primaries.get(PLAIN)));
		clients.put(PLAIN, () -> plain.prompt().user("hi").call().content());
		ChatClient tryPrimary = ChatClient.create(springAi(primaries.get(TRY_CATCH)));
		ChatClient trySecondary = ChatClient.create(springAi(secondaries.get(TRY_CATCH)));
		clients.put(TRY_CATCH, () -> {
			try {
				return tryPrimary.prompt().user("hi").call().content();
			}
			catch (RuntimeException ex) {
				return trySecondary.prompt().user("hi").call().content();
			}
		});
		clients.put(RESILIENT, resilient(plainResilient));
		clients.put(HEDGED, resilient(hedgedResilient));
		ChatClient direct = ChatClient.create(springAi(secondaries.get(BASELINE)));
		clients.put(BASELINE, () -> direct.prompt().user("hi").call().content());
		for (Supplier<String> client : clients.values()) {
			for (int i = 0; i < Math.max(20, (int) (200 * scale)); i++) {
				client.get();
			}
		}
		plainResilient.getProviders().forEach((p) -> p.getCircuitBreaker().reset());
		hedgedResilient.getProviders().forEach((p) -> p.getCircuitBreaker().reset());
		long[] counts0 = requestCounts(primaries, secondaries);

		long healthy = (long) (5000 * scale);
		long ramp = (long) (20000 * scale);
		long hold = (long) (10000 * scale);
		long recovery = (long) (5000 * scale);
		String[] names = { "healthy", "brownout: 5 ms → 1.5 s", "brownout: 1.5 s", "recovery" };
		long[] bounds = { 0, healthy, healthy + ramp, healthy + ramp + hold, healthy + ramp + hold + recovery };
		long start = System.currentTimeMillis() + 100;
		long end = start + bounds[4];
		ConcurrentLinkedQueue<long[]> samples = new ConcurrentLinkedQueue<>();
		List<Thread> threads = new ArrayList<>();
		for (int c = 0; c < CLIENTS.size(); c++) {
			Supplier<String> client = clients.get(CLIENTS.get(c));
			int index = c;
			for (int i = 0; i < callers; i++) {
				Thread thread = new Thread(() -> {
					while (System.currentTimeMillis() < start) {
						Thread.onSpinWait();
					}
					while (System.currentTimeMillis() < end) {
						long t0 = System.currentTimeMillis();
						boolean ok;
						try {
							client.get();
							ok = true;
						}
						catch (RuntimeException ex) {
							ok = false;
						}
						samples.add(new long[] { index, t0 - start, System.currentTimeMillis() - t0, ok ? 1 : 0 });
						try {
							Thread.sleep(10);
						}
						catch (InterruptedException ex) {
							return;
						}
					}
				}, "brownout-" + CLIENTS.get(c));
				thread.setDaemon(true);
				thread.start();
				threads.add(thread);
			}
		}
		// the ramp: every 100 ms the primaries' added latency follows the timeline
		long[][] phaseCounts = new long[names.length + 1][];
		phaseCounts[0] = counts0;
		int phase = 1;
		while (System.currentTimeMillis() < end) {
			long now = System.currentTimeMillis() - start;
			long extra = 0;
			if (now >= bounds[1] && now < bounds[2]) {
				extra = (long) (1500.0 * (now - bounds[1]) / ramp);
			}
			else if (now >= bounds[2] && now < bounds[3]) {
				extra = 1500;
			}
			for (String client : List.of(PLAIN, TRY_CATCH, RESILIENT, HEDGED)) {
				primaries.get(client).extraLatency(extra);
			}
			if (phase < bounds.length && now >= bounds[phase]) {
				phaseCounts[phase] = requestCounts(primaries, secondaries);
				phase++;
			}
			Thread.sleep(100);
		}
		for (String client : CLIENTS) {
			primaries.get(client).extraLatency(0);
		}
		for (Thread thread : threads) {
			thread.join(5000);
		}
		phaseCounts[names.length] = requestCounts(primaries, secondaries);
		for (int p = 1; p < phaseCounts.length; p++) {
			if (phaseCounts[p] == null) {
				phaseCounts[p] = phaseCounts[names.length];
			}
		}
		primaries.values().forEach(StubProvider::close);
		secondaries.values().forEach(StubProvider::close);
		plainResilient.close();
		hedgedResilient.close();

		StringBuilder md = new StringBuilder();
		md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
			.append(System.getProperty("java.version")).append(". Scale ").append(scale).append("; ").append(callers)
			.append(" callers per client (10 ms think); hedging delay 300 ms, max-ratio 0.2; attempt timeout 1 s.\n\n");
		md.append("| phase | client | requests | success | p50 ms | p99 ms | provider requests per request |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|\n");
		List<long[]> all = new ArrayList<>(samples);
		for (int p = 0; p < names.length; p++) {
			for (int c = 0; c < CLIENTS.size(); c++) {
				int pc = p;
				int cc = c;
				List<long[]> mine = all.stream()
					.filter((s) -> s[0] == cc && s[1] >= bounds[pc] && s[1] < bounds[pc + 1])
					.toList();
				List<Long> latencies = mine.stream().map((s) -> s[2]).sorted().toList();
				long ok = mine.stream().filter((s) -> s[3] == 1).count();
				long providerRequests = (phaseCounts[p + 1][2 * c] - phaseCounts[p][2 * c])
						+ (phaseCounts[p + 1][2 * c + 1] - phaseCounts[p][2 * c + 1]);
				md.append("| ")
					.append((c == 0) ? names[p] : "")
					.append(" | ")
					.append(CLIENTS.get(c))
					.append(" | ")
					.append(mine.size())
					.append(" | ")
					.append(mine.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f %%", 100.0 * ok / mine.size()))
					.append(" | ")
					.append(percentile(latencies, 0.5))
					.append(" | ")
					.append(percentile(latencies, 0.99))
					.append(" | ")
					.append(mine.isEmpty() ? "-"
							: String.format(Locale.ROOT, "%.2f", (double) providerRequests / mine.size()))
					.append(" |\n");
			}
		}
		Files.createDirectories(out);
		Files.writeString(out.resolve("brownout.md"), md.toString());
		return md.toString();
	}

	private static Supplier<String> resilient(FailoverExecutor executor) {
		DefaultResilientChatClient client = new DefaultResilientChatClient(
				ChatClient.builder(new FailoverChatModel(executor)).defaultAdvisors(new RoutingAdvisor()).build());
		return () -> client.prompt().user("hi").call().content();
	}

	private static OpenAiChatModel springAi(StubProvider stub) {
		return OpenAiChatModel.builder()
			.options(OpenAiChatOptions.builder().baseUrl(stub.baseUrl()).apiKey("stub").model("stub").build())
			.build();
	}

	private static long[] requestCounts(Map<String, StubProvider> primaries, Map<String, StubProvider> secondaries) {
		long[] counts = new long[2 * CLIENTS.size()];
		for (int c = 0; c < CLIENTS.size(); c++) {
			counts[2 * c] = primaries.get(CLIENTS.get(c)).requests();
			counts[2 * c + 1] = secondaries.get(CLIENTS.get(c)).requests();
		}
		return counts;
	}

	private static String percentile(List<Long> sorted, double q) {
		if (sorted.isEmpty()) {
			return "-";
		}
		int index = Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1);
		return String.format(Locale.ROOT, "%,d", sorted.get(Math.max(0, index)));
	}

}
