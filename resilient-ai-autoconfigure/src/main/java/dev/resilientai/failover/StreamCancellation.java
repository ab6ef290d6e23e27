package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Lets a stream attempt cancel its HTTP call. Spring AI's OpenAI model does not cancel its
 * HTTP stream when its {@code Flux} is cancelled, and starts the call on a thread of its own,
 * so the attempt tags its request with the {@value #HEADER} header; the HTTP integration
 * removes the header before the request leaves and hands the call's canceller to
 * {@link #claim(String, Runnable)}, which also tells it not to send a request whose attempt
 * is already over.
 */
public final class StreamCancellation {

	/** The request header that carries the attempt's tag to the HTTP client; never sent. */
	public static final String HEADER = "X-Resilient-Ai-Attempt";

	private static final Log logger = LogFactory.getLog(StreamCancellation.class);

	private static final ConcurrentMap<String, StreamCancellation> ACTIVE = new ConcurrentHashMap<>();

	private final String tag;

	/** Guarded by {@code this}. */
	private final List<Runnable> cancellers = new ArrayList<>(1);

	/** Guarded by {@code this}: the attempt was cancelled or closed, its calls must not run. */
	private boolean over;

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
	 * Hand the canceller of an HTTP call that carries a tag to its stream attempt, as the
	 * call is about to be sent.
	 * @param tag the value of the {@value #HEADER} header
	 * @param canceller cancels the call
	 * @return {@link Claim#RUNNING} if the attempt is running and took the canceller; else
	 * the call must not be sent
	 */
	public static Claim claim(String tag, Runnable canceller) {
		StreamCancellation cancellation = ACTIVE.get(tag);
		if (cancellation == null) {
			// Cancelled or closed before the call was dispatched (OkHttp queues calls beyond
			// its per-host limit), or a tag no attempt of this JVM made.
			return Claim.UNKNOWN;
		}
		synchronized (cancellation) {
			if (!cancellation.over) {
				cancellation.cancellers.add(canceller);
				return Claim.RUNNING;
			}
		}
		return Claim.CANCELLED;
	}

	/**
	 * The attempt is over, its HTTP calls to be cancelled as the cancel reaches them
	 * ({@link #cancel()}, later or on another thread): from now on a call that carries the
	 * tag is refused, as after a cancel.
	 */
	void refuse() {
		synchronized (this) {
			this.over = true;
		}
		ACTIVE.remove(this.tag);
	}

	void cancel() {
		List<Runnable> toRun;
		synchronized (this) {
			toRun = List.copyOf(this.cancellers);
			this.over = true;
			this.cancellers.clear();
		}
		close();
		for (Runnable canceller : toRun) {
			try {
				canceller.run();
			}
			catch (RuntimeException ex) {
				logger.debug("Cancelling a stream attempt's HTTP call failed", ex);
			}
		}
	}

	void close() {
		synchronized (this) {
			this.over = true;
			this.cancellers.clear();
		}
		ACTIVE.remove(this.tag);
	}

	/**
	 * What a call that carries a tag learns from {@link #claim(String, Runnable)}.
	 */
	public enum Claim {

		/** The attempt is running and cancels the call when it is cancelled: send it. */
		RUNNING,

		/** The attempt was cancelled or ended: do not send the call. */
		CANCELLED,

		/** No running attempt has this tag (it ended and was forgotten): do not send the call. */
		UNKNOWN;

		/**
		 * Whether the call may be sent.
		 * @return {@code true} only for {@link #RUNNING}
		 */
		public boolean mayProceed() {
			return this == RUNNING;
		}

	}

}
