package dev.resilientai.benchmarks.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.client.RoutingAdvisor;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.provider.OkHttpAttemptInterceptor;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;

/**
 * Plays a scripted outage timeline against three clients side by side, each with its own
 * primary and secondary stub provider on loopback, under a bounded closed-loop load: Spring
 * AI's plain {@code ChatClient} on the primary with Spring AI's default retries, the
 * try/catch fallback users write today, {@code ResilientChatClient}, and Spring AI's plain
 * {@code ChatClient} through Portkey's open-source gateway with a fallback config
 * ({@link PortkeyLane}; skipped, saying why, where {@code node} or the gateway is missing). A
 * last client calls an always-healthy secondary directly: the secondary's own latency. After
 * the timeline, every provider healthy, {@link HopLatency} measures what each path adds to a
 * call. Reports success, latency,
 * requests to the failed primary, time to breaker open and time to traffic back, per client
 * and phase, as JSON, a markdown table and a PNG timeline.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.resilientai.benchmarks.harness.OutageHarness
 * [--scale=1.0] [--callers=8] [--out=target/outage]}. Every loop is bounded in time, every
 * target is on 127.0.0.1, and the harness stops by itself.
 */
public final class OutageHarness {

	static final String PLAIN = "plain ChatClient";

	static final String TRY_CATCH = "try/catch fallback";

	static final String RESILIENT = "ResilientChatClient";

	static final String PORTKEY = "Portkey gateway";

	static final String BASELINE = "secondary direct";

	static final List<String> CLIENTS = List.of(PLAIN, TRY_CATCH, RESILIENT, PORTKEY, BASELINE);

	private OutageHarness() {
	}

	public static void main(String[] args) throws Exception {
		double scale = 1.0;
		int callers = 8;
		Path out = Path.of("target", "outage");
		for (String arg : args) {
			if (arg.startsWith("--scale=")) {
				scale = Double.parseDouble(arg.substring(8));
			}
			else if (arg.startsWith("--callers=")) {
				callers = Integer.parseInt(arg.substring(10));
			}
			else if (arg.startsWith("--out=")) {
				out = Path.of(arg.substring(6));
			}
		}
		Report report = run(scale, callers, out);
		System.out.println(Files.readString(out.resolve("outage.md")));
		System.out.println("Written: " + out.resolve("outage.json") + ", " + out.resolve("outage.md") + ", "
				+ out.resolve("outage.png") + " (" + report.phases().size() + " phases)");
		System.exit(0);
	}

	/**
	 * Run the timeline.
	 * @param scale multiplies every phase's length (1.0: about two minutes)
	 * @param callers concurrent callers per client
	 * @param out where to write outage.json, outage.md and outage.png
	 * @return the report
	 */
	public static Report run(double scale, int callers, Path out) throws Exception {
		System.setProperty("java.awt.headless", "true");
		// without TCP_NODELAY the JDK's server answers small responses only after the client's
		// delayed ACK (40 ms): the stubs would be slow and the bottleneck
		System.setProperty("sun.net.httpserver.nodelay", "true");
		long flapMillis = Math.max(100, (long) (2000 * scale));
		Map<String, StubProvider> primaries = new LinkedHashMap<>();
		Map<String, StubProvider> secondaries = new LinkedHashMap<>();
		for (String client : CLIENTS) {
			primaries.put(client, new StubProvider("primary", 5, flapMillis));
			secondaries.put(client, new StubProvider("secondary", 5, flapMillis));
		}
		PortkeyLane portkey = PortkeyLane.startOrSkip(primaries.get(PORTKEY), secondaries.get(PORTKEY));
		if (!portkey.running()) {
			primaries.remove(PORTKEY).close();
			secondaries.remove(PORTKEY).close();
		}
		List<String> lanes = List.copyOf(primaries.keySet());
		double stubCapacity = measureCapacity(secondaries.get(BASELINE), scale);
		// the starter's default open wait: 1 s, doubling with each failed probe up to 5 s
		FailoverExecutor executor = resilientExecutor(primaries.get(RESILIENT), secondaries.get(RESILIENT), null);
		List<Long> breakerOpenedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
		executor.getProviders()
			.get(0)
			.getCircuitBreaker()
			.getEventPublisher()
			.onStateTransition((event) -> {
				if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
					breakerOpenedAt.add(System.currentTimeMillis());
				}
			});
		Map<String, Supplier<String>> clients = clients(primaries, secondaries, executor);
		if (portkey.running()) {
			clients.put(PORTKEY, portkey.client());
		}
		warmUp(clients, lanes, callers, scale);
		executor.getProviders().forEach((provider) -> provider.getCircuitBreaker().reset());
		breakerOpenedAt.clear();

