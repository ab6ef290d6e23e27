package dev.resilientai.benchmarks.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import org.jspecify.annotations.Nullable;

/**
 * The outage harness's comparison with a gateway: whether the Portkey lane ran (and if not,
 * why), the gateway's version, config and RSS, per fault phase and lane when traffic left the
 * failed primary, when it returned after the fault, and how many callers waited on the failed
 * primary, and the added latency per healthy call of each path.
 *
 * <p>Traffic is measured the same way for every lane, from the requests the lane started,
 * the requests its primary stub received and the requests the primary answered, in trailing
 * windows of {@value #WINDOW_MILLIS} ms (shorter on shrunk timelines): traffic has
 * <em>left</em> the failed primary with the lane's first request after which the primary never
 * again received more than 2 % of the lane's requests of the second before (nor any while the
 * lane started fewer than {@value #MIN_REQUESTS} requests a second: its callers stuck on the
 * primary); it has <em>returned</em> with the lane's first request of the recovery after which
 * the primary answered at least 98 % of the lane's requests of every second before a request
 * it did not answer. Either must leave at least {@value #HOLD_WINDOWS} windows of the phase
 * after it, or it is "never".
 *
 * @param portkey "ran", or "skipped: " and the reason
 * @param gatewayVersion the installed {@code @portkey-ai/gateway} version
 * @param nodeVersion the {@code node} that ran it
 * @param gatewayConfig the {@code x-portkey-config} the lane sent
 * @param gatewayPeakRssMiB the gateway's peak RSS during the timeline and the latency turns
 * @param gatewayCpuMillisPerCall the gateway's CPU time per call of the lane
 * @param traffic per fault phase, per lane: traffic leaving and returning, callers delayed
 * @param hop added latency per healthy call
 */
