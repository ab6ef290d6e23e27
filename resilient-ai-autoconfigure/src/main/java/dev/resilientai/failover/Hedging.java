package dev.resilientai.failover;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.springframework.util.Assert;

/**
 * Hedged attempts: when a provider has not answered (or, for a stream, sent its first chunk)
 * within the delay, the request is also sent to the next eligible provider, and the first
 * answer wins. A budget bounds the cost: over any run of N requests at most
 * {@code maxRatio × N + 2} are hedged (a token bucket of two tokens that each request refills
 * by {@code maxRatio}); a request over budget waits for its provider.
 */
public final class Hedging {

	private static final long TOKEN = 1_000_000L;

	private static final long CAPACITY = 2 * TOKEN;

	private final boolean enabled;

	private final Duration delay;

	private final long refill;

	private final AtomicLong tokens = new AtomicLong(CAPACITY);

	private final Map<String, LongAdder> started = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> won = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> cancelled = new ConcurrentHashMap<>();

	private volatile ExecutorService executor;

	private Hedging(boolean enabled, Duration delay, double maxRatio) {
		Assert.isTrue(delay.compareTo(Duration.ZERO) > 0, "'delay' must be positive");
		Assert.isTrue(maxRatio >= 0 && maxRatio <= 1, "'maxRatio' must be between 0 and 1");
		this.enabled = enabled;
		this.delay = delay;
		this.refill = Math.round(maxRatio * TOKEN);
	}

	/**
	 * Hedging off: every attempt runs alone.
	 * @return hedging that never hedges
	 */
	public static Hedging off() {
		// one per executor: its threads (for probes) close with the executor
		return new Hedging(false, Duration.ofSeconds(1), 0);
	}

	/**
	 * Hedge after the given delay, within the given budget.
	 * @param delay how long an attempt runs alone before the next provider is tried too
	 * @param maxRatio the share of requests that may be hedged, from 0 to 1
	 * @return the hedging
	 */
	public static Hedging of(Duration delay, double maxRatio) {
		return new Hedging(true, delay, maxRatio);
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	public Duration getDelay() {
		return this.delay;
	}

	/**
	 * Return how long an attempt on the given provider runs alone before it is hedged.
	 * @param provider the provider of the attempt
	 * @return the delay
	 */
	Duration delayFor(Provider provider) {
		return this.delay;
	}

	/**
	 * An attempt on a provider answered (a call) or sent its first chunk (a stream) after the
	 * given time.
	 * @param provider the provider
	 * @param firstAnswer the time to its answer or first chunk
	 */
	void observe(Provider provider, Duration firstAnswer) {
	}

	/**
	 * A request starts: it refills the budget by the ratio.
	 */
	void onRequest() {
		if (this.refill == 0) {
			return;
		}
		long current;
		do {
			current = this.tokens.get();
			if (current >= CAPACITY) {
				return;
			}
		}
		while (!this.tokens.compareAndSet(current, Math.min(CAPACITY, current + this.refill)));
	}

	/**
	 * Take one hedge from the budget.
	 * @return {@code true} if the budget allows a hedge now
	 */
	boolean tryTake() {
		long current;
		do {
			current = this.tokens.get();
			if (current < TOKEN) {
				return false;
			}
		}
		while (!this.tokens.compareAndSet(current, current - TOKEN));
		return true;
	}

	/**
	 * Give back a hedge taken but not sent (no provider could take it).
	 */
	void refund() {
		this.tokens.accumulateAndGet(TOKEN, (current, add) -> Math.min(CAPACITY, current + add));
	}

	void started(String provider) {
		count(this.started, provider);
	}

	void won(String provider) {
		count(this.won, provider);
	}

	void cancelled(String provider) {
		count(this.cancelled, provider);
	}

	/**
	 * Return how many hedged attempts were sent to a provider.
	 * @param provider the provider
	 * @return the count
	 */
	public long startedCount(String provider) {
		return sum(this.started, provider);
	}

	/**
	 * Return how many requests a provider's hedged attempt answered first.
	 * @param provider the provider
	 * @return the count
	 */
	public long wonCount(String provider) {
		return sum(this.won, provider);
	}

	/**
	 * Return how many attempts on a provider were cancelled because the other attempt of a
	 * hedged request answered first (the primary's or the hedge's).
	 * @param provider the provider
	 * @return the count
	 */
	public long cancelledCount(String provider) {
		return sum(this.cancelled, provider);
	}

	/**
	 * The threads hedged call attempts and probes run on (stream attempts need none).
	 */
	ExecutorService executor() {
		ExecutorService current = this.executor;
		if (current == null || current.isShutdown()) {
			synchronized (this) {
				current = this.executor;
				if (current == null || current.isShutdown()) {
					AtomicInteger threads = new AtomicInteger();
					ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
							new SynchronousQueue<>(), (task) -> {
								Thread thread = new Thread(task, "resilient-ai-hedge-" + threads.incrementAndGet());
								thread.setDaemon(true);
								return thread;
							});
					this.executor = pool;
					current = pool;
				}
			}
		}
		return current;
	}

	void close() {
		ExecutorService current = this.executor;
		if (current != null) {
			current.shutdownNow();
		}
	}

	private static void count(Map<String, LongAdder> counters, String provider) {
		counters.computeIfAbsent(provider, (key) -> new LongAdder()).increment();
	}

	private static long sum(Map<String, LongAdder> counters, String provider) {
		LongAdder adder = counters.get(provider);
		return (adder != null) ? adder.sum() : 0;
	}

}
