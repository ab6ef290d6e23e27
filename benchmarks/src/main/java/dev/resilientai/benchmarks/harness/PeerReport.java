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
 * why), the gateway's version, config and RSS, per fault phase and lane the time until traffic
 * left the failed primary, and the added latency per healthy call of each path.
 *
 * @param portkey "ran", or "skipped: " and the reason
 * @param gatewayVersion the installed {@code @portkey-ai/gateway} version
 * @param nodeVersion the {@code node} that ran it
 * @param gatewayConfig the {@code x-portkey-config} the lane sent
 * @param gatewayPeakRssMiB the gateway's peak RSS during the timeline and the latency turns
 * @param gatewayCpuMillisPerCall the gateway's CPU time per call of the lane
 * @param trafficLeft per fault phase, per lane: when traffic left the primary
 * @param hop added latency per healthy call
 */
public record PeerReport(String portkey, @Nullable String gatewayVersion, @Nullable String nodeVersion,
		@Nullable String gatewayConfig, @Nullable Double gatewayPeakRssMiB, @Nullable Double gatewayCpuMillisPerCall,
		List<TrafficLeft> trafficLeft, HopLatency hop) {

	/** A lane's traffic has left the primary in a window when at most this share of its requests reached it. */
	static final double LEFT_SHARE = 0.02;

	/** ... in every window in which the lane started at least this many requests. */
	static final int MIN_REQUESTS = 5;

	static final long WINDOW_MILLIS = 500;

	static final long STEP_MILLIS = 10;

	static PeerReport build(PortkeyLane portkey, List<Phase> phases, long start, List<Sample> samples,
			Map<String, StubProvider> primaries, HopLatency hop) {
		List<TrafficLeft> left = new ArrayList<>();
		for (Phase phase : phases) {
			if (phase.fault() == StubProvider.Mode.HEALTHY) {
				continue;
			}
			Map<String, @Nullable Long> lanes = new LinkedHashMap<>();
			for (String lane : primaries.keySet()) {
				if (!lane.equals(OutageHarness.BASELINE)) {
					lanes.put(lane, leftAfter(phase, start, Report.between(samples, lane, phase.startMillis(),
							phase.endMillis()), primaries.get(lane)));
				}
			}
			left.add(new TrafficLeft(phase.name(), lanes));
		}
		PortkeyGateway gateway = portkey.gateway();
		return new PeerReport((portkey.skipped() != null) ? "skipped: " + portkey.skipped() : "ran",
				(gateway != null) ? gateway.version() : null, (gateway != null) ? gateway.nodeVersion() : null,
				portkey.running() ? portkey.config() : null,
				(portkey.peakRssKiB() > 0) ? portkey.peakRssKiB() / 1024.0 : null,
				(portkey.cpuMillisPerCall() >= 0) ? portkey.cpuMillisPerCall() : null, left, hop);
	}

	/**
	 * When the lane's traffic left the failed primary: the earliest moment of the phase from
	 * which, in every 500 ms window (on a 10 ms grid) until the phase's end, the lane started at
	 * least 5 requests and at most 2 % as many reached the primary, and that for at least the last
	 * 2 s of the phase (four windows). A window in which the
	 * lane's callers are all stuck on the primary starts nothing, so it does not count as left;
	 * a lane that tries the primary first on every request never gets there.
	 */
	private static @Nullable Long leftAfter(Phase phase, long start, List<Sample> samples, StubProvider primary) {
		long[] arrivals = primary.arrivalsBetween(start + phase.startMillis(), start + phase.endMillis())
			.stream()
			.mapToLong((t) -> t - start)
			.toArray();
		long[] started = samples.stream().mapToLong(Sample::startMillis).sorted().toArray();
		// shrunk timelines (the smoke test) get shorter windows
		long window = Math.min(WINDOW_MILLIS, (phase.endMillis() - phase.startMillis()) / 4);
		long lastBad = Long.MIN_VALUE;
		for (long at = phase.startMillis(); at + window <= phase.endMillis(); at += STEP_MILLIS) {
			int lane = lowerBound(started, at + window) - lowerBound(started, at);
			int toPrimary = lowerBound(arrivals, at + window) - lowerBound(arrivals, at);
			if (lane < MIN_REQUESTS || toPrimary > LEFT_SHARE * lane) {
				lastBad = at;
			}
		}
		if (lastBad == Long.MIN_VALUE) {
			return 0L;
		}
		long left = lastBad + STEP_MILLIS;
		// left for good: for at least four windows before the phase's end (a lane whose last
		// stuck requests drain in the phase's tail has not left)
		return (left + 4 * window <= phase.endMillis()) ? left - phase.startMillis() : null;
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
		if (!this.trafficLeft.isEmpty()) {
			List<String> lanes = List.copyOf(this.trafficLeft.get(0).afterMillis().keySet());
			md.append("Traffic left the failed primary after (from then to the phase's end, in every 500 ms window the "
					+ "lane started at least 5 requests and at most 2 % as many reached the primary):\n\n| phase | ")
				.append(String.join(" | ", lanes))
				.append(" |\n|---|")
				.append("---:|".repeat(lanes.size()))
				.append('\n');
			for (TrafficLeft phase : this.trafficLeft) {
				md.append("| ").append(phase.phase());
				for (String lane : lanes) {
					Long after = phase.afterMillis().get(lane);
					md.append(" | ").append((after != null) ? after + " ms" : "never");
				}
				md.append(" |\n");
			}
		}
		md.append(this.hop.markdown());
		return md.toString();
	}

	/** One fault phase: per lane, when its traffic left the primary ({@code null}: never). */
	public record TrafficLeft(String phase, Map<String, @Nullable Long> afterMillis) {
	}

}
