package dev.resilientai.benchmarks.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.resilientai.benchmarks.harness.FleetHarness.Sample;
import dev.resilientai.benchmarks.harness.FleetHarness.Transition;
import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.fleet.FleetSync;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import org.jspecify.annotations.Nullable;

/**
 * The figures of one fleet lane run: per fleet and phase, per fault (how fast and at what cost
 * every instance stopped sending to the primary), per recovery (probes, and how fast traffic
 * was back on every instance), and the Redis traffic of the shared fleet. Counts hold on any
 * machine; latencies and times are this machine's.
 */
public record FleetReport(Report.Machine machine, Setup setup, List<PhaseReport> phases, List<FaultReport> faults,
		List<RecoveryReport> recoveries, RedisTraffic redis) {

	static FleetReport build(List<Phase> phases, long start, List<Sample> samples, List<Transition> transitions,
			Map<String, StubProvider> primaries, int instances, int callers, long thinkMillis, long othersThinkMillis,
			double scale,
			Duration breakerWait, FleetSync.Settings settings, List<Long> commandsAt, Map<String, Long> commandStats,
			Map<String, Map<String, Long>> published, Map<String, Map<String, Long>> applied) {
		List<PhaseReport> phaseReports = new ArrayList<>();
		List<FaultReport> faults = new ArrayList<>();
		List<RecoveryReport> recoveries = new ArrayList<>();
		Phase previous = null;
		for (Phase phase : phases) {
			Map<String, FleetStats> fleets = new LinkedHashMap<>();
			Map<String, FaultFigures> faultFigures = new LinkedHashMap<>();
			Map<String, RecoveryFigures> recoveryFigures = new LinkedHashMap<>();
			for (String fleet : FleetHarness.FLEETS) {
				StubProvider primary = primaries.get(fleet);
				fleets.put(fleet, FleetStats.of(between(samples, fleet, phase.startMillis(), phase.endMillis()),
						primary.requestsBetween(start + phase.startMillis(), start + phase.endMillis())));
				List<String> ids = instanceIds(samples, fleet, instances);
				if (phase.fault() != StubProvider.Mode.HEALTHY) {
					faultFigures.put(fleet, FaultFigures.of(phase, start, fleet, ids, transitions, primary));
				}
				else if (previous != null && previous.fault() != StubProvider.Mode.HEALTHY) {
					recoveryFigures.put(fleet, RecoveryFigures.of(phase, start, fleet, ids, transitions, samples));
				}
			}
			phaseReports.add(new PhaseReport(phase.name(), phase.fault().name().toLowerCase(Locale.ROOT),
					phase.startMillis(), phase.endMillis(), fleets));
			if (!faultFigures.isEmpty()) {
				faults.add(new FaultReport(phase.name(), faultFigures));
			}
			if (!recoveryFigures.isEmpty()) {
				recoveries.add(new RecoveryReport(phase.name(), previous.name(), recoveryFigures));
			}
			previous = phase;
		}
		List<PhaseTraffic> traffic = new ArrayList<>();
		for (int i = 0; i < phases.size(); i++) {
			Phase phase = phases.get(i);
			double seconds = (phase.endMillis() - phase.startMillis()) / 1000.0;
			int requests = between(samples, FleetHarness.SHARED, phase.startMillis(), phase.endMillis()).size();
			long commands = commandsAt.get(i + 1) - commandsAt.get(i);
			traffic.add(new PhaseTraffic(phase.name(), seconds, requests, requests / seconds, commands,
					commands / seconds));
		}
		long totalCommands = commandsAt.get(commandsAt.size() - 1) - commandsAt.get(0);
		int sharedRequests = traffic.stream().mapToInt(PhaseTraffic::requests).sum();
		RedisTraffic redis = new RedisTraffic(totalCommands, sharedRequests,
				(sharedRequests > 0) ? totalCommands * 1000.0 / sharedRequests : Double.NaN, traffic, commandStats,
				published, applied);
		Setup setup = new Setup(instances, callers, thinkMillis, othersThinkMillis, scale, 1000, breakerWait.toMillis(),
				settings.refreshInterval().toMillis(), settings.recoveryJitter().toMillis(),
				settings.maxSharedDuration().toMillis());
		return new FleetReport(
				new Report.Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
						System.getProperty("os.name") + " " + System.getProperty("os.arch")),
				setup, phaseReports, faults, recoveries, redis);
	}

	private static List<String> instanceIds(List<Sample> samples, String fleet, int instances) {
		TreeSet<String> ids = new TreeSet<>();
		for (int i = 1; i <= instances; i++) {
			ids.add("i" + i);
		}
		samples.stream().filter((s) -> s.fleet().equals(fleet)).forEach((s) -> ids.add(s.instance()));
		return List.copyOf(ids);
	}

	static List<Sample> between(List<Sample> samples, String fleet, long from, long to) {
		return samples.stream()
			.filter((s) -> s.fleet().equals(fleet) && s.startMillis() >= from && s.startMillis() < to)
			.toList();
	}

	static double percentile(List<Sample> samples, double quantile) {
		if (samples.isEmpty()) {
			return Double.NaN;
		}
		double[] sorted = samples.stream().mapToDouble(Sample::latencyMillis).toArray();
		Arrays.sort(sorted);
		return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * quantile) - 1))];
	}

	/** Transitions of one fleet's breakers on the primary in a window of the run (millis from its start). */
	private static List<Transition> transitions(List<Transition> transitions, String fleet, long start, long from,
			long to, State toState) {
		return transitions.stream()
			.filter((t) -> t.fleet().equals(fleet) && t.toState() == toState && t.atMillis() - start >= from
					&& t.atMillis() - start < to)
			.toList();
	}

	/**
	 * The report as markdown tables.
	 * @return the markdown
	 */
	public String markdown() {
		StringBuilder md = new StringBuilder();
		md.append(String.format(Locale.ROOT,
				"Machine: %d cores, Java %s, %s. Scale %s; per fleet %d instances × %d callers (%s); "
						+ "breaker open %d ms, attempt timeout %d ms; fleet refresh %d ms, recovery jitter up to %d ms.%n%n",
				this.machine.cores(), this.machine.java(), this.machine.os(), this.setup.scale(),
				this.setup.instancesPerFleet(), this.setup.callersPerInstance(),
				(this.setup.thinkMillis() == this.setup.othersThinkMillis()) ? this.setup.thinkMillis() + " ms think"
						: "i1 " + this.setup.thinkMillis() + " ms think, the others " + this.setup.othersThinkMillis()
								+ " ms",
				this.setup.breakerOpenMillis(), this.setup.attemptTimeoutMillis(), this.setup.refreshMillis(),
				this.setup.recoveryJitterMillis()));
		md.append("| phase | fleet | requests | success | p50 ms | p99 ms | max ms | requests to the primary |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
		for (PhaseReport phase : this.phases) {
			for (Map.Entry<String, FleetStats> entry : phase.fleets().entrySet()) {
				FleetStats stats = entry.getValue();
				md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f %% | %.1f | %.1f | %.1f | %d |%n",
						phase.phase(), entry.getKey(), stats.requests(), stats.successRate() * 100, stats.p50Millis(),
						stats.p99Millis(), stats.maxMillis(), stats.primaryRequests()));
			}
		}
		md.append("\n| fault | fleet | first instance skips the primary after | every instance after | "
				+ "instances that opened on their own | requests to the primary until every instance skips it | "
				+ "requests to the primary for the rest of the fault | half-open probes for the rest of the fault |\n");
		md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
		for (FaultReport fault : this.faults) {
			for (Map.Entry<String, FaultFigures> entry : fault.fleets().entrySet()) {
				FaultFigures figures = entry.getValue();
				md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d of %d | %s | %d | %d |%n",
						fault.phase(), entry.getKey(), millis(figures.firstSkipsAfterMillis()),
						millis(figures.everySkipsAfterMillis()), figures.instancesOpenedOnTheirOwn(),
						figures.skipsAfterMillis().size(),
						(figures.everySkipsAfterMillis() != null)
								? Long.toString(figures.primaryRequestsUntilEverySkips())
								: figures.primaryRequestsUntilEverySkips() + " (not all skip it)",
						figures.primaryRequestsRestOfFault(), figures.halfOpenProbesRestOfFault()));
			}
		}
		md.append("\n| recovery after | fleet | half-open probes (instances probing) | instances closed on the "
				+ "fleet's word | traffic back on the first instance after | on every instance after |\n");
		md.append("|---|---|---:|---:|---:|---:|\n");
		for (RecoveryReport recovery : this.recoveries) {
			for (Map.Entry<String, RecoveryFigures> entry : recovery.fleets().entrySet()) {
				RecoveryFigures figures = entry.getValue();
				md.append(String.format(Locale.ROOT, "| %s | %s | %d (%d) | %d | %s | %s |%n", recovery.after(),
						entry.getKey(), figures.halfOpenProbes(), figures.instancesThatProbed(),
						figures.instancesClosedByTheFleet(), millis(figures.firstBackAfterMillis()),
						millis(figures.everyBackAfterMillis())));
			}
		}
		md.append("\nRedis traffic of the sharing fleet (INFO commandstats, the harness's own INFO excluded; "
				+ "commands run by the fleet's Lua scripts count one each):\n\n");
		md.append("| phase | length | requests | requests/s | Redis commands | commands/s |\n");
		md.append("|---|---:|---:|---:|---:|---:|\n");
		for (PhaseTraffic phase : this.redis.phases()) {
			md.append(String.format(Locale.ROOT, "| %s | %.0f s | %d | %.0f | %d | %.1f |%n", phase.phase(),
					phase.seconds(), phase.requests(), phase.requestsPerSecond(), phase.commands(),
					phase.commandsPerSecond()));
		}
		md.append(String.format(Locale.ROOT, "| whole run | | %d | | %d | %.2f per 1,000 requests |%n",
				this.redis.requests(), this.redis.commands(), this.redis.commandsPerThousandRequests()));
		md.append("\nCommands: ").append(this.redis.commandStats()).append("\n");
		md.append("\nEvents published per instance: ").append(this.redis.published()).append("\n");
		md.append("\nEvents applied per instance: ").append(this.redis.applied()).append("\n");
		return md.toString();
	}

	private static String millis(@Nullable Long value) {
		return (value != null) ? String.format(Locale.ROOT, "%,d ms", value) : "never";
	}

	/** How the run was set up. */
	public record Setup(int instancesPerFleet, int callersPerInstance, long thinkMillis, long othersThinkMillis,
			double scale,
			long attemptTimeoutMillis, long breakerOpenMillis, long refreshMillis, long recoveryJitterMillis,
			long maxSharedMillis) {
	}

	/** One phase of the timeline, per fleet. */
	public record PhaseReport(String phase, String fault, long startMillis, long endMillis,
			Map<String, FleetStats> fleets) {
	}

	/** One fleet in one phase. */
	public record FleetStats(int requests, double successRate, double p50Millis, double p99Millis, double maxMillis,
			long primaryRequests, Map<String, Integer> requestsPerInstance) {

		static FleetStats of(List<Sample> samples, long primaryRequests) {
			long ok = samples.stream().filter(Sample::ok).count();
			Map<String, Integer> perInstance = new TreeMap<>();
			samples.forEach((sample) -> perInstance.merge(sample.instance(), 1, Integer::sum));
			return new FleetStats(samples.size(), samples.isEmpty() ? Double.NaN : (double) ok / samples.size(),
					percentile(samples, 0.5), percentile(samples, 0.99),
					samples.stream().mapToDouble(Sample::latencyMillis).max().orElse(Double.NaN), primaryRequests,
					perInstance);
		}

	}

	/** One fault, per fleet. */
	public record FaultReport(String phase, Map<String, FaultFigures> fleets) {
	}

	/**
	 * How one fleet moved off the primary in one fault.
	 *
	 * @param firstSkipsAfterMillis from the fault's start until the first instance's breaker
	 * opened
	 * @param everySkipsAfterMillis until the last instance's breaker opened ({@code null}:
	 * not every instance's did)
	 * @param instancesOpenedOnTheirOwn instances whose breaker opened on their own calls, not
	 * on the fleet's word
	 * @param primaryRequestsUntilEverySkips requests the primary received from the fault's
	 * start until the last instance's breaker opened (all of the fault if it never did)
	 * @param primaryRequestsRestOfFault requests it received after that, until the fault ended
	 * @param halfOpenProbesRestOfFault breakers that went half-open after that (each lets up to
	 * two calls through)
	 * @param skipsAfterMillis per instance, when its breaker opened
	 * @param openedBy per instance, {@code own} or the instance whose shared open it applied
	 */
	public record FaultFigures(@Nullable Long firstSkipsAfterMillis, @Nullable Long everySkipsAfterMillis,
			int instancesOpenedOnTheirOwn, long primaryRequestsUntilEverySkips, long primaryRequestsRestOfFault,
			int halfOpenProbesRestOfFault, Map<String, @Nullable Long> skipsAfterMillis, Map<String, String> openedBy) {

		static FaultFigures of(Phase phase, long start, String fleet, List<String> ids, List<Transition> transitions,
				StubProvider primary) {
			Map<String, @Nullable Long> skips = new TreeMap<>();
			Map<String, String> openedBy = new TreeMap<>();
			List<Transition> opens = FleetReport.transitions(transitions, fleet, start, phase.startMillis(),
					phase.endMillis(), State.OPEN);
			for (String id : ids) {
				Transition first = opens.stream()
					.filter((t) -> t.instance().equals(id))
					.min((a, b) -> Long.compare(a.atMillis(), b.atMillis()))
					.orElse(null);
				skips.put(id, (first != null) ? first.atMillis() - start - phase.startMillis() : null);
				openedBy.put(id, (first == null) ? "never"
						: (first.fromInstance() != null) ? "fleet:" + first.fromInstance() : "own");
			}
			Long firstSkip = skips.values().stream().filter((v) -> v != null).min(Long::compare).orElse(null);
			Long everySkips = skips.values().contains(null) ? null
					: skips.values().stream().max(Long::compare).orElse(null);
			long phaseStart = start + phase.startMillis();
			long allSkipping = (everySkips != null) ? phaseStart + everySkips + 1 : start + phase.endMillis();
			long until = primary.requestsBetween(phaseStart, allSkipping);
			long rest = primary.requestsBetween(allSkipping, start + phase.endMillis());
			int probes = (everySkips == null) ? 0
					: FleetReport.transitions(transitions, fleet, start, phase.startMillis() + everySkips,
							phase.endMillis(), State.HALF_OPEN).size();
			int own = (int) openedBy.values().stream().filter("own"::equals).count();
			return new FaultFigures(firstSkip, everySkips, own, until, rest, probes, skips, openedBy);
		}

	}

	/** One recovery, per fleet. */
	public record RecoveryReport(String phase, String after, Map<String, RecoveryFigures> fleets) {
	}

	/**
	 * How one fleet came back to the primary after a fault.
	 *
	 * @param halfOpenProbes breakers that went half-open in the recovery phase (each lets up to
	 * two calls through)
	 * @param instancesThatProbed how many instances did
	 * @param instancesClosedByTheFleet instances whose breaker closed on another instance's
	 * successful probe
	 * @param firstBackAfterMillis from the recovery's start until a request of the first instance
	 * was answered by the primary
	 * @param everyBackAfterMillis the same for the last instance ({@code null}: not every
	 * instance's traffic came back within the phase)
	 * @param backAfterMillis per instance
	 */
	public record RecoveryFigures(int halfOpenProbes, int instancesThatProbed, int instancesClosedByTheFleet,
			@Nullable Long firstBackAfterMillis, @Nullable Long everyBackAfterMillis,
			Map<String, @Nullable Long> backAfterMillis) {

		static RecoveryFigures of(Phase phase, long start, String fleet, List<String> ids, List<Transition> transitions,
				List<Sample> samples) {
			List<Transition> halfOpens = FleetReport.transitions(transitions, fleet, start, phase.startMillis(),
					phase.endMillis(), State.HALF_OPEN);
			int probing = (int) halfOpens.stream().map(Transition::instance).distinct().count();
			int closedByFleet = (int) FleetReport
				.transitions(transitions, fleet, start, phase.startMillis(), phase.endMillis(), State.CLOSED)
				.stream()
				.filter((t) -> t.fromInstance() != null)
				.map(Transition::instance)
				.distinct()
				.count();
			Map<String, @Nullable Long> back = new TreeMap<>();
			for (String id : ids) {
				back.put(id, samples.stream()
					.filter((s) -> s.fleet().equals(fleet) && s.instance().equals(id) && s.ok()
							&& s.servedBy().equals("primary") && s.startMillis() >= phase.startMillis()
							&& s.startMillis() < phase.endMillis())
					.map((s) -> (long) (s.startMillis() + s.latencyMillis()) - phase.startMillis())
					.min(Long::compare)
					.orElse(null));
			}
			Long first = back.values().stream().filter((v) -> v != null).min(Long::compare).orElse(null);
			Long every = back.values().contains(null) ? null : back.values().stream().max(Long::compare).orElse(null);
			return new RecoveryFigures(halfOpens.size(), probing, closedByFleet, first, every, back);
		}

	}

	/**
	 * The sharing fleet's Redis traffic over the timeline.
	 *
	 * @param commands commands Redis ran (the harness's own {@code INFO} excluded)
	 * @param requests the sharing fleet's requests
	 * @param commandsPerThousandRequests the ratio
	 * @param phases per phase
	 * @param commandStats per command
	 * @param published per instance, events published (provider|type)
	 * @param applied per instance, events applied from other instances (provider|type)
	 */
	public record RedisTraffic(long commands, int requests, double commandsPerThousandRequests,
			List<PhaseTraffic> phases, Map<String, Long> commandStats, Map<String, Map<String, Long>> published,
			Map<String, Map<String, Long>> applied) {
	}

	/** The sharing fleet's requests and Redis's commands in one phase. */
	public record PhaseTraffic(String phase, double seconds, int requests, double requestsPerSecond, long commands,
			double commandsPerSecond) {
	}

}
