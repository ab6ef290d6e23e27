package dev.resilientai.benchmarks.harness;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;

/**
 * The outage harness's Portkey lane: Spring AI's plain {@code ChatClient} with Spring AI's
 * OpenAI defaults (the SDK's 3 retries, a 60 s timeout), pointed at a {@link PortkeyGateway}
 * whose fallback config sends each request to the lane's primary stub and, on 408, 429 or
 * 5xx, to its secondary. While the lane runs, a daemon thread samples the gateway's RSS.
 */
final class PortkeyLane implements AutoCloseable {

	private final @Nullable PortkeyGateway gateway;

	private final @Nullable String skipped;

	private final String config;

	private final Supplier<String> client;

	private final AtomicLong peakRssKiB = new AtomicLong(-1);

	private final AtomicLong calls = new AtomicLong();

	private final long cpuAtStart;

	private final @Nullable Thread sampler;

	private volatile boolean closed;

	private volatile double cpuMillisPerCallAtClose = -1;

	private PortkeyLane(String skipped) {
		this.gateway = null;
		this.skipped = skipped;
		this.config = "";
		this.client = () -> {
			throw new IllegalStateException("Portkey lane skipped: " + skipped);
		};
		this.sampler = null;
		this.cpuAtStart = -1;
	}

	private PortkeyLane(PortkeyGateway gateway, StubProvider primary, StubProvider secondary) {
		this.gateway = gateway;
		this.skipped = null;
		this.config = PortkeyGateway.fallbackConfig(primary.baseUrl(), secondary.baseUrl());
		OpenAiChatModel model = OpenAiChatModel.builder()
			.options(OpenAiChatOptions.builder()
				.baseUrl(gateway.baseUrl())
				.apiKey("stub")
				.model("stub")
				.customHeaders(PortkeyGateway.headers(primary.baseUrl(), secondary.baseUrl()))
				.build())
			.build();
		ChatClient chat = ChatClient.create(model);
		this.client = () -> {
			this.calls.incrementAndGet();
			return chat.prompt().user("hi").call().content();
		};
		this.cpuAtStart = ProcMemory.cpuMillis(gateway.pid());
		this.sampler = new Thread(this::sample, "portkey-rss");
		this.sampler.setDaemon(true);
		this.sampler.start();
	}

	/**
	 * Start the gateway for the lane, or say on the console why the lane is skipped.
	 * @param primary the lane's primary stub
	 * @param secondary the lane's secondary stub
	 * @return the lane, running or skipped ({@link #skipped()} says why)
	 */
	static PortkeyLane startOrSkip(StubProvider primary, StubProvider secondary) {
		String reason = PortkeyGateway.unavailableReason();
		if (reason == null) {
			try {
				return new PortkeyLane(PortkeyGateway.start(), primary, secondary);
			}
			catch (IOException ex) {
				reason = "the gateway did not start: " + ex.getMessage();
			}
		}
		System.out.println("*** Portkey lane SKIPPED: " + reason + " ***");
		return new PortkeyLane(reason);
	}

	boolean running() {
		return this.gateway != null;
	}

	/**
	 * Why the lane is skipped.
	 * @return the reason, or {@code null} if it runs
	 */
	@Nullable String skipped() {
		return this.skipped;
	}

	Supplier<String> client() {
		return this.client;
	}

	@Nullable PortkeyGateway gateway() {
		return this.gateway;
	}

	String config() {
		return this.config;
	}

	/**
	 * The gateway's peak RSS while the lane ran, sampled every 250 ms.
	 * @return KiB, or -1 without {@code /proc}
	 */
	long peakRssKiB() {
		return this.peakRssKiB.get();
	}

	/**
	 * The gateway's CPU time per call of the lane since it started listening (warm-up, timeline
	 * and latency turns).
	 * @return milliseconds per call, or -1
	 */
	double cpuMillisPerCall() {
		PortkeyGateway running = this.gateway;
		long calls = this.calls.get();
		if (this.closed) {
			return this.cpuMillisPerCallAtClose;
		}
		if (running == null || calls == 0 || this.cpuAtStart < 0) {
			return -1;
		}
		return (ProcMemory.cpuMillis(running.pid()) - this.cpuAtStart) / (double) calls;
	}

	private void sample() {
		PortkeyGateway sampled = this.gateway;
		while (!this.closed && sampled != null) {
			long rss = sampled.rssKiB();
			this.peakRssKiB.accumulateAndGet(rss, Math::max);
			try {
				TimeUnit.MILLISECONDS.sleep(250);
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	@Override
	public void close() {
		this.cpuMillisPerCallAtClose = cpuMillisPerCall();
		this.closed = true;
		if (this.sampler != null) {
			this.sampler.interrupt();
		}
		if (this.gateway != null) {
			this.gateway.close();
		}
	}

}
