package dev.resilientai.logging;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * At most one log line per key (a provider and what happened to it) per period; the lines
 * held back are counted and reported by the next one let through.
 */
final class QuietPeriod {

	/** Returned by {@link #admit(String)} for a line to hold back. */
	static final long HOLD = -1;

	private final Clock clock;

	private final long periodMillis;

	private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

	QuietPeriod(Duration period, Clock clock) {
		this.periodMillis = period.toMillis();
		this.clock = clock;
	}

	/**
	 * Whether a line of the given key may be written now.
	 * @param key what the line is about
	 * @return {@link #HOLD}, or the number of lines of this key held back since the last one
	 */
	long admit(String key) {
		Window window = this.windows.computeIfAbsent(key, (k) -> new Window());
		long now = this.clock.millis();
		synchronized (window) {
			if (window.logged && now - window.lastMillis < this.periodMillis) {
				window.held++;
				return HOLD;
			}
			long held = window.held;
			window.logged = true;
			window.lastMillis = now;
			window.held = 0;
			return held;
		}
	}

	static String heldNote(long held) {
		return (held > 0) ? " [" + held + " similar line" + ((held == 1) ? "" : "s") + " held back]" : "";
	}

	private static final class Window {

		private boolean logged;

		private long lastMillis;

		private long held;

	}

}
