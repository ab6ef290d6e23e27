package dev.resilientai.benchmarks.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Hedging;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jfree.data.xy.XYSeries;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.ai.chat.client.ChatClient;

/**
 * The outage harness's brownout lane: the primary never fails, it slows down. Its median
 * latency climbs from 5 ms to 1.5 s (geometrically, doubling about every 3.7 s), holds there,
 * and comes back; every answer's latency is the median times a log-normal jitter
 * ({@code σ = 0.5}: the 99th percentile is 3.2 times the median). Six clients side by side,
 * each with its own primary and secondary stub (the secondary always answers in 5 ms), under
 * the same open-loop load (a fixed rate of requests per client, whatever the latency, as
 * users keep arriving during a brownout): Spring AI's plain {@code ChatClient}, the try/catch
 * fallback, {@code ResilientChatClient} without hedging, with hedging after a fixed delay,
 * with hedging after an adaptive delay, and the secondary direct.
 * <p>
 * Reports per phase and client: p50, p90, p99, max and mean latency, the provider requests
 * per request (both stubs: hedges, failovers and SDK retries are the extra ones), the share
 * of requests hedged, when each breaker opened and the adaptive delay; as JSON, a markdown
 * table and a PNG timeline.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.resilientai.benchmarks.harness.BrownoutHarness
 * [--scale=1.0] [--rate=50] [--delay=300] [--max-ratio=0.2] [--out=target/brownout]}. Every
 * target is on 127.0.0.1 and the harness stops by itself (about 80 s at scale 1).
 */
public final class BrownoutHarness {

	static final String PLAIN = OutageHarness.PLAIN;

	static final String TRY_CATCH = OutageHarness.TRY_CATCH;

	static final String NO_HEDGING = "ResilientChatClient, no hedging";

	static final String FIXED = "hedging, fixed delay";

	static final String ADAPTIVE = "hedging, adaptive delay";

	static final String BASELINE = OutageHarness.BASELINE;

	static final List<String> CLIENTS = List.of(PLAIN, TRY_CATCH, NO_HEDGING, FIXED, ADAPTIVE, BASELINE);

	static final List<String> RESILIENT = List.of(NO_HEDGING, FIXED, ADAPTIVE);

	/** The log-normal jitter of every answer of the primary. */
	static final double SIGMA = 0.5;

	static final double HEALTHY_MEDIAN = 5;

	static final double PEAK_MEDIAN = 1500;

	/** The starter's default bulkhead ({@code max-concurrent-calls}). */
	static final int BULKHEAD = 100;

	private BrownoutHarness() {
	}

	public static void main(String[] args) throws Exception {
		double scale = 1.0;
		double rate = 50;
		long delay = 300;
		double maxRatio = 0.2;
		Path out = Path.of("target", "brownout");
		for (String arg : args) {
			if (arg.startsWith("--scale=")) {
				scale = Double.parseDouble(arg.substring(8));
			}
			else if (arg.startsWith("--rate=")) {
				rate = Double.parseDouble(arg.substring(7));
			}
			else if (arg.startsWith("--delay=")) {
				delay = Long.parseLong(arg.substring(8));
			}
			else if (arg.startsWith("--max-ratio=")) {
				maxRatio = Double.parseDouble(arg.substring(12));
			}
			else if (arg.startsWith("--out=")) {
				out = Path.of(arg.substring(6));
			}
		}
		BrownoutReport report = run(scale, rate, Duration.ofMillis(delay), maxRatio, out);
		System.out.println(Files.readString(out.resolve("brownout.md")));
		System.out.println("Written: " + out.resolve("brownout.json") + ", " + out.resolve("brownout.md") + ", "
				+ out.resolve("brownout.png") + " (" + report.phases().size() + " phases)");
		System.exit(0);
	}

