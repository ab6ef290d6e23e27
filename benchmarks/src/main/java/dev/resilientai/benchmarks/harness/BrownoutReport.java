package dev.resilientai.benchmarks.harness;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.resilientai.benchmarks.harness.BrownoutHarness.Step;
import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

/**
 * The figures of one run of the brownout lane: per phase and client, and over the whole
 * brownout (the climb and the hold). Counts and ratios hold on any machine; latencies are
 * this machine's.
 */
public record BrownoutReport(Report.Machine machine, double scale, double requestsPerSecondPerClient,
		Settings settings, double peakRequestsPerSecond, List<PhaseReport> phases, Map<String, ClientStats> brownout) {

	static BrownoutReport build(List<Step> steps, long start, List<Sample> samples, Map<String, StubProvider> primaries,
			Map<String, StubProvider> secondaries, List<Map<String, long[]>> counters, Map<String, List<Long>> opened,
			Map<String, List<BrownoutHarness.Transition>> transitions, List<double[]> adaptiveDelays, double scale, double rate, Duration delay, double maxRatio,
			Duration floor) {
		List<PhaseReport> phases = new java.util.ArrayList<>();
		long brownoutFrom = Long.MAX_VALUE;
		long brownoutTo = 0;
		int firstBrownout = -1;
		int lastBrownout = -1;
		for (int i = 0; i < steps.size(); i++) {
			Step step = steps.get(i);
			OutageHarness.Phase phase = step.phase();
			if (phase.fault() == StubProvider.Mode.BROWNOUT) {
				brownoutFrom = Math.min(brownoutFrom, phase.startMillis());
				brownoutTo = Math.max(brownoutTo, phase.endMillis());
				firstBrownout = (firstBrownout < 0) ? i : firstBrownout;
				lastBrownout = i;
			}
			Map<String, ClientStats> clients = new LinkedHashMap<>();
			for (String client : BrownoutHarness.CLIENTS) {
				clients.put(client, ClientStats.of(samples, client, start, phase.startMillis(), phase.endMillis(),
						primaries, secondaries, counters.get(i).get(client), counters.get(i + 1).get(client)));
			}
			Map<String, @Nullable Long> openAfter = new LinkedHashMap<>();
			opened.forEach((client, times) -> openAfter.put(client, times.stream()
				.map((t) -> t - start)
				.filter((t) -> t >= phase.startMillis() && t < phase.endMillis())
				.min(Long::compare)
				.map((t) -> t - phase.startMillis())
				.orElse(null)));
			Map<String, @Nullable Long> trafficBack = new LinkedHashMap<>();
			if (phase.fault() == StubProvider.Mode.HEALTHY && i > 0) {
				for (String client : BrownoutHarness.RESILIENT) {
					trafficBack.put(client, samples.stream()
						.filter((s) -> s.client().equals(client) && s.ok() && s.servedBy().equals("primary")
								&& s.startMillis() >= phase.startMillis() && s.startMillis() < phase.endMillis())
						.map((s) -> (long) (s.startMillis() + s.latencyMillis()) - phase.startMillis())
						.min(Long::compare)
						.orElse(null));
				}
			}
			Map<String, Long> halfOpen = new LinkedHashMap<>();
			transitions.forEach((client, changes) -> halfOpen.put(client,
					halfOpenMillis(changes, start + phase.startMillis(), start + phase.endMillis())));
			double[] delays = adaptiveDelays.stream()
				.filter((d) -> d[0] >= phase.startMillis() && d[0] < phase.endMillis())
				.mapToDouble((d) -> d[1])
				.sorted()
				.toArray();
			DelayStats delayStats = (delays.length == 0) ? null
					: new DelayStats(delays[delays.length / 2], delays[0], delays[delays.length - 1]);
			phases.add(new PhaseReport(phase.name(), phase.startMillis(), phase.endMillis(), step.fromMillis(),
					step.toMillis(), clients, openAfter, halfOpen, trafficBack, delayStats));
		}
		Map<String, ClientStats> brownout = new LinkedHashMap<>();
		for (String client : BrownoutHarness.CLIENTS) {
			brownout.put(client, ClientStats.of(samples, client, start, brownoutFrom, brownoutTo, primaries,
					secondaries, counters.get(firstBrownout).get(client), counters.get(lastBrownout + 1).get(client)));
		}
		Settings settings = new Settings(delay.toMillis(), maxRatio, floor.toMillis(), 95, 64, BrownoutHarness.SIGMA,
				1000, 800, BrownoutHarness.BULKHEAD);
		return new BrownoutReport(new Report.Machine(Runtime.getRuntime().availableProcessors(),
				System.getProperty("java.version"), System.getProperty("os.name") + " " + System.getProperty("os.arch")),
				scale, rate, settings, peakRate(samples), phases, brownout);
	}

	/** How long the breaker was half-open within a window (epoch millis); closed at the start. */
	private static long halfOpenMillis(List<BrownoutHarness.Transition> changes, long from, long to) {
		long total = 0;
		CircuitBreaker.State state = CircuitBreaker.State.CLOSED;
		long since = Long.MIN_VALUE;
		for (BrownoutHarness.Transition change : changes) {
			if (state == CircuitBreaker.State.HALF_OPEN) {
				total += Math.max(0, Math.min(change.atMillis(), to) - Math.max(since, from));
			}
			state = change.to();
			since = change.atMillis();
		}
		if (state == CircuitBreaker.State.HALF_OPEN) {
			total += Math.max(0, to - Math.max(since, from));
		}
		return total;
	}

	private static double peakRate(List<Sample> samples) {
		Map<Long, Integer> perSecond = new LinkedHashMap<>();
		for (Sample sample : samples) {
			perSecond.merge((long) (sample.startMillis() + sample.latencyMillis()) / 1000, 1, Integer::sum);
		}
		return perSecond.values().stream().mapToInt(Integer::intValue).max().orElse(0);
	}

	/**
	 * The report as markdown tables.
	 * @return the markdown
	 */
	public String markdown() {
		StringBuilder md = new StringBuilder();
		md.append(String.format(Locale.ROOT,
				"Machine: %d cores, Java %s, %s. Scale %s, %.0f requests per second per client (open loop); "
						+ "peak load of the run %.0f req/s over all clients. Primary: median latency times a "
						+ "log-normal jitter (sigma %.1f). Hedging: delay %d ms (adaptive: p%d of the last %d answers, "
						+ "floor %d ms, cap %d ms), max-ratio %.2f. Attempt timeout %d ms, slow calls over %d ms, "
						+ "bulkhead %d.%n%n",
				this.machine.cores(), this.machine.java(), this.machine.os(), this.scale, this.requestsPerSecondPerClient,
				this.peakRequestsPerSecond, this.settings.sigma(), this.settings.delayMillis(),
				this.settings.adaptivePercentile(), this.settings.adaptiveWindow(), this.settings.adaptiveFloorMillis(),
				this.settings.delayMillis(), this.settings.maxRatio(), this.settings.attemptTimeoutMillis(),
				this.settings.slowCallMillis(), this.settings.bulkhead()));
		md.append("| phase | client | requests | success | p50 ms | p90 ms | p99 ms | max ms | mean ms | "
				+ "provider requests per request | hedged |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (PhaseReport phase : this.phases) {
			for (Map.Entry<String, ClientStats> entry : phase.clients().entrySet()) {
				md.append(row(phase.phase(), entry.getKey(), entry.getValue()));
			}
		}
		md.append("\n| phase | primary median | breaker open after: no hedging / fixed / adaptive | "
				+ "breaker half-open for: no hedging / fixed / adaptive | traffic back to the primary after: "
				+ "no hedging / fixed / adaptive | adaptive delay: median (min–max) |\n|---|---|---|---|---|---|\n");
		for (PhaseReport phase : this.phases) {
			md.append("| ")
				.append(phase.phase())
				.append(" | ")
				.append(BrownoutHarness.label(phase.primaryMedianFromMillis()))
				.append((phase.primaryMedianFromMillis() == phase.primaryMedianToMillis()) ? ""
						: " → " + BrownoutHarness.label(phase.primaryMedianToMillis()))
				.append(" | ")
				.append(String.join(" / ", phase.breakerOpenAfterMillis()
					.values()
					.stream()
					.map((v) -> (v != null) ? v + " ms" : "-")
					.toList()))
				.append(" | ")
				.append(String.join(" / ",
						phase.breakerHalfOpenMillis().values().stream().map((v) -> v + " ms").toList()))
				.append(" | ")
				.append(phase.trafficBackAfterMillis().isEmpty() ? "-"
						: String.join(" / ", phase.trafficBackAfterMillis()
							.values()
							.stream()
							.map((v) -> (v != null) ? v + " ms" : "never")
							.toList()))
				.append(" | ")
				.append((phase.adaptiveDelay() != null) ? String.format(Locale.ROOT, "%.0f ms (%.0f–%.0f)",
						phase.adaptiveDelay().medianMillis(), phase.adaptiveDelay().minMillis(),
						phase.adaptiveDelay().maxMillis()) : "-")
				.append(" |\n");
		}
		md.append("\nThe whole brownout (the climb and the hold):\n\n");
		md.append("| phase | client | requests | success | p50 ms | p90 ms | p99 ms | max ms | mean ms | "
				+ "provider requests per request | hedged |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (Map.Entry<String, ClientStats> entry : this.brownout.entrySet()) {
			md.append(row("brownout", entry.getKey(), entry.getValue()));
		}
		return md.toString();
	}

	private static String row(String phase, String client, ClientStats stats) {
		boolean hedging = client.equals(BrownoutHarness.FIXED) || client.equals(BrownoutHarness.ADAPTIVE);
		return String.format(Locale.ROOT, "| %s | %s | %d | %.1f %% | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s |%n",
				phase, client, stats.requests(), stats.successRate() * 100, stats.p50Millis(), stats.p90Millis(),
				stats.p99Millis(), stats.maxMillis(), stats.meanMillis(), stats.providerRequestsPerRequest(),
				hedging ? String.format(Locale.ROOT, "%.1f %% (%d won)", stats.hedgedShare() * 100, stats.hedgesWon())
						: "-");
	}

	/** The lane's settings. */
	public record Settings(long delayMillis, double maxRatio, long adaptiveFloorMillis, int adaptivePercentile,
			int adaptiveWindow, double sigma, long attemptTimeoutMillis, long slowCallMillis, int bulkhead) {
	}

	/** One phase. */
	public record PhaseReport(String phase, long startMillis, long endMillis, double primaryMedianFromMillis,
			double primaryMedianToMillis, Map<String, ClientStats> clients,
			Map<String, @Nullable Long> breakerOpenAfterMillis, Map<String, Long> breakerHalfOpenMillis,
			Map<String, @Nullable Long> trafficBackAfterMillis, @Nullable DelayStats adaptiveDelay) {
	}

	/** The adaptive lane's delay for the primary, sampled every 100 ms. */
	public record DelayStats(double medianMillis, double minMillis, double maxMillis) {
	}

	/**
	 * One client in a window: the requests that started in it, and the provider requests and
	 * hedges of the window (the hedging counters read at its start and end).
	 */
	public record ClientStats(int requests, double successRate, double p50Millis, double p90Millis, double p99Millis,
			double maxMillis, double meanMillis, long providerRequests, double providerRequestsPerRequest, long hedges,
			long hedgesWon, double hedgedShare) {

		static ClientStats of(List<Sample> all, String client, long start, long from, long to,
				Map<String, StubProvider> primaries, Map<String, StubProvider> secondaries, long @Nullable [] before,
				long @Nullable [] after) {
			List<Sample> samples = Report.between(all, client, from, to);
			long ok = samples.stream().filter(Sample::ok).count();
			double[] latencies = samples.stream().mapToDouble(Sample::latencyMillis).sorted().toArray();
			long providerRequests = secondaries.get(client).requestsBetween(start + from, start + to)
					+ (client.equals(BrownoutHarness.BASELINE) ? 0
							: primaries.get(client).requestsBetween(start + from, start + to));
			long hedges = (before != null && after != null) ? after[0] - before[0] : 0;
			long won = (before != null && after != null) ? after[1] - before[1] : 0;
			int n = samples.size();
			return new ClientStats(n, (n == 0) ? Double.NaN : (double) ok / n, percentile(latencies, 0.5),
					percentile(latencies, 0.9), percentile(latencies, 0.99),
					(n == 0) ? Double.NaN : latencies[n - 1], Arrays.stream(latencies).average().orElse(Double.NaN),
					providerRequests, (n == 0) ? Double.NaN : (double) providerRequests / n, hedges, won,
					(n == 0) ? Double.NaN : (double) hedges / n);
		}

		private static double percentile(double[] sorted, double quantile) {
			if (sorted.length == 0) {
				return Double.NaN;
			}
			return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * quantile) - 1))];
		}

	}

}