		List<Phase> phases = timeline(scale);
		long start = System.currentTimeMillis() + 200;
		long end = start + phases.get(phases.size() - 1).endMillis();
		ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
		List<Caller> allCallers = new ArrayList<>();
		CountDownLatch done = new CountDownLatch(lanes.size() * callers);
		for (String client : lanes) {
			for (int i = 0; i < callers; i++) {
				Caller caller = new Caller(client, clients.get(client), start, end, samples, done);
				allCallers.add(caller);
				Thread thread = new Thread(caller, "caller-" + client);
				thread.setDaemon(true);
				thread.start();
			}
		}
		for (Phase phase : phases) {
			sleepUntil(start + phase.startMillis());
			for (String client : lanes) {
				if (!client.equals(BASELINE)) {
					primaries.get(client).mode(phase.fault());
				}
			}
		}
		sleepUntil(end);
		// requests still running get a short grace; those that never end are failures of the
		// phase they started in, and are released by closing the stubs
		done.await(Math.max(500, (long) (3000 * scale)), TimeUnit.MILLISECONDS);
		long stopped = System.currentTimeMillis();
		for (Caller caller : allCallers) {
			long since = caller.inFlightSince;
			if (since >= 0) {
				samples.add(new Sample(caller.client, since - start, stopped - since, false, "unfinished"));
			}
		}
		// every primary is healthy again (the timeline ends with a recovery): what each path adds
		executor.getProviders().forEach((provider) -> provider.getCircuitBreaker().reset());
		Map<String, Supplier<String>> paths = new LinkedHashMap<>();
		paths.put(BASELINE, clients.get(BASELINE));
		paths.put(RESILIENT, clients.get(RESILIENT));
		if (portkey.running()) {
			paths.put(PORTKEY, clients.get(PORTKEY));
		}
		HopLatency hop = HopLatency.measure(paths, BASELINE, callers, scale);
		portkey.close();
		primaries.values().forEach(StubProvider::close);
		secondaries.values().forEach(StubProvider::close);
		executor.close();

