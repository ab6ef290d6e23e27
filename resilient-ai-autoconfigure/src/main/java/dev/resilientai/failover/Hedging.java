package dev.resilientai.failover;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.util.Assert;

/**
 * Hedged attempts: when a provider has not answered (or, for a stream, sent its first chunk)
 * within the delay, the request is also sent to the next eligible provider, and the first
 * answer wins. A budget bounds the cost: over any run of N requests at most
 * {@code maxRatio × N + 2} are hedged (a token bucket of two tokens that each request refills
 * by {@code maxRatio}); a request over budget waits for its provider.
 * <p>
 * The delay is fixed ({@link #of}) or adaptive ({@link #adaptive}): the 95th percentile of the
 * provider's last {@value #WINDOW} answer times (a call's duration, a stream's time to first
 * chunk), floored and capped by the fixed delay; with fewer than {@value #MIN_SAMPLES} answers
 * it is the cap. An attempt that lost its race after running at least the delay counts with
 * the time it ran, a lower bound of its answer time; failed and timed-out attempts do not
 * count.
 */
public final class Hedging {

	private static final long TOKEN = 1_000_000L;

	private static final long CAPACITY = 2 * TOKEN;

	/** The most threads hedged calls and probes run on at once. */
	static final int MAX_THREADS = 1024;

	/** How many recent answer times per provider the adaptive delay is taken from (a power of two). */
	static final int WINDOW = 64;

	/** Fewer answers than this: the adaptive delay is the cap. */
	static final int MIN_SAMPLES = 16;

	/** The adaptive delay is recomputed after every this many answers of a provider. */
	static final int RECOMPUTE_EVERY = 8;

	static final double PERCENTILE = 0.95;

	private final boolean enabled;

	private final Duration delay;

	private final long refill;

	private final AtomicLong tokens = new AtomicLong(CAPACITY);

	private final Map<String, LongAdder> started = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> won = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> cancelled = new ConcurrentHashMap<>();

	/** The adaptive delay's floor; {@code null} for a fixed delay. */
	private final @Nullable Duration floor;

	private final Map<String, AnswerTimes> answerTimes = new ConcurrentHashMap<>();

	private volatile @Nullable ExecutorService executor;

	private final Scheduler scheduler = Schedulers.fromExecutor((task) -> executor().execute(task));

	/** Guarded by {@code this}. */
	private boolean closed;

	private Hedging(boolean enabled, Duration delay, double maxRatio, @Nullable Duration floor) {
		Assert.isTrue(delay.compareTo(Duration.ZERO) > 0, "'delay' must be positive");
		Assert.isTrue(maxRatio >= 0 && maxRatio <= 1, "'maxRatio' must be between 0 and 1");
		Assert.isTrue(floor == null || (floor.compareTo(Duration.ZERO) > 0 && floor.compareTo(delay) <= 0),
				"'floor' must be positive and at most the cap");
		this.enabled = enabled;
		this.delay = delay;
		this.refill = Math.round(maxRatio * TOKEN);
		this.floor = floor;
	}

	/**
	 * Hedging off: every attempt runs alone.
	 * @return hedging that never hedges
	 */
	public static Hedging off() {
		// one per executor: its threads (for probes) close with the executor
		return new Hedging(false, Duration.ofSeconds(1), 0, null);
	}

	/**
	 * Hedge after the given delay, within the given budget.
	 * @param delay how long an attempt runs alone before the next provider is tried too
	 * @param maxRatio the share of requests that may be hedged, from 0 to 1
	 * @return the hedging
	 */
	public static Hedging of(Duration delay, double maxRatio) {
		return new Hedging(true, delay, maxRatio, null);
	}

	/**
	 * Hedge after an adaptive delay, within the given budget: the 95th percentile of the
	 * provider's recent answer times, at least a tenth of the cap and at most the cap.
	 * @param cap the longest delay, and the delay while a provider has answered too few
	 * requests to judge
	 * @param maxRatio the share of requests that may be hedged, from 0 to 1
	 * @return the hedging
	 */
	public static Hedging adaptive(Duration cap, double maxRatio) {
		Duration tenth = cap.dividedBy(10);
		return adaptive(cap, maxRatio, tenth.isZero() ? cap : tenth);
	}

