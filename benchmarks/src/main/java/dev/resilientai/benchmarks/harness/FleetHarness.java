package dev.resilientai.benchmarks.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.fleet.FleetSync;
import dev.resilientai.fleet.RedisFleetChannel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The outage harness's fleet lane: two fleets of instances of one application on the same
 * timeline, in one JVM, each fleet with its own primary and secondary stub provider. In one
 * fleet every instance learns alone; in the other each instance shares provider state through
 * a real Redis server with its own {@link FleetSync} over its own Lettuce connection, as
 * {@code resilient-ai.fleet.enabled=true} would. Every instance is the
 * {@code ResilientChatClient} stack of {@link OutageHarness} (same breaker, 1 s attempt
 * timeout) under a few closed-loop callers.
 * <p>
 * Reports per fleet and fault: the requests the dead or hung primary receives until every
 * instance skips it, the time until the first and until the last instance skips it, the probes
 * and the time until traffic is back on every instance after the fault, and the Redis commands
 * of the run against its requests.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.resilientai.benchmarks.harness.FleetHarness
 * [--scale=1.0] [--instances=4] [--callers=2] [--think=10] [--think-others=MS] [--out=target/fleet]}
 * ({@code --think-others} gives every instance but the first its own think time: an uneven
 * load, one busy instance and quiet ones; by default all instances have the same). Needs
 * {@code redis-server} (Debian's package); without it the lane says so and stops. Every target
 * is on 127.0.0.1 and the harness stops by itself.
 */
public final class FleetHarness {

	static final String ALONE = "no sharing";

	static final String SHARED = "fleet sharing";

	static final List<String> FLEETS = List.of(ALONE, SHARED);

	static final String KEY_PREFIX = "fleet-lane";

	private FleetHarness() {
	}

	public static void main(String[] args) throws Exception {
		double scale = 1.0;
		int instances = 4;
		int callers = 2;
		long think = 10;
		Long thinkOthers = null;
		Path out = Path.of("target", "fleet");
		for (String arg : args) {
			if (arg.startsWith("--scale=")) {
				scale = Double.parseDouble(arg.substring(8));
			}
			else if (arg.startsWith("--instances=")) {
				instances = Integer.parseInt(arg.substring(12));
			}
			else if (arg.startsWith("--callers=")) {
				callers = Integer.parseInt(arg.substring(10));
			}
			else if (arg.startsWith("--think=")) {
				think = Long.parseLong(arg.substring(8));
			}
			else if (arg.startsWith("--think-others=")) {
				thinkOthers = Long.parseLong(arg.substring(15));
			}
			else if (arg.startsWith("--out=")) {
				out = Path.of(arg.substring(6));
			}
		}
		FleetReport report = run(scale, instances, callers, think, (thinkOthers != null) ? thinkOthers : think, out);
		if (report != null) {
			System.out.println(Files.readString(out.resolve("fleet.md")));
			System.out.println("Written: " + out.resolve("fleet.json") + ", " + out.resolve("fleet.md"));
		}
		System.exit(0);
	}

	/**
	 * Run the fleet lane.
	 * @param scale multiplies every phase's length (1.0: 75 s of timeline)
	 * @param instances instances per fleet
	 * @param callers closed-loop callers per instance
	 * @param thinkMillis the pause between requests of each caller of the first instance
	 * @param othersThinkMillis the same for the other instances
	 * @param out where to write fleet.json and fleet.md
	 * @return the report, or {@code null} when {@code redis-server} is not installed
	 */
	public static @Nullable FleetReport run(double scale, int instances, int callers, long thinkMillis,
			long othersThinkMillis, Path out) throws Exception {
		if (RedisProcess.executable() == null) {
			System.out.println("Fleet lane skipped: redis-server is not installed (Debian: apt-get install "
					+ "redis-server; looked in /usr/bin, /usr/local/bin, /usr/sbin)");
			return null;
		}
		System.setProperty("java.awt.headless", "true");
		System.setProperty("sun.net.httpserver.nodelay", "true");
		quietRedisClientLogs();
		long flapMillis = Math.max(100, (long) (2000 * scale));
		Duration breakerWait = Duration.ofMillis(Math.max(200, (long) (5000 * scale)));
		FleetSync.Settings settings = new FleetSync.Settings(Duration.ofMillis(Math.max(100, (long) (1000 * scale))),
				Duration.ofHours(1), Duration.ofMillis(Math.max(50, (long) (2000 * scale))), Duration.ofMinutes(5));
		Map<String, StubProvider> primaries = new LinkedHashMap<>();
		Map<String, StubProvider> secondaries = new LinkedHashMap<>();
		List<Instance> all = new ArrayList<>();
		ConcurrentLinkedQueue<Transition> transitions = new ConcurrentLinkedQueue<>();
		try (RedisProcess redis = RedisProcess.start()) {
			try {
				for (String fleet : FLEETS) {
					primaries.put(fleet, new StubProvider("primary", 5, flapMillis));
					secondaries.put(fleet, new StubProvider("secondary", 5, flapMillis));
					for (int i = 1; i <= instances; i++) {
						all.add(Instance.create(fleet, "i" + i, primaries.get(fleet), secondaries.get(fleet),
								breakerWait, fleet.equals(SHARED) ? redis.port() : -1, settings, transitions));
					}
				}
				awaitConnected(all);
				warmUp(all, scale);
				all.forEach((instance) -> instance.executor.getProviders()
					.forEach((provider) -> provider.getCircuitBreaker().reset()));
				Thread.sleep(200);
				transitions.clear();

				List<Phase> phases = timeline(scale);
				long start = System.currentTimeMillis() + 200;
				long end = start + phases.get(phases.size() - 1).endMillis();
				ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
				List<Caller> allCallers = new ArrayList<>();
				CountDownLatch done = new CountDownLatch(all.size() * callers);
				for (Instance instance : all) {
					for (int i = 0; i < callers; i++) {
						Caller caller = new Caller(instance, start, end,
								instance.id.equals("i1") ? thinkMillis : othersThinkMillis, samples, done);
						allCallers.add(caller);
						Thread thread = new Thread(caller, "caller-" + instance.fleet + "-" + instance.id);
						thread.setDaemon(true);
						thread.start();
					}
				}
				OutageHarness.sleepUntil(start);
				Map<String, Long> statsAtStart = redis.commandStats();
				List<Long> commandsAt = new ArrayList<>();
				for (Phase phase : phases) {
					OutageHarness.sleepUntil(start + phase.startMillis());
					primaries.values().forEach((stub) -> stub.mode(phase.fault()));
					commandsAt.add(withoutInfo(redis.commandStats()));
				}
				OutageHarness.sleepUntil(end);
				Map<String, Long> statsAtEnd = redis.commandStats();
				commandsAt.add(withoutInfo(statsAtEnd));
				done.await(Math.max(500, (long) (3000 * scale)), TimeUnit.MILLISECONDS);
				long stopped = System.currentTimeMillis();
				for (Caller caller : allCallers) {
					long since = caller.inFlightSince;
					if (since >= 0) {
						samples.add(new Sample(caller.instance.fleet, caller.instance.id, since - start,
								stopped - since, false, "unfinished"));
					}
				}
				Map<String, Long> commandStats = new TreeMap<>();
				statsAtEnd.forEach((command, calls) -> {
					long delta = calls - statsAtStart.getOrDefault(command, 0L);
					if (delta > 0 && !command.equals("info")) {
						commandStats.put(command, delta);
					}
				});
				Map<String, Map<String, Long>> published = new TreeMap<>();
				Map<String, Map<String, Long>> applied = new TreeMap<>();
				for (Instance instance : all) {
					if (instance.sync != null) {
						published.put(instance.id, instance.sync.publishedCounts());
						applied.put(instance.id, instance.sync.appliedCounts());
					}
				}
				FleetReport report = FleetReport.build(phases, start, List.copyOf(samples), List.copyOf(transitions),
						primaries, instances, callers, thinkMillis, othersThinkMillis, scale, breakerWait, settings, commandsAt,
						commandStats, published, applied);
				Files.createDirectories(out);
				JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
				Files.writeString(out.resolve("fleet.json"), json.writeValueAsString(report));
				Files.writeString(out.resolve("fleet.md"), report.markdown());
				return report;
			}
			finally {
				all.forEach(Instance::close);
				primaries.values().forEach(StubProvider::close);
				secondaries.values().forEach(StubProvider::close);
			}
		}
	}

	/**
	 * A primary outage and a primary hang, each followed by a recovery: 75 s at scale 1.
	 */
	static List<Phase> timeline(double scale) {
		List<Phase> phases = new ArrayList<>();
		long at = 0;
		Object[][] script = { { "healthy", StubProvider.Mode.HEALTHY, 5 }, { "outage (503)", StubProvider.Mode.OUTAGE, 20 },
				{ "recovery", StubProvider.Mode.HEALTHY, 15 }, { "hang", StubProvider.Mode.HANG, 20 },
				{ "recovery", StubProvider.Mode.HEALTHY, 15 } };
		for (Object[] step : script) {
			long length = Math.max(300, (long) (((Integer) step[2]) * 1000 * scale));
			phases.add(new Phase((String) step[0], (StubProvider.Mode) step[1], at, at + length));
			at += length;
		}
		return phases;
	}

	private static long withoutInfo(Map<String, Long> stats) {
		return stats.entrySet()
			.stream()
			.filter((entry) -> !entry.getKey().equals("info"))
			.mapToLong(Map.Entry::getValue)
			.sum();
	}

	private static void awaitConnected(List<Instance> instances) throws InterruptedException {
		long deadline = System.currentTimeMillis() + 10_000;
		for (Instance instance : instances) {
			while (instance.sync != null
					&& !(instance.sync.isConnected() && instance.sync.status().lastSync() != null)) {
				if (System.currentTimeMillis() > deadline) {
					throw new IllegalStateException("Instance " + instance.id + " of the shared fleet did not "
							+ "reach Redis within 10 s: " + instance.sync.status());
				}
				Thread.sleep(20);
			}
		}
	}

	/**
	 * Let class loading, JIT compilation and connection pools settle before the timeline.
	 */
	private static void warmUp(List<Instance> instances, double scale) {
		int calls = Math.max(20, (int) (100 * scale));
		for (Instance instance : instances) {
			for (int i = 0; i < calls; i++) {
				try {
					instance.client.get();
				}
				catch (RuntimeException ex) {
					// warm-up only
				}
			}
		}
	}

	/** Lettuce and Netty log every command at DEBUG under logback's default configuration. */
	private static void quietRedisClientLogs() {
		if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
			for (String name : List.of("io.lettuce", "io.netty", "reactor", "org.springframework.data.redis")) {
				context.getLogger(name).setLevel(ch.qos.logback.classic.Level.INFO);
			}
		}
	}

	/**
	 * One instance of the application: its own failover stack and, in the shared fleet, its
	 * own Redis connection and {@link FleetSync}.
	 */
	private static final class Instance implements AutoCloseable {

		final String fleet;

		final String id;

		final FailoverExecutor executor;

		final Supplier<String> client;

		final @Nullable LettuceConnectionFactory connectionFactory;

		final @Nullable FleetSync sync;

		private Instance(String fleet, String id, FailoverExecutor executor, Supplier<String> client,
				@Nullable LettuceConnectionFactory connectionFactory, @Nullable FleetSync sync) {
			this.fleet = fleet;
			this.id = id;
			this.executor = executor;
			this.client = client;
			this.connectionFactory = connectionFactory;
			this.sync = sync;
		}

		static Instance create(String fleet, String id, StubProvider primary, StubProvider secondary,
				Duration breakerWait, int redisPort, FleetSync.Settings settings,
				ConcurrentLinkedQueue<Transition> transitions) {
			FailoverExecutor executor = OutageHarness.resilientExecutor(primary, secondary, breakerWait);
			DefaultResilientChatClient chat = new DefaultResilientChatClient(
					ChatClient.builder(new FailoverChatModel(executor)).defaultAdvisors(new RoutingAdvisor()).build());
			LettuceConnectionFactory factory = null;
			FleetSync sync = null;
			if (redisPort > 0) {
				factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", redisPort),
						LettuceClientConfiguration.builder().commandTimeout(Duration.ofMillis(500)).build());
				factory.afterPropertiesSet();
				factory.start();
				sync = new FleetSync(executor.getProviders(), new RedisFleetChannel(factory, KEY_PREFIX), id, settings,
						Clock.systemUTC());
			}
			// after the fleet's own listener, so a transition applied from the fleet is seen
			// with the instance it came from
			executor.getProviders()
				.get(0)
				.getCircuitBreaker()
				.getEventPublisher()
				.onStateTransition((event) -> transitions.add(new Transition(fleet, id, System.currentTimeMillis(),
						event.getStateTransition().getFromState(), event.getStateTransition().getToState(),
						FleetSync.applyingFrom())));
			if (sync != null) {
				sync.start();
			}
			return new Instance(fleet, id, executor, () -> chat.prompt().user("hi").call().content(), factory, sync);
		}

		@Override
		public void close() {
			if (this.sync != null) {
				this.sync.stop();
			}
			if (this.connectionFactory != null) {
				this.connectionFactory.destroy();
			}
			this.executor.close();
		}

	}

	/**
	 * One closed-loop caller of one instance: a request, the think time, the next, until the
	 * run ends.
	 */
	private static final class Caller implements Runnable {

		final Instance instance;

		private final long start;

		private final long end;

		private final long thinkMillis;

		private final ConcurrentLinkedQueue<Sample> samples;

		private final CountDownLatch done;

		volatile long inFlightSince = -1;

		Caller(Instance instance, long start, long end, long thinkMillis, ConcurrentLinkedQueue<Sample> samples,
				CountDownLatch done) {
			this.instance = instance;
			this.start = start;
			this.end = end;
			this.thinkMillis = thinkMillis;
			this.samples = samples;
			this.done = done;
		}

		@Override
		public void run() {
			try {
				OutageHarness.sleepUntil(this.start);
				while (System.currentTimeMillis() < this.end) {
					long t0 = System.nanoTime();
					long startMillis = System.currentTimeMillis();
					this.inFlightSince = startMillis;
					String servedBy;
					boolean ok;
					try {
						servedBy = this.instance.client.get();
						ok = true;
					}
					catch (RuntimeException ex) {
						servedBy = "failed";
						ok = false;
					}
					this.inFlightSince = -1;
					this.samples.add(new Sample(this.instance.fleet, this.instance.id, startMillis - this.start,
							(System.nanoTime() - t0) / 1_000_000.0, ok, servedBy));
					TimeUnit.MILLISECONDS.sleep(this.thinkMillis);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			finally {
				this.done.countDown();
			}
		}

	}

	/** One request of one instance: when it started (millis from the run's start), how long it took, who served it. */
	record Sample(String fleet, String instance, long startMillis, double latencyMillis, boolean ok, String servedBy) {
	}

	/**
	 * A state transition of one instance's breaker on the primary, at epoch millis; {@code from}
	 * is the instance whose shared change it applied, or {@code null} for the instance's own.
	 */
	record Transition(String fleet, String instance, long atMillis, CircuitBreaker.State fromState,
			CircuitBreaker.State toState, @Nullable String fromInstance) {
	}

}
