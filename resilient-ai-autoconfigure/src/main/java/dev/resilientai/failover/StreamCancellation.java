package dev.resilientai.failover;

import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

/**
 * Lets a stream attempt cancel its HTTP call. Spring AI's OpenAI model does not cancel its
 * HTTP stream when its {@code Flux} is cancelled, and starts the call on a thread of its own,
 * so the attempt tags its request with the {@value #HEADER} header; the HTTP integration
 * removes the header before the request leaves and hands the call's canceller to
 * {@link #claim(String, Runnable)}.
 */
public final class StreamCancellation {

	/** The request header that carries the attempt's tag to the HTTP client; never sent. */
	public static final String HEADER = "X-Resilient-Ai-Attempt";

	private static final ConcurrentMap<String, StreamCancellation> ACTIVE = new ConcurrentHashMap<>();

	private final String tag;

	private final AtomicBoolean claimed = new AtomicBoolean();

	private final AtomicBoolean cancelled = new AtomicBoolean();

	private volatile @Nullable Runnable canceller;

	private StreamCancellation() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		this.tag = new UUID(random.nextLong(), random.nextLong()).toString();
	}

	static StreamCancellation open() {
		StreamCancellation cancellation = new StreamCancellation();
		ACTIVE.put(cancellation.tag, cancellation);
		return cancellation;
	}

	String tag() {
		return this.tag;
	}

	/**
	 * Hand the canceller of the HTTP call that carried a tag to its stream attempt. The first
	 * call to claim a tag owns it.
	 * @param tag the value of the {@value #HEADER} header
	 * @param canceller cancels the call
	 * @return {@code true} if a running attempt took the canceller
	 */
	public static boolean claim(String tag, Runnable canceller) {
		StreamCancellation cancellation = ACTIVE.get(tag);
		if (cancellation == null || !cancellation.claimed.compareAndSet(false, true)) {
			return false;
		}
		cancellation.canceller = canceller;
		if (cancellation.cancelled.get()) {
			canceller.run();
		}
		return true;
	}

	void cancel() {
		if (this.cancelled.compareAndSet(false, true)) {
			Runnable toRun = this.canceller;
			if (toRun != null) {
				toRun.run();
			}
		}
		close();
	}

	void close() {
		ACTIVE.remove(this.tag);
	}

}