	/**
	 * Run the brownout timeline.
	 * @param scale multiplies every phase's length (1.0: 60 s of timeline)
	 * @param rate requests per second per client
	 * @param delay the fixed hedging delay, and the adaptive delay's cap
	 * @param maxRatio the hedging budget of both hedging clients
	 * @param out where to write brownout.json, brownout.md and brownout.png
	 * @return the report
	 */
	public static BrownoutReport run(double scale, double rate, Duration delay, double maxRatio, Path out)
			throws Exception {
		System.setProperty("java.awt.headless", "true");
		System.setProperty("sun.net.httpserver.nodelay", "true");
		List<Step> steps = timeline(scale);
		AtomicLong startRef = new AtomicLong(Long.MAX_VALUE);
		Map<String, StubProvider> primaries = new LinkedHashMap<>();
		Map<String, StubProvider> secondaries = new LinkedHashMap<>();
		for (String client : CLIENTS) {
			StubProvider primary = new StubProvider("primary", 5, 1000, 512);
			if (!client.equals(BASELINE)) {
				primary.latency(() -> medianAt(steps, System.currentTimeMillis() - startRef.get())
						* Math.exp(SIGMA * ThreadLocalRandom.current().nextGaussian()));
			}
			primaries.put(client, primary);
			secondaries.put(client, new StubProvider("secondary", 5, 1000, 512));
		}
		Duration breakerWait = Duration.ofMillis(Math.max(200, (long) (5000 * scale)));
		Hedging fixed = Hedging.of(delay, maxRatio);
		Hedging adaptive = Hedging.adaptive(delay, maxRatio);
		Map<String, FailoverExecutor> executors = new LinkedHashMap<>();
		Map<String, List<Long>> opened = new LinkedHashMap<>();
		Map<String, List<Transition>> transitions = new LinkedHashMap<>();
		for (String client : RESILIENT) {
			FailoverExecutor executor = OutageHarness.resilientExecutor(primaries.get(client),
					secondaries.get(client), breakerWait, BULKHEAD);
			if (client.equals(FIXED)) {
				executor.setHedging(fixed);
			}
			else if (client.equals(ADAPTIVE)) {
				executor.setHedging(adaptive);
			}
			List<Long> openedAt = new CopyOnWriteArrayList<>();
			List<Transition> changes = new CopyOnWriteArrayList<>();
			executor.getProviders().get(0).getCircuitBreaker().getEventPublisher().onStateTransition((event) -> {
				CircuitBreaker.State to = event.getStateTransition().getToState();
				if (to == CircuitBreaker.State.OPEN) {
					openedAt.add(System.currentTimeMillis());
				}
				changes.add(new Transition(System.currentTimeMillis(), to));
			});
			transitions.put(client, changes);
			executors.put(client, executor);
			opened.put(client, openedAt);
		}
		Map<String, Supplier<String>> clients = clients(primaries, secondaries, executors);
		warmUp(clients, scale);
		executors.values()
			.forEach((executor) -> executor.getProviders().forEach((provider) -> provider.getCircuitBreaker().reset()));
		opened.values().forEach(List::clear);
		transitions.values().forEach(List::clear);

		long end = steps.get(steps.size() - 1).phase().endMillis();
		long start = System.currentTimeMillis() + 200;
		startRef.set(start);
		ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
		Map<Long, Sample> inFlight = new ConcurrentHashMap<>();
		AtomicLong ids = new AtomicLong();
		ScheduledExecutorService ticks = Executors.newScheduledThreadPool(2, daemon("brownout-tick"));
		Map<String, ExecutorService> pools = new LinkedHashMap<>();
		long periodMicros = Math.max(1, Math.round(1_000_000 / rate));
		for (String client : CLIENTS) {
			ExecutorService pool = Executors.newCachedThreadPool(daemon("caller-" + client));
			pools.put(client, pool);
			Supplier<String> call = clients.get(client);
			ticks.scheduleAtFixedRate(() -> {
				long now = System.currentTimeMillis();
				if (now >= start + end) {
					return;
				}
				long id = ids.incrementAndGet();
				inFlight.put(id, new Sample(client, now - start, 0, false, "unfinished"));
				pool.execute(() -> {
					long t0 = System.nanoTime();
					String servedBy;
					boolean ok;
					try {
						servedBy = call.get();
						ok = true;
					}
					catch (Exception ex) {
						// Kotlin's SDK throws InterruptedException unchecked when the run ends
						servedBy = "failed";
						ok = false;
					}
					inFlight.remove(id);
					samples.add(new Sample(client, now - start, (System.nanoTime() - t0) / 1_000_000.0, ok, servedBy));
				});
			}, start - System.currentTimeMillis(), periodMicros, TimeUnit.MICROSECONDS);
		}
		// the hedging lanes' delay over time, every 100 ms
		Map<String, XYSeries> delays = new LinkedHashMap<>();
		delays.put(FIXED, new XYSeries("hedge delay ms"));
		delays.put(ADAPTIVE, new XYSeries("hedge delay ms"));
		List<double[]> adaptiveDelays = new CopyOnWriteArrayList<>();
		ticks.scheduleAtFixedRate(() -> {
			long at = System.currentTimeMillis() - start;
			if (at < 0 || at > end) {
				return;
			}
			double adaptiveMillis = adaptive.currentDelay("primary").toNanos() / 1e6;
			adaptiveDelays.add(new double[] { at, adaptiveMillis });
			synchronized (delays) {
				delays.get(FIXED).add(at / 1000.0, fixed.currentDelay("primary").toNanos() / 1e6);
				delays.get(ADAPTIVE).add(at / 1000.0, adaptiveMillis);
			}
		}, start - System.currentTimeMillis(), 100, TimeUnit.MILLISECONDS);

		// hedging counters at every phase boundary
		List<Map<String, long[]>> counters = new ArrayList<>();
		for (Step step : steps) {
			OutageHarness.sleepUntil(start + step.phase().startMillis());
			counters.add(hedgeCounters(executors));
		}
		OutageHarness.sleepUntil(start + end);
		counters.add(hedgeCounters(executors));
		long grace = System.currentTimeMillis() + Math.max(2000, (long) (5000 * scale));
		while (!inFlight.isEmpty() && System.currentTimeMillis() < grace) {
			TimeUnit.MILLISECONDS.sleep(20);
		}
		ticks.shutdownNow();
		long stopped = System.currentTimeMillis();
		for (Sample unfinished : inFlight.values()) {
			samples.add(new Sample(unfinished.client(), unfinished.startMillis(),
					stopped - start - unfinished.startMillis(), false, "unfinished"));
		}
		primaries.values().forEach(StubProvider::close);
		secondaries.values().forEach(StubProvider::close);
		executors.values().forEach(FailoverExecutor::close);
		pools.values().forEach(ExecutorService::shutdownNow);

		BrownoutReport report = BrownoutReport.build(steps, start, List.copyOf(samples), primaries, secondaries,
				counters, opened, transitions, adaptiveDelays, scale, rate, delay, maxRatio, delay.dividedBy(10));
		Files.createDirectories(out);
		JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
		Files.writeString(out.resolve("brownout.json"), json.writeValueAsString(report));
		Files.writeString(out.resolve("brownout.md"), report.markdown());
		List<TimelineChart.Shade> shades = steps.stream()
			.filter((step) -> step.phase().fault() != StubProvider.Mode.HEALTHY)
			.map((step) -> new TimelineChart.Shade(step.phase().name(), step.phase().startMillis(),
					step.phase().endMillis()))
			.toList();
		TimelineChart.write(CLIENTS, shades, end, samples, delays,
				"Requests per second by serving provider (left), p99 latency per second (dashed) and hedge delay "
						+ "(orange; right, ms); the primary's brownout shaded",
				out.resolve("brownout.png"), 1500);
		return report;
	}