		Report report = Report.build(phases, start, List.copyOf(samples), primaries, breakerOpenedAt, stubCapacity,
				callers, scale, PeerReport.build(portkey, phases, start, List.copyOf(samples), primaries, hop));
		Files.createDirectories(out);
		JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
		Files.writeString(out.resolve("outage.json"), json.writeValueAsString(report));
		Files.writeString(out.resolve("outage.md"), report.markdown());
		TimelineChart.write(report, samples, start, out.resolve("outage.png"));
		writeRaw(out, start, samples, primaries);
		return report;
	}

	/**
	 * The raw figures the report is made of, to check it or compute other measures: every
	 * request (lane, start in millis from the run's start, latency, ok, who answered) and every
	 * arrival at a lane's primary.
	 */
	private static void writeRaw(Path out, long start, java.util.Collection<Sample> samples,
			Map<String, StubProvider> primaries) throws IOException {
		StringBuilder requests = new StringBuilder("lane,start_ms,latency_ms,ok,served_by\n");
		for (Sample sample : samples) {
			requests.append(String.format(java.util.Locale.ROOT, "%s,%d,%.3f,%b,%s%n", sample.client(),
					sample.startMillis(), sample.latencyMillis(), sample.ok(), sample.servedBy()));
		}
		Files.writeString(out.resolve("requests.csv"), requests);
		StringBuilder arrivals = new StringBuilder("lane,arrival_ms\n");
		primaries.forEach((lane, primary) -> primary.arrivalsBetween(start, Long.MAX_VALUE)
			.forEach((t) -> arrivals.append(lane).append(',').append(t - start).append('\n')));
		Files.writeString(out.resolve("primary-arrivals.csv"), arrivals);
	}

	static List<Phase> timeline(double scale) {
		List<Phase> phases = new ArrayList<>();
		long at = 0;
		Object[][] script = { { "healthy", StubProvider.Mode.HEALTHY, 5 }, { "outage (503)", StubProvider.Mode.OUTAGE, 20 },
				{ "recovery", StubProvider.Mode.HEALTHY, 15 }, { "hang", StubProvider.Mode.HANG, 20 },
				{ "recovery", StubProvider.Mode.HEALTHY, 15 },
				{ "429 storm", StubProvider.Mode.RATE_LIMITED, 15 }, { "recovery", StubProvider.Mode.HEALTHY, 10 },
				{ "flapping", StubProvider.Mode.FLAPPING, 20 }, { "recovery", StubProvider.Mode.HEALTHY, 10 } };
		for (Object[] step : script) {
			long length = Math.max(300, (long) (((Integer) step[2]) * 1000 * scale));
			phases.add(new Phase((String) step[0], (StubProvider.Mode) step[1], at, at + length));
			at += length;
		}
		return phases;
	}

	/**
	 * One closed-loop caller: a request, 10 ms of think time, the next, until the run ends.
	 */
	private static final class Caller implements Runnable {

		private final String client;

		private final Supplier<String> call;

		private final long start;

		private final long end;

		private final ConcurrentLinkedQueue<Sample> samples;

		private final CountDownLatch done;

		private volatile long inFlightSince = -1;

		Caller(String client, Supplier<String> call, long start, long end, ConcurrentLinkedQueue<Sample> samples,
				CountDownLatch done) {
			this.client = client;
			this.call = call;
			this.start = start;
			this.end = end;
			this.samples = samples;
			this.done = done;
		}

		@Override
		public void run() {
			try {
				sleepUntil(this.start);
				while (System.currentTimeMillis() < this.end) {
					long t0 = System.nanoTime();
					long startMillis = System.currentTimeMillis();
					this.inFlightSince = startMillis;
					String servedBy;
					boolean ok;
					try {
						servedBy = this.call.get();
						ok = true;
					}
					catch (RuntimeException ex) {
						servedBy = "failed";
						ok = false;
					}
					this.inFlightSince = -1;
					this.samples.add(new Sample(this.client, startMillis - this.start,
							(System.nanoTime() - t0) / 1_000_000.0, ok, servedBy));
					TimeUnit.MILLISECONDS.sleep(10);
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

	private static Map<String, Supplier<String>> clients(Map<String, StubProvider> primaries,
			Map<String, StubProvider> secondaries, FailoverExecutor executor) {
		Map<String, Supplier<String>> clients = new LinkedHashMap<>();
		ChatClient plain = ChatClient.create(springAiDefaults(primaries.get(PLAIN)));
		clients.put(PLAIN, () -> plain.prompt().user("hi").call().content());
		ChatClient tryPrimary = ChatClient.create(springAiDefaults(primaries.get(TRY_CATCH)));
		ChatClient trySecondary = ChatClient.create(springAiDefaults(secondaries.get(TRY_CATCH)));
		clients.put(TRY_CATCH, () -> {
			try {
				return tryPrimary.prompt().user("hi").call().content();
			}
			catch (RuntimeException ex) {
				return trySecondary.prompt().user("hi").call().content();
			}
		});
		DefaultResilientChatClient resilient = new DefaultResilientChatClient(
				ChatClient.builder(new FailoverChatModel(executor)).defaultAdvisors(new RoutingAdvisor()).build());
		clients.put(RESILIENT, () -> resilient.prompt().user("hi").call().content());
		ChatClient direct = ChatClient.create(springAiDefaults(secondaries.get(BASELINE)));
		clients.put(BASELINE, () -> direct.prompt().user("hi").call().content());
		return clients;
	}

	/** Spring AI's OpenAI model as users get it: the SDK's 3 retries, a 60 s timeout. */
	static OpenAiChatModel springAiDefaults(StubProvider stub) {
		return OpenAiChatModel.builder()
			.options(OpenAiChatOptions.builder().baseUrl(stub.baseUrl()).apiKey("stub").model("stub").build())
			.build();
	}

	/**
	 * The {@code ResilientChatClient} lane's stack (also each instance of the fleet lane):
	 * primary then secondary, 1 s attempt timeout, breaker window 20 (10 calls minimum, 50 %
	 * failures or 80 % calls slower than 800 ms), two half-open probes.
	 */
	static FailoverExecutor resilientExecutor(StubProvider primary, StubProvider secondary,
			@org.jspecify.annotations.Nullable Duration breakerWait) {
		return resilientExecutor(primary, secondary, breakerWait,
				BulkheadConfig.ofDefaults().getMaxConcurrentCalls());
	}

	/**
	 * The same stack with bulkheads of the given size.
	 */
	static FailoverExecutor resilientExecutor(StubProvider primary, StubProvider secondary,
			@org.jspecify.annotations.Nullable Duration breakerWait,
			int maxConcurrentCalls) {
		List<Provider> providers = new ArrayList<>();
		for (StubProvider stub : List.of(primary, secondary)) {
			OpenAiChatModel model = OpenAiChatModel.builder()
				.options(OpenAiChatOptions.builder()
					.baseUrl(stub.baseUrl())
					.apiKey("stub")
					.model("stub")
					.maxRetries(0)
					.build())
				.httpClientBuilderCustomizer((builder) -> builder.interceptor(new OkHttpAttemptInterceptor()))
				.build();
			String name = (stub == primary) ? "primary" : "secondary";
			CircuitBreakerConfig config = CircuitBreakerConfig.custom()
				.slidingWindowSize(20)
				.minimumNumberOfCalls(10)
				.failureRateThreshold(50)
				.slowCallDurationThreshold(Duration.ofMillis(800))
				.slowCallRateThreshold(80)
				.waitIntervalFunctionInOpenState((breakerWait != null)
						? io.github.resilience4j.core.IntervalFunction.of(breakerWait)
						: io.github.resilience4j.core.IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2,
								Duration.ofSeconds(5)))
				.permittedNumberOfCallsInHalfOpenState(2)
				.writableStackTraceEnabled(false)
				.build();
			providers.add(new Provider(name, providers.size(), Duration.ofSeconds(1), true, model,
					CircuitBreaker.of(name, config),
					Bulkhead.of(name,
							BulkheadConfig.custom()
								.maxConcurrentCalls(maxConcurrentCalls)
								.maxWaitDuration(Duration.ZERO)
								.build()),
					null));
		}
		return new FailoverExecutor(providers, FailoverSettings.of(Duration.ofSeconds(10)), new ErrorClassifier(),
				DataClassPolicy.unrestricted(), (record) -> {
				}, null, Clock.systemUTC());
	}

	/**
	 * Let class loading, JIT compilation and connection pools settle before the timeline, so
	 * that the first phase measures the clients, not the JVM (or the gateway's Node.js)
	 * starting. The same for every lane: 300 sequential calls each, then every lane's callers
	 * at once, as on the timeline, for 20 s, every provider healthy (the gateway's Node.js
	 * needs about that long under load to reach its steady latency). Nothing of it is counted.
	 */
	private static void warmUp(Map<String, Supplier<String>> clients, List<String> lanes, int callers, double scale) {
		int calls = Math.max(20, (int) (300 * scale));
		for (String lane : lanes) {
			Supplier<String> client = clients.get(lane);
			for (int i = 0; i < calls; i++) {
				try {
					client.get();
				}
				catch (RuntimeException ex) {
					// warm-up only
				}
			}
		}
		long start = System.currentTimeMillis();
		long end = start + Math.max(300, (long) (20000 * scale));
		CountDownLatch done = new CountDownLatch(lanes.size() * callers);
		ConcurrentLinkedQueue<Sample> discarded = new ConcurrentLinkedQueue<>();
		for (String lane : lanes) {
			for (int i = 0; i < callers; i++) {
				Thread thread = new Thread(new Caller(lane, clients.get(lane), start, end, discarded, done),
						"warm-up-" + lane);
				thread.setDaemon(true);
				thread.start();
			}
		}
		try {
			done.await(end - start + 5000, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * How many requests per second one stub answers from 16 concurrent callers, so the report
	 * can say whether the stubs could have been the bottleneck.
	 */
	private static double measureCapacity(StubProvider stub, double scale) throws InterruptedException {
		HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
		HttpRequest request = HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/chat/completions"))
			.POST(HttpRequest.BodyPublishers.ofString("{}"))
			.build();
		long duration = Math.max(500, (long) (2000 * scale));
		long end = System.currentTimeMillis() + duration;
		AtomicLong completed = new AtomicLong();
		List<Thread> threads = new ArrayList<>();
		for (int i = 0; i < 16; i++) {
			Thread thread = new Thread(() -> {
				while (System.currentTimeMillis() < end) {
					try {
						http.send(request, HttpResponse.BodyHandlers.discarding());
						completed.incrementAndGet();
					}
					catch (IOException | InterruptedException ex) {
						return;
					}
				}
			});
			thread.setDaemon(true);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join(duration + 2000);
		}
		return completed.get() * 1000.0 / duration;
	}

	static void sleepUntil(long epochMillis) {
		long wait = epochMillis - System.currentTimeMillis();
		if (wait > 0) {
			try {
				TimeUnit.MILLISECONDS.sleep(wait);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** One phase of the timeline, in millis from the run's start. */
	public record Phase(String name, StubProvider.Mode fault, long startMillis, long endMillis) {
	}

	/** One request: when it started (millis from the run's start), how long it took, who served it. */
	record Sample(String client, long startMillis, double latencyMillis, boolean ok, String servedBy) {
	}

}
