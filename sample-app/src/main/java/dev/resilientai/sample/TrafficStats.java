package dev.resilientai.sample;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;

import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/**
 * The dashboard's live figures, from the starter's audit events: requests per second by the
 * provider that served them (or {@code failed}), and each second's p99 latency, over the last
 * {@value #WINDOW_SECONDS} seconds.
 */
@Component
class TrafficStats implements ApplicationListener<ResilientAiAuditEvent> {

	static final int WINDOW_SECONDS = 60;

	static final String FAILED = "failed";

	private final Bucket[] buckets = new Bucket[WINDOW_SECONDS];

	@Override
	public synchronized void onApplicationEvent(ResilientAiAuditEvent event) {
		AuditRecord record = event.getRecord();
		long second = Instant.now().getEpochSecond();
		Bucket bucket = bucket(second);
		String servedBy = (record.servedBy() != null) ? record.servedBy() : FAILED;
		bucket.served.merge(servedBy, 1, Integer::sum);
		if (bucket.latencies.size() < 10_000) {
			bucket.latencies.add(record.duration().toNanos() / 1_000_000.0);
		}
	}

	private Bucket bucket(long second) {
		int index = (int) (second % WINDOW_SECONDS);
		Bucket bucket = this.buckets[index];
		if (bucket == null || bucket.second != second) {
			bucket = new Bucket(second);
			this.buckets[index] = bucket;
		}
		return bucket;
	}

	synchronized Snapshot snapshot(List<String> providers) {
		long now = Instant.now().getEpochSecond();
		List<Long> seconds = new ArrayList<>();
		Map<String, List<Integer>> served = new LinkedHashMap<>();
		for (String provider : providers) {
			served.put(provider, new ArrayList<>());
		}
		served.put("fallback", new ArrayList<>());
		served.put(FAILED, new ArrayList<>());
		List<Double> p99 = new ArrayList<>();
		for (long second = now - WINDOW_SECONDS + 1; second <= now; second++) {
			Bucket bucket = this.buckets[(int) (second % WINDOW_SECONDS)];
			boolean current = bucket != null && bucket.second == second;
			seconds.add(second);
			for (Map.Entry<String, List<Integer>> series : served.entrySet()) {
				series.getValue().add(current ? bucket.served.getOrDefault(series.getKey(), 0) : 0);
			}
			p99.add(current ? bucket.p99() : null);
		}
		return new Snapshot(seconds, served, p99);
	}

	record Snapshot(List<Long> seconds, Map<String, List<Integer>> served, List<Double> p99Millis) {
	}

	private static final class Bucket {

		private final long second;

		private final Map<String, Integer> served = new TreeMap<>();

		private final List<Double> latencies = new ArrayList<>();

		Bucket(long second) {
			this.second = second;
		}

		Double p99() {
			if (this.latencies.isEmpty()) {
				return null;
			}
			double[] sorted = this.latencies.stream().mapToDouble(Double::doubleValue).toArray();
			Arrays.sort(sorted);
			return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
		}

	}

}
