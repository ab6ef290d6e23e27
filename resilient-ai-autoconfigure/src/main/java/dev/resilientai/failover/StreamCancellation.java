package dev.resilientai.failover;

import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * Lets a stream attempt cancel its HTTP call. Spring AI's OpenAI model does not cancel its
 * HTTP stream when its {@code Flux} is cancelled, so the attempt marks the thread that
 * subscribes to the model; the OkHttp dispatcher carries that mark to the thread that runs the
 * call (through Micrometer's context propagation, see {@link StreamCancellationAccessor}),
 * where the HTTP integration hands the call's canceller to {@link #claim(Runnable)}. The first
 * call to claim it owns it: a call started later on a thread that still carries the mark
 * cannot take it over.
 */
final class StreamCancellation {

	static final ThreadLocal<@Nullable StreamCancellation> SUBSCRIBING = new ThreadLocal<>();

	private final AtomicBoolean claimed = new AtomicBoolean();

	private final AtomicBoolean cancelled = new AtomicBoolean();

	private volatile @Nullable Runnable canceller;

	/**
	 * Subscribe to a stream with this cancellation marked on the subscribing thread.
	 * @param <T> the element type
	 * @param source the model's stream
	 * @return the stream
	 */
	<T> Flux<T> subscribeMarked(Flux<T> source) {
		return Flux.from((subscriber) -> {
			StreamCancellation previous = SUBSCRIBING.get();
			SUBSCRIBING.set(this);
			try {
				source.subscribe(subscriber);
			}
			finally {
				if (previous != null) {
					SUBSCRIBING.set(previous);
				}
				else {
					SUBSCRIBING.remove();
				}
			}
		});
	}

	boolean claim(Runnable canceller) {
		if (!this.claimed.compareAndSet(false, true)) {
			return false;
		}
		this.canceller = canceller;
		if (this.cancelled.get()) {
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
	}

}