	/**
	 * The timeline: healthy 10 s, the median climbing from 5 ms to 1.5 s over 30 s (reported in
	 * thirds), held at 1.5 s for 10 s, healthy again for 10 s.
	 */
	static List<Step> timeline(double scale) {
		double third = Math.cbrt(PEAK_MEDIAN / HEALTHY_MEDIAN);
		double m1 = HEALTHY_MEDIAN * third;
		double m2 = m1 * third;
		Object[][] script = { { "healthy", HEALTHY_MEDIAN, HEALTHY_MEDIAN },
				{ "climb 5 → " + Math.round(m1) + " ms", HEALTHY_MEDIAN, m1 },
				{ "climb " + Math.round(m1) + " → " + Math.round(m2) + " ms", m1, m2 },
				{ "climb " + Math.round(m2) + " ms → 1.5 s", m2, PEAK_MEDIAN },
				{ "held at 1.5 s", PEAK_MEDIAN, PEAK_MEDIAN }, { "recovery", HEALTHY_MEDIAN, HEALTHY_MEDIAN } };
		List<Step> steps = new ArrayList<>();
		long at = 0;
		for (Object[] line : script) {
			long length = Math.max(300, (long) (10_000 * scale));
			double from = (Double) line[1];
			double to = (Double) line[2];
			StubProvider.Mode mode = (from == HEALTHY_MEDIAN && to == HEALTHY_MEDIAN) ? StubProvider.Mode.HEALTHY
					: StubProvider.Mode.BROWNOUT;
			steps.add(new Step(new Phase((String) line[0], mode, at, at + length), from, to));
			at += length;
		}
		return steps;
	}

