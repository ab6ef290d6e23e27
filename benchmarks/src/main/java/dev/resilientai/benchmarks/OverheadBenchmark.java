package dev.resilientai.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;

/**
 * What {@code ResilientChatClient.call()} adds to Spring AI's plain {@code ChatClient.call()}
 * on the same in-memory model: the failover loop, breaker, deadline guard, routing context,
 * audit record and response metadata. Run with {@code -prof gc} for bytes allocated per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class OverheadBenchmark {

	private ChatClient plain;

	private Stacks.Resilient oneProvider;

	private Stacks.Resilient firstBreakerOpen;

	private Stacks.Resilient compliance;

	@Setup
	public void setUp() {
		InMemoryChatModel model = new InMemoryChatModel();
		this.plain = Stacks.plain(model);
		this.oneProvider = Stacks.oneProvider(model);
		this.firstBreakerOpen = Stacks.firstBreakerOpen(model);
		this.compliance = Stacks.compliance(model);
	}

	@TearDown
	public void tearDown() {
		this.oneProvider.close();
		this.firstBreakerOpen.close();
		this.compliance.close();
	}

	@Benchmark
	public ChatResponse plainChatClient() {
		return this.plain.prompt().user("hello").call().chatResponse();
	}

	@Benchmark
	public ChatResponse resilientOneProvider() {
		return this.oneProvider.client().prompt().user("hello").call().chatResponse();
	}

	@Benchmark
	public ChatResponse resilientThreeProvidersFirstBreakerOpen() {
		return this.firstBreakerOpen.client().prompt().user("hello").call().chatResponse();
	}

	@Benchmark
	public ChatResponse resilientComplianceRouting() {
		return this.compliance.client().prompt().user("hello").dataClass("pii").call().chatResponse();
	}

}