public record PeerReport(String portkey, @Nullable String gatewayVersion, @Nullable String nodeVersion,
		@Nullable String gatewayConfig, @Nullable Double gatewayPeakRssMiB, @Nullable Double gatewayCpuMillisPerCall,
		List<Traffic> traffic, HopLatency hop) {

	/** A lane's traffic has left the primary in a window when at most this share of its requests reached it. */
	static final double LEFT_SHARE = 0.02;

	/** ... and has returned when the primary answered at least this share of them. */
	static final double RETURNED_SHARE = 0.98;

	/** ... in every window in which the lane started at least this many requests. */
	static final int MIN_REQUESTS = 5;

	static final long WINDOW_MILLIS = 1000;

	/** Left or returned for good: for at least this many windows before the phase's end. */
	static final int HOLD_WINDOWS = 2;

	/** A request this slow waited on the failed primary: about an attempt timeout (1 s) or more. */
	static final double DELAYED_MILLIS = 900;

	static PeerReport build(PortkeyLane portkey, List<Phase> phases, long start, List<Sample> samples,
			Map<String, StubProvider> primaries, HopLatency hop) {
		List<Traffic> traffic = new ArrayList<>();
		for (int i = 0; i < phases.size(); i++) {
			Phase phase = phases.get(i);
			if (phase.fault() == StubProvider.Mode.HEALTHY) {
				continue;
			}
			Phase recovery = (i + 1 < phases.size()) ? phases.get(i + 1) : null;
			Map<String, LaneTraffic> lanes = new LinkedHashMap<>();
			for (String lane : primaries.keySet()) {
				if (lane.equals(OutageHarness.BASELINE)) {
					continue;
				}
				List<Sample> in = Report.between(samples, lane, phase.startMillis(), phase.endMillis());
				// a flapping provider is not dead: a breaker rightly lets traffic back between its
				// down-times, so traffic "leaving" it means nothing there
				Long left = (phase.fault() == StubProvider.Mode.FLAPPING) ? null
						: leftAfter(phase, start, in, primaries.get(lane));
				Long returned = (recovery != null) ? returnedAfter(recovery,
						Report.between(samples, lane, recovery.startMillis(), recovery.endMillis())) : null;
				Long firstServed = (recovery != null) ? Report.between(samples, lane, recovery.startMillis(),
						recovery.endMillis())
					.stream()
					.filter((s) -> s.ok() && s.servedBy().equals("primary"))
					.map((s) -> (long) (s.startMillis() + s.latencyMillis()) - recovery.startMillis())
					.min(Long::compare)
					.orElse(null) : null;
				int delayed = (int) in.stream().filter((s) -> s.latencyMillis() >= DELAYED_MILLIS).count();
				Integer delayedAfterLeft = (left == null) ? null
						: (int) in.stream()
							.filter((s) -> s.startMillis() >= phase.startMillis() + left
									&& s.latencyMillis() >= DELAYED_MILLIS)
							.count();
				lanes.put(lane, new LaneTraffic(left, returned, firstServed, delayed, delayedAfterLeft));
			}
			traffic.add(new Traffic(phase.name(), lanes));
		}
		PortkeyGateway gateway = portkey.gateway();
		return new PeerReport((portkey.skipped() != null) ? "skipped: " + portkey.skipped() : "ran",
				(gateway != null) ? gateway.version() : null, (gateway != null) ? gateway.nodeVersion() : null,
				portkey.running() ? portkey.config() : null,
				(portkey.peakRssKiB() > 0) ? portkey.peakRssKiB() / 1024.0 : null,
				(portkey.cpuMillisPerCall() >= 0) ? portkey.cpuMillisPerCall() : null, traffic, hop);
	}

	/** The trailing window: 1 s, shorter on the smoke test's shrunk timelines. */
	private static long window(Phase phase) {
		return Math.min(WINDOW_MILLIS, (phase.endMillis() - phase.startMillis()) / (HOLD_WINDOWS + 2));
	}

	/**
	 * When the lane's traffic left the failed primary, from the fault's start (see the type's
	 * description), or {@code null}: never. A request that reached the primary is a sign the
	 * lane still uses it when, in the second before it (within the phase), the lane started
	 * fewer than 5 requests or more than 2 % as many reached the primary; traffic left with the
	 * lane's first request after the last such sign. A probe now and then among hundreds of
	 * requests a second is no such sign.
	 */
	static @Nullable Long leftAfter(Phase phase, long start, List<Sample> samples, StubProvider primary) {
		return leftAfter(phase, primary.arrivalsBetween(start + phase.startMillis(), start + phase.endMillis())
			.stream()
			.mapToLong((t) -> t - start)
			.toArray(), samples);
	}

	/**
	 * The same from the primary's arrivals (sorted, millis from the run's start).
	 */
	static @Nullable Long leftAfter(Phase phase, long[] arrivals, List<Sample> samples) {
		long[] started = samples.stream().mapToLong(Sample::startMillis).sorted().toArray();
		long window = window(phase);
		long lastSign = Long.MIN_VALUE;
		for (long at : arrivals) {
			long from = Math.max(phase.startMillis(), at - window);
			int lane = lowerBound(started, at + 1) - lowerBound(started, from);
			int toPrimary = lowerBound(arrivals, at + 1) - lowerBound(arrivals, from);
			if (lane < MIN_REQUESTS || toPrimary > LEFT_SHARE * lane) {
				lastSign = at;
			}
		}
		return firstRequestAfter(phase, started, lastSign);
	}

	/**
	 * When the lane's traffic returned to the recovered primary, from the recovery's start
	 * (see the type's description), or {@code null}: never. A request the primary did not
	 * answer is a sign the lane is not back when, in the second before it (within the phase),
	 * the lane started fewer than 5 requests or the primary answered fewer than 98 % of them;
	 * traffic returned with the lane's first request after the last such sign.
	 */
	static @Nullable Long returnedAfter(Phase recovery, List<Sample> samples) {
		long[] started = samples.stream().mapToLong(Sample::startMillis).sorted().toArray();
		long[] served = samples.stream()
			.filter(PeerReport::answeredByPrimary)
			.mapToLong(Sample::startMillis)
			.sorted()
			.toArray();
		long window = window(recovery);
		long lastSign = Long.MIN_VALUE;
		for (Sample sample : samples) {
			if (answeredByPrimary(sample)) {
				continue;
			}
			long at = sample.startMillis();
			long from = Math.max(recovery.startMillis(), at - window);
			int lane = lowerBound(started, at + 1) - lowerBound(started, from);
			int byPrimary = lowerBound(served, at + 1) - lowerBound(served, from);
			if (lane < MIN_REQUESTS || byPrimary < RETURNED_SHARE * lane) {
				lastSign = Math.max(lastSign, at);
			}
		}
		return firstRequestAfter(recovery, started, lastSign);
	}

	private static boolean answeredByPrimary(Sample sample) {
		return sample.ok() && sample.servedBy().equals("primary");
	}

	/**
	 * The start of the lane's first request after the last sign (millis from the phase's
	 * start), if it leaves at least {@value #HOLD_WINDOWS} windows of the phase after it.
	 */
	private static @Nullable Long firstRequestAfter(Phase phase, long[] started, long lastSign) {
		int next = (lastSign == Long.MIN_VALUE) ? lowerBound(started, phase.startMillis())
				: lowerBound(started, lastSign + 1);
		if (next >= started.length) {
			return null;
		}
		long from = Math.max(started[next], phase.startMillis());
		return (from + HOLD_WINDOWS * window(phase) <= phase.endMillis()) ? from - phase.startMillis() : null;
	}

	private static int lowerBound(long[] sorted, long value) {
		int low = 0;
		int high = sorted.length;
		while (low < high) {
			int mid = (low + high) >>> 1;
			if (sorted[mid] < value) {
				low = mid + 1;
			}
			else {
				high = mid;
			}
		}
		return low;
	}

	String markdown() {
		StringBuilder md = new StringBuilder();
		md.append("\nPortkey lane: ").append(this.portkey);
		if (this.gatewayVersion != null) {
			md.append(String.format(Locale.ROOT,
					" (@portkey-ai/gateway %s on node %s; peak RSS %.1f MiB; CPU %.2f ms per call)", this.gatewayVersion,
					this.nodeVersion, (this.gatewayPeakRssMiB != null) ? this.gatewayPeakRssMiB : Double.NaN,
					(this.gatewayCpuMillisPerCall != null) ? this.gatewayCpuMillisPerCall : Double.NaN));
		}
		md.append("\n\n");
		if (this.gatewayConfig != null) {
			md.append("`x-portkey-config`: `").append(this.gatewayConfig).append("`\n\n");
		}
		if (!this.traffic.isEmpty()) {
			List<String> lanes = List.copyOf(this.traffic.get(0).lanes().keySet());
			md.append("Traffic per fault, the same measure for every lane (left: the first request after which the primary "
					+ "never again received more than 2 % of the lane's requests of the second before; returned: the first "
					+ "request of the recovery after which the primary answered at least 98 % of every second's requests; "
					+ "both by the request's start, and leaving at least 2 s of the phase), the "
					+ "first answer of the recovered primary, and the requests that took 900 ms or more (after "
					+ "traffic left, in brackets):\n\n| fault | lane | left after | returned after | first answer "
					+ "from the primary after | delayed ≥ 900 ms (after left) |\n|---|---|---:|---:|---:|---:|\n");
			for (Traffic phase : this.traffic) {
				for (String lane : lanes) {
					LaneTraffic t = phase.lanes().get(lane);
					md.append("| ")
						.append(phase.phase())
						.append(" | ")
						.append(lane)
						.append(" | ")
						.append(phase.phase().equals("flapping") ? "-" : millis(t.leftAfterMillis()))
						.append(" | ")
						.append(millis(t.returnedAfterMillis()))
						.append(" | ")
						.append(millis(t.firstServedAfterMillis()))
						.append(" | ")
						.append(t.delayed())
						.append((t.delayedAfterLeft() != null) ? " (" + t.delayedAfterLeft() + ")" : "")
						.append(" |\n");
				}
			}
		}
		md.append(this.hop.markdown());
		return md.toString();
	}

	private static String millis(@Nullable Long value) {
		return (value != null) ? String.format(Locale.ROOT, "%,d ms", value) : "never";
	}

	/** One fault phase: what each lane's traffic did. */
	public record Traffic(String phase, Map<String, LaneTraffic> lanes) {
	}

	/**
	 * One lane in one fault phase and the recovery after it.
	 *
	 * @param leftAfterMillis when traffic left the failed primary, from the fault's start; {@code null}: never (and always for flapping)
	 * @param returnedAfterMillis when traffic returned, from the recovery's start; {@code null}: never
	 * @param firstServedAfterMillis when the first request of the recovery answered by the primary ended
	 * @param delayed the fault's requests that took 900 ms or more
	 * @param delayedAfterLeft of those, the ones started after traffic had left; {@code null} if it never left
	 */
	public record LaneTraffic(@Nullable Long leftAfterMillis, @Nullable Long returnedAfterMillis,
			@Nullable Long firstServedAfterMillis, int delayed, @Nullable Integer delayedAfterLeft) {
	}

}