	/** The primary's median latency at a time of the run (millis from its start). */
	static double medianAt(List<Step> steps, long millis) {
		if (millis < 0) {
			return HEALTHY_MEDIAN;
		}
		for (Step step : steps) {
			Phase phase = step.phase();
			if (millis < phase.endMillis()) {
				double fraction = (double) (millis - phase.startMillis()) / (phase.endMillis() - phase.startMillis());
				return step.fromMillis() * Math.pow(step.toMillis() / step.fromMillis(), fraction);
			}
		}
		return HEALTHY_MEDIAN;
	}

	private static Map<String, long[]> hedgeCounters(Map<String, FailoverExecutor> executors) {
		Map<String, long[]> counters = new LinkedHashMap<>();
		executors.forEach((client, executor) -> {
			Hedging hedging = executor.getHedging();
			counters.put(client, new long[] { hedging.startedCount("secondary"), hedging.wonCount("secondary"),
					hedging.cancelledCount("primary") });
		});
		return counters;
	}

	private static Map<String, Supplier<String>> clients(Map<String, StubProvider> primaries,
			Map<String, StubProvider> secondaries, Map<String, FailoverExecutor> executors) {
		Map<String, Supplier<String>> clients = new LinkedHashMap<>();
		ChatClient plain = ChatClient.create(OutageHarness.springAiDefaults(primaries.get(PLAIN)));
		clients.put(PLAIN, () -> plain.prompt().user("hi").call().content());
		ChatClient tryPrimary = ChatClient.create(OutageHarness.springAiDefaults(primaries.get(TRY_CATCH)));
		ChatClient trySecondary = ChatClient.create(OutageHarness.springAiDefaults(secondaries.get(TRY_CATCH)));
		clients.put(TRY_CATCH, () -> {
			try {
				return tryPrimary.prompt().user("hi").call().content();
			}
			catch (RuntimeException ex) {
				return trySecondary.prompt().user("hi").call().content();
			}
		});
		for (String client : RESILIENT) {
			DefaultResilientChatClient resilient = new DefaultResilientChatClient(ChatClient
				.builder(new FailoverChatModel(executors.get(client)))
				.defaultAdvisors(new RoutingAdvisor())
				.build());
			clients.put(client, () -> resilient.prompt().user("hi").call().content());
		}
		ChatClient direct = ChatClient.create(OutageHarness.springAiDefaults(secondaries.get(BASELINE)));
		clients.put(BASELINE, () -> direct.prompt().user("hi").call().content());
		return clients;
	}

	/** Class loading, JIT, connection pools, and the adaptive delay's first answers. */
	private static void warmUp(Map<String, Supplier<String>> clients, double scale) {
		int calls = Math.max(40, (int) (300 * scale));
		for (Supplier<String> client : clients.values()) {
			for (int i = 0; i < calls; i++) {
				try {
					client.get();
				}
				catch (RuntimeException ex) {
					// warm-up only
				}
			}
		}
	}

	private static java.util.concurrent.ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return (runnable) -> {
			Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	/** A state transition of a breaker on the primary, epoch millis. */
	record Transition(long atMillis, CircuitBreaker.State to) {
	}

	/** One phase and the primary's median latency from its start to its end. */
	record Step(Phase phase, double fromMillis, double toMillis) {
	}

	static String label(double millis) {
		return (millis >= 1000) ? String.format(Locale.ROOT, "%.1f s", millis / 1000)
				: String.format(Locale.ROOT, "%.0f ms", millis);
	}

}
