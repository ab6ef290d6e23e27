package dev.resilientai.sample;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.resilientai.ResilientAiException;
import dev.resilientai.ResilientChatClient;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * A small built-in traffic generator, off by default, so the dashboard's chart shows traffic
 * moving when a fault is switched on and back when it is switched off. Bounded: at most
 * {@value #MAX_RATE} requests per second, at most {@value #WORKERS} in flight, and requests
 * that cannot start at once are dropped rather than queued.
 */
@Component
class LoadGenerator implements DisposableBean {

	static final int MAX_RATE = 50;

	static final int WORKERS = 16;

	private static final List<String> CLASSES = List.of("public", "public", "public", "internal", "internal", "pii",
			"pii", "phi");

	private final ResilientChatClient chatClient;

	private final ScheduledExecutorService ticker = java.util.concurrent.Executors
		.newSingleThreadScheduledExecutor(daemon("load-ticker"));

	private final ExecutorService workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS,
			new LinkedBlockingQueue<>(WORKERS), daemon("load-worker"), new ThreadPoolExecutor.DiscardPolicy());

	private @Nullable ScheduledFuture<?> running;

	private int rate = 10;

	LoadGenerator(ResilientChatClient chatClient) {
		this.chatClient = chatClient;
	}

	synchronized State set(boolean on, int requestsPerSecond) {
		if (this.running != null) {
			this.running.cancel(false);
			this.running = null;
		}
		this.rate = Math.max(1, Math.min(MAX_RATE, requestsPerSecond));
		if (on) {
			this.running = this.ticker.scheduleAtFixedRate(() -> this.workers.execute(this::oneRequest), 0,
					1_000_000 / this.rate, TimeUnit.MICROSECONDS);
		}
		return state();
	}

	synchronized State state() {
		return new State(this.running != null, this.rate);
	}

	private void oneRequest() {
		String dataClass = CLASSES.get(ThreadLocalRandom.current().nextInt(CLASSES.size()));
		try {
			this.chatClient.prompt().user("Generated load").dataClass(dataClass).call().content();
		}
		catch (ResilientAiException ex) {
			// counted by the audit events the dashboard reads
		}
	}

	@Override
	public void destroy() {
		this.ticker.shutdownNow();
		this.workers.shutdownNow();
	}

	private static java.util.concurrent.ThreadFactory daemon(String name) {
		return (runnable) -> {
			Thread thread = new Thread(runnable, name);
			thread.setDaemon(true);
			return thread;
		};
	}

	record State(boolean running, int requestsPerSecond) {
	}

}
