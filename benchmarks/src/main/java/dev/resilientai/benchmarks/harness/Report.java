package dev.resilientai.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import org.jspecify.annotations.Nullable;

/**
 * The figures of one harness run: per phase and client, and the targets of
 * {@code ResilientChatClient}. Counts and ratios hold on any machine; latencies are this
 * machine's.
 */
public record Report(Machine machine, double scale, int callersPerClient, double stubCapacityPerSecond,
		double peakRequestsPerSecond, List<PhaseReport> phases, Targets targets, PeerReport peers) {

	static Report build(List<Phase> phases, long start, List<Sample> samples, Map<String, StubProvider> primaries,
			List<Long> breakerOpenedAt, double stubCapacity, int callers, double scale, PeerReport peers) {
		List<PhaseReport> reports = new ArrayList<>();
		for (Phase phase : phases) {
			Map<String, ClientStats> clients = new LinkedHashMap<>();
			Map<String, Long> trafficBack = new LinkedHashMap<>();
			for (String client : primaries.keySet()) {
				List<Sample> in = between(samples, client, phase.startMillis(), phase.endMillis());
				long primaryRequests = primaries.get(client)
					.requestsBetween(start + phase.startMillis(), start + phase.endMillis());
				clients.put(client, ClientStats.of(in, client.equals(OutageHarness.BASELINE) ? 0 : primaryRequests));
				if (phase.fault() == StubProvider.Mode.HEALTHY && !client.equals(OutageHarness.BASELINE)) {
					trafficBack.put(client, samples.stream()
						.filter((s) -> s.client().equals(client) && s.ok() && s.servedBy().equals("primary")
								&& s.startMillis() >= phase.startMillis() && s.startMillis() < phase.endMillis())
						.map((s) -> (long) (s.startMillis() + s.latencyMillis()) - phase.startMillis())
						.min(Long::compare)
						.orElse(null));
				}
			}
			Long openAfter = (phase.fault() == StubProvider.Mode.HEALTHY) ? null
					: breakerOpenedAt.stream()
						.map((t) -> t - start)
						.filter((t) -> t >= phase.startMillis() && t < phase.endMillis())
						.min(Long::compare)
						.map((t) -> t - phase.startMillis())
						.orElse(null);
			// callers of ResilientChatClient that waited about an attempt timeout once its breaker
			// had opened in this phase: the price of probes a caller waits on
			Integer delayedByProbes = null;
			if (openAfter != null) {
				long opened = phase.startMillis() + openAfter;
				delayedByProbes = (int) samples.stream()
					.filter((s) -> s.client().equals(OutageHarness.RESILIENT) && s.startMillis() > opened
							&& s.startMillis() < phase.endMillis() && s.latencyMillis() >= 900)
					.count();
			}
			reports.add(new PhaseReport(phase.name(), phase.fault().name().toLowerCase(Locale.ROOT),
					phase.startMillis(), phase.endMillis(), clients, openAfter, trafficBack, delayedByProbes));
		}
		return new Report(new Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
				System.getProperty("os.name") + " " + System.getProperty("os.arch")), scale, callers, stubCapacity,
				peakRate(samples), reports, Targets.of(phases, start, samples, primaries, breakerOpenedAt, reports), peers);
	}

	static List<Sample> between(List<Sample> samples, String client, long from, long to) {
		return samples.stream()
			.filter((s) -> s.client().equals(client) && s.startMillis() >= from && s.startMillis() < to)
			.toList();
	}

	private static double peakRate(List<Sample> samples) {
		Map<Long, Integer> perSecond = new LinkedHashMap<>();
		for (Sample sample : samples) {
			perSecond.merge((long) (sample.startMillis() + sample.latencyMillis()) / 1000, 1, Integer::sum);
		}
		return perSecond.values().stream().mapToInt(Integer::intValue).max().orElse(0);
	}

	static double percentile(List<Sample> samples, double quantile) {
		if (samples.isEmpty()) {
			return Double.NaN;
		}
		double[] sorted = samples.stream().mapToDouble(Sample::latencyMillis).toArray();
		Arrays.sort(sorted);
		return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * quantile) - 1))];
	}

	/**
	 * The report as a markdown table.
	 * @return the markdown
	 */
	public String markdown() {
		StringBuilder md = new StringBuilder();
		md.append("Machine: ")
			.append(this.machine.cores())
			.append(" cores, Java ")
			.append(this.machine.java())
			.append(", ")
			.append(this.machine.os())
			.append(". Scale ")
			.append(this.scale)
			.append(", ")
			.append(this.callersPerClient)
			.append(" callers per client. Stub capacity ")
			.append(Math.round(this.stubCapacityPerSecond))
			.append(" req/s per stub; peak load of the run ")
			.append(Math.round(this.peakRequestsPerSecond))
			.append(" req/s over all ")
			.append(this.phases.get(0).clients().size() * 2)
			.append(" stubs.\n\n");
		md.append("| phase | client | requests | success | p50 ms | p99 ms | max ms | requests to primary per request |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
		for (PhaseReport phase : this.phases) {
			for (Map.Entry<String, ClientStats> entry : phase.clients().entrySet()) {
				ClientStats stats = entry.getValue();
				md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f %% | %.1f | %.1f | %.1f | %s |%n",
						phase.phase(), entry.getKey(), stats.requests(), stats.successRate() * 100, stats.p50Millis(),
						stats.p99Millis(), stats.maxMillis(), entry.getKey().equals(OutageHarness.BASELINE) ? "-"
								: String.format(Locale.ROOT, "%.2f", stats.primaryRequestsPerRequest())));
			}
		}
		md.append("\n| phase | ResilientChatClient breaker open after | ResilientChatClient callers delayed by probes (≥ 900 ms once open) | traffic back to the primary after ("
				+ String.join(" / ", this.phases.get(0).trafficBackAfterMillis().keySet()) + ") |\n|---|---:|---:|---|\n");
		for (PhaseReport phase : this.phases) {
			md.append("| ")
				.append(phase.phase())
				.append(" | ")
				.append((phase.breakerOpenAfterMillis() != null) ? phase.breakerOpenAfterMillis() + " ms" : "-")
				.append(" | ")
				.append((phase.callersDelayedByProbes() != null) ? phase.callersDelayedByProbes() : "-")
				.append(" | ")
				.append(phase.trafficBackAfterMillis().isEmpty() ? "-"
						: String.join(" / ", phase.trafficBackAfterMillis()
							.values()
							.stream()
							.map((v) -> (v != null) ? v + " ms" : "never")
							.toList()))
				.append(" |\n");
		}
		md.append("\nResilientChatClient targets:\n\n").append(this.targets.markdown());
		md.append(this.peers.markdown());
		return md.toString();
	}

	/** The machine the run was made on. */
	public record Machine(int cores, String java, String os) {
	}

	/** One phase of the timeline. */
	public record PhaseReport(String phase, String fault, long startMillis, long endMillis,
			Map<String, ClientStats> clients, @Nullable Long breakerOpenAfterMillis,
			Map<String, @Nullable Long> trafficBackAfterMillis, @Nullable Integer callersDelayedByProbes) {
	}

	/** One client in one phase. */
	public record ClientStats(int requests, double successRate, double p50Millis, double p99Millis, double maxMillis,
			double primaryRequestsPerRequest) {

		static ClientStats of(List<Sample> samples, long primaryRequests) {
			long ok = samples.stream().filter(Sample::ok).count();
			double max = samples.stream().mapToDouble(Sample::latencyMillis).max().orElse(Double.NaN);
			return new ClientStats(samples.size(), samples.isEmpty() ? Double.NaN : (double) ok / samples.size(),
					percentile(samples, 0.5), percentile(samples, 0.99), max,
					samples.isEmpty() ? Double.NaN : (double) primaryRequests / samples.size());
		}

	}

	/**
	 * The targets of {@code ResilientChatClient}, measured once its breaker on the primary is
	 * open: no failed request through an outage, at most 0.02 requests to the dead primary per
	 * request, and a p99 within 5 ms of the secondary's own (the always-healthy direct client's,
	 * in the same window).
	 */
	public record Targets(double outageSuccessRate, @Nullable Double outagePrimaryRequestsPerRequestOnceOpen,
			@Nullable Double outageP99OnceOpenMillis, @Nullable Double outageSecondaryOwnP99Millis,
			@Nullable Double hangP99OnceOpenMillis, @Nullable Double hangSecondaryOwnP99Millis, boolean successMet,
			boolean deadPrimaryMet, boolean outageP99Met, boolean hangP99Met) {

		static Targets of(List<Phase> phases, long start, List<Sample> samples, Map<String, StubProvider> primaries,
				List<Long> breakerOpenedAt, List<PhaseReport> reports) {
			Phase outage = phases.stream().filter((p) -> p.fault() == StubProvider.Mode.OUTAGE).findFirst().orElseThrow();
			Phase hang = phases.stream().filter((p) -> p.fault() == StubProvider.Mode.HANG).findFirst().orElseThrow();
			double success = reports.get(phases.indexOf(outage)).clients().get(OutageHarness.RESILIENT).successRate();
			Long outageOpen = openedIn(outage, start, breakerOpenedAt);
			Long hangOpen = openedIn(hang, start, breakerOpenedAt);
			Double perRequest = null;
			Double outageP99 = null;
			Double outageOwn = null;
			if (outageOpen != null) {
				List<Sample> after = between(samples, OutageHarness.RESILIENT, outageOpen, outage.endMillis());
				perRequest = after.isEmpty() ? null
						: (double) primaries.get(OutageHarness.RESILIENT)
							.requestsBetween(start + outageOpen, start + outage.endMillis()) / after.size();
				outageP99 = percentile(after, 0.99);
				outageOwn = percentile(between(samples, OutageHarness.BASELINE, outageOpen, outage.endMillis()), 0.99);
			}
			Double hangP99 = null;
			Double hangOwn = null;
			if (hangOpen != null) {
				hangP99 = percentile(between(samples, OutageHarness.RESILIENT, hangOpen, hang.endMillis()), 0.99);
				hangOwn = percentile(between(samples, OutageHarness.BASELINE, hangOpen, hang.endMillis()), 0.99);
			}
			return new Targets(success, perRequest, outageP99, outageOwn, hangP99, hangOwn, success >= 1.0,
					perRequest != null && perRequest <= 0.02,
					outageP99 != null && outageOwn != null && outageP99 - outageOwn <= 5,
					hangP99 != null && hangOwn != null && hangP99 - hangOwn <= 5);
		}

		private static @Nullable Long openedIn(Phase phase, long start, List<Long> breakerOpenedAt) {
			return breakerOpenedAt.stream()
				.map((t) -> t - start)
				.filter((t) -> t >= phase.startMillis() && t < phase.endMillis())
				.min(Long::compare)
				.orElse(null);
		}

		String markdown() {
			return String.format(Locale.ROOT,
					"| target | figure | met |%n|---|---|---|%n"
							+ "| 100 %% success through the outage | %.2f %% | %s |%n"
							+ "| <= 0.02 requests to the dead primary per request once open | %s | %s |%n"
							+ "| outage p99 once open within 5 ms of the secondary's own | %s vs %s ms | %s |%n"
							+ "| hang p99 once open within 5 ms of the secondary's own | %s vs %s ms | %s |%n",
					this.outageSuccessRate * 100, this.successMet ? "yes" : "**no**", format(this.outagePrimaryRequestsPerRequestOnceOpen),
					this.deadPrimaryMet ? "yes" : "**no**", format(this.outageP99OnceOpenMillis),
					format(this.outageSecondaryOwnP99Millis), this.outageP99Met ? "yes" : "**no**",
					format(this.hangP99OnceOpenMillis), format(this.hangSecondaryOwnP99Millis),
					this.hangP99Met ? "yes" : "**no**");
		}

		private static String format(@Nullable Double value) {
			return (value != null) ? String.format(Locale.ROOT, "%.3f", value) : "n/a";
		}

	}

}
