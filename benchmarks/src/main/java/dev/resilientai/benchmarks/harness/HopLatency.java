package dev.resilientai.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What one healthy call costs through each path, measured after the outage timeline (so that
 * every lane, the gateway included, has served the same two minutes of traffic): Spring AI's
 * {@code ChatClient} straight to a stub (direct), {@code ResilientChatClient} (the in-process
 * path) and the Portkey lane (the gateway's hop). Every provider is healthy. One client at a
 * time runs its closed-loop callers, so no lane's CPU is in another's figures; the clients
 * take turns in several short rounds, so that a slow moment of the machine is spread over all
 * of them.
 *
 * @param rounds rounds of turns
 * @param turnMillis one client's turn in one round
 * @param callers closed-loop callers during a turn (10 ms think time, as on the timeline)
 * @param clients per client: its figures, with the added latency against direct
 */
public record HopLatency(int rounds, long turnMillis, int callers, Map<String, Figures> clients) {

	static HopLatency measure(Map<String, Supplier<String>> clients, String direct, int callers, double scale) {
		int rounds = 3;
		long turn = Math.max(300, (long) (5000 * scale));
		Map<String, List<Double>> latencies = new LinkedHashMap<>();
		clients.keySet().forEach((client) -> latencies.put(client, new ArrayList<>()));
		for (int round = 0; round < rounds; round++) {
			for (Map.Entry<String, Supplier<String>> client : clients.entrySet()) {
				latencies.get(client.getKey()).addAll(turn(client.getValue(), callers, turn));
			}
		}
		double[] base = sorted(latencies.get(direct));
		Map<String, Figures> figures = new LinkedHashMap<>();
		for (Map.Entry<String, List<Double>> entry : latencies.entrySet()) {
			figures.put(entry.getKey(), Figures.of(sorted(entry.getValue()), base, entry.getValue().size()));
		}
		return new HopLatency(rounds, turn, callers, figures);
	}

	private static List<Double> turn(Supplier<String> client, int callers, long millis) {
		ConcurrentLinkedQueue<Double> out = new ConcurrentLinkedQueue<>();
		long end = System.currentTimeMillis() + millis;
		List<Thread> threads = new ArrayList<>();
		int[] failures = new int[1];
		for (int i = 0; i < callers; i++) {
			Thread thread = new Thread(() -> {
				while (System.currentTimeMillis() < end) {
					long t0 = System.nanoTime();
					try {
						client.get();
						out.add((System.nanoTime() - t0) / 1_000_000.0);
					}
					catch (RuntimeException ex) {
						synchronized (failures) {
							failures[0]++;
						}
					}
					try {
						TimeUnit.MILLISECONDS.sleep(10);
					}
					catch (InterruptedException ex) {
						return;
					}
				}
			}, "hop-caller");
			thread.setDaemon(true);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			try {
				thread.join(millis + 5000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		if (failures[0] > 0) {
			System.out.println("hop latency: " + failures[0] + " failed calls left out");
		}
		return new ArrayList<>(out);
	}

	private static double[] sorted(List<Double> values) {
		double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
		Arrays.sort(sorted);
		return sorted;
	}

	static double quantile(double[] sorted, double q) {
		if (sorted.length == 0) {
			return Double.NaN;
		}
		return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * q) - 1))];
	}

	String markdown() {
		StringBuilder md = new StringBuilder();
		md.append(String.format(Locale.ROOT,
				"%nAdded latency per call, every provider healthy (after the timeline; one client at a time, %d callers, "
						+ "%d rounds of %d ms each):%n%n",
				this.callers, this.rounds, this.turnMillis));
		md.append("| path | calls | p50 ms | p99 ms | p99.9 ms | added p50 | added p99 | added p99.9 |\n");
		md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
		for (Map.Entry<String, Figures> entry : this.clients.entrySet()) {
			Figures f = entry.getValue();
			md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %+.2f | %+.2f | %+.2f |%n",
					entry.getKey(), f.calls(), f.p50Millis(), f.p99Millis(), f.p999Millis(), f.addedP50Millis(),
					f.addedP99Millis(), f.addedP999Millis()));
		}
		return md.toString();
	}

	/** One path's latencies, and what it adds to direct's at the same quantile. */
	public record Figures(int calls, double p50Millis, double p99Millis, double p999Millis, double maxMillis,
			double addedP50Millis, double addedP99Millis, double addedP999Millis) {

		static Figures of(double[] sorted, double[] direct, int calls) {
			double p50 = quantile(sorted, 0.5);
			double p99 = quantile(sorted, 0.99);
			double p999 = quantile(sorted, 0.999);
			return new Figures(calls, p50, p99, p999, (sorted.length > 0) ? sorted[sorted.length - 1] : Double.NaN,
					p50 - quantile(direct, 0.5), p99 - quantile(direct, 0.99), p999 - quantile(direct, 0.999));
		}

	}

}
