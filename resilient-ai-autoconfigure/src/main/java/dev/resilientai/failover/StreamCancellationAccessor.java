package dev.resilientai.failover;

import io.micrometer.context.ThreadLocalAccessor;
import org.jspecify.annotations.Nullable;

/**
 * Carries a stream attempt's {@link StreamCancellation} mark to the threads that Micrometer's
 * context propagation wraps, such as the OkHttp dispatcher of Spring AI's OpenAI and Anthropic
 * clients. Registered through {@code META-INF/services}.
 */
public final class StreamCancellationAccessor implements ThreadLocalAccessor<Object> {

	/** The key of the value in a context snapshot. */
	public static final String KEY = "resilient-ai.stream-cancellation";

	@Override
	public Object key() {
		return KEY;
	}

	@Override
	public @Nullable Object getValue() {
		return StreamCancellation.SUBSCRIBING.get();
	}

	@Override
	public void setValue(Object value) {
		StreamCancellation.SUBSCRIBING.set((StreamCancellation) value);
	}

	@Override
	public void setValue() {
		StreamCancellation.SUBSCRIBING.remove();
	}

}