	/**
	 * Hedge after an adaptive delay, within the given budget: the 95th percentile of the
	 * provider's recent answer times, at least the floor and at most the cap.
	 * @param cap the longest delay, and the delay while a provider has answered too few
	 * requests to judge
	 * @param maxRatio the share of requests that may be hedged, from 0 to 1
	 * @param floor the shortest delay, so that a fast provider's jitter does not spend the
	 * budget
	 * @return the hedging
	 */
	public static Hedging adaptive(Duration cap, double maxRatio, Duration floor) {
		return new Hedging(true, cap, maxRatio, floor);
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Return the fixed delay, or the adaptive delay's cap.
	 * @return the delay
	 */
	public Duration getDelay() {
		return this.delay;
	}

	/**
	 * Return whether the delay adapts to each provider's recent answer times.
	 * @return {@code true} for an adaptive delay
	 */
	public boolean isAdaptive() {
		return this.floor != null;
	}

	/**
	 * Return how long an attempt on the given provider would run alone now before it is
	 * hedged: the fixed delay, or the provider's adaptive delay.
	 * @param provider the provider's name
	 * @return the delay
	 */
	public Duration currentDelay(String provider) {
		if (this.floor == null) {
			return this.delay;
		}
		AnswerTimes times = this.answerTimes.get(provider);
		Duration adapted = (times != null) ? times.delay : null;
		return (adapted != null) ? adapted : this.delay;
	}

	/**
	 * Return how long an attempt on the given provider runs alone before it is hedged.
	 * @param provider the provider of the attempt
	 * @return the delay
	 */
	Duration delayFor(Provider provider) {
		return currentDelay(provider.getName());
	}

	/**
	 * An attempt on a provider answered (a call) or sent its first chunk (a stream) after the
	 * given time.
	 * @param provider the provider
	 * @param firstAnswer the time to its answer or first chunk
	 */
	void observe(Provider provider, Duration firstAnswer) {
		Duration floor = this.floor;
		if (floor == null) {
			return;
		}
		AnswerTimes times = this.answerTimes.get(provider.getName());
		if (times == null) {
			times = this.answerTimes.computeIfAbsent(provider.getName(), (name) -> new AnswerTimes());
		}
		times.add(firstAnswer.toNanos(), floor, this.delay);
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
	 * Whether the budget has a hedge left now (without taking it).
	 * @return {@code true} if a hedge could be taken
	 */
	boolean hasBudget() {
		return this.tokens.get() >= TOKEN;
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

	/**
	 * An attempt lost its race: the other attempt of the hedged request answered (or sent
	 * its first chunk) first, and this one was cancelled.
	 * @param provider the provider of the lost attempt
	 * @param elapsed how long it had run
	 */
	void cancelled(Provider provider, Duration elapsed) {
		count(this.cancelled, provider.getName());
		// The adaptive delay must not learn only from the answers that beat the hedges: left
		// out, the slow answers the hedges cut short would drag the percentile down, and the
		// delay with it, until the budget runs dry. An attempt that lost after running at
		// least the delay takes longer than it: counting its elapsed time (a lower bound)
		// keeps the share of answer times above the delay right. A hedge cut short sooner
		// says nothing.
		if (this.floor != null && elapsed.compareTo(currentDelay(provider.getName())) >= 0) {
			observe(provider, elapsed);
		}
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
	 * The hedging pool as a Reactor scheduler: a stream's hedge is chosen there (taking a
	 * bulkhead slot may wait, never on one of Reactor's parallel threads).
	 */
	Scheduler scheduler() {
		return this.scheduler;
	}

	/**
	 * The threads hedged calls (both their attempts), probes, and the choice of a stream's
	 * hedge run on.
	 */
	ExecutorService executor() {
		ExecutorService current = this.executor;
		if (current == null) {
			synchronized (this) {
				if (this.closed) {
					throw new RejectedExecutionException("Hedging is closed");
				}
				current = this.executor;
				if (current == null) {
					AtomicInteger threads = new AtomicInteger();
					// bounded: a pool that refuses leaves the request unhedged, on its caller's thread
					ThreadPoolExecutor pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS,
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

	/**
	 * Stop the threads: hedged calls and probes run no more (a request then runs unhedged).
	 */
	synchronized void close() {
		this.closed = true;
		ExecutorService current = this.executor;
		if (current != null) {
			current.shutdownNow();
		}
	}

	/**
	 * A provider's last {@link #WINDOW} answer times in a ring, and the delay taken from them.
	 * Adding is lock-free and allocates nothing; every {@link #RECOMPUTE_EVERY} answers one
	 * caller (the one that finds no other doing it) sorts a copy of the ring into a scratch
	 * array of its own and publishes the new delay, which {@link #currentDelay} reads as is.
	 */
	private static final class AnswerTimes {

		private final AtomicLongArray ring = new AtomicLongArray(WINDOW);

		private final AtomicLong added = new AtomicLong();

		private final AtomicBoolean computing = new AtomicBoolean();

		private final long[] scratch = new long[WINDOW];

		/** The adaptive delay; {@code null} until the provider has answered enough. */
		private volatile @Nullable Duration delay;

		AnswerTimes() {
			for (int i = 0; i < WINDOW; i++) {
				this.ring.set(i, -1);
			}
		}

		void add(long nanos, Duration floor, Duration cap) {
			long count = this.added.getAndIncrement() + 1;
			this.ring.set((int) ((count - 1) & (WINDOW - 1)), Math.max(0, nanos));
			if (count >= MIN_SAMPLES && (count == MIN_SAMPLES || count % RECOMPUTE_EVERY == 0)
					&& this.computing.compareAndSet(false, true)) {
				try {
					recompute(floor, cap);
				}
				finally {
					this.computing.set(false);
				}
			}
		}

		private void recompute(Duration floor, Duration cap) {
			int n = 0;
			for (int i = 0; i < WINDOW; i++) {
				long value = this.ring.get(i);
				// a slot claimed by a concurrent add but not written yet
				if (value >= 0) {
					this.scratch[n++] = value;
				}
			}
			if (n < MIN_SAMPLES) {
				return;
			}
			Arrays.sort(this.scratch, 0, n);
			long percentile = this.scratch[Math.max(0, (int) Math.ceil(n * PERCENTILE) - 1)];
			long nanos = Math.min(cap.toNanos(), Math.max(floor.toNanos(), percentile));
			Duration current = this.delay;
			if (current == null || current.toNanos() != nanos) {
				this.delay = (nanos == cap.toNanos()) ? cap : (nanos == floor.toNanos()) ? floor : Duration.ofNanos(nanos);
			}
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
