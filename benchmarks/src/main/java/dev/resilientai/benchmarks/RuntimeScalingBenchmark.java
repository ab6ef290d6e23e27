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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.ai.chat.model.ChatResponse;

/**
 * The full runtime ({@link Runtimes.Runtime#FULL}) under 1, 2, 4 and 8 threads sharing one
 * client, as the request threads of an application do: the distribution of each call's time
 * (JMH {@code SampleTime}: p50, p99, p99.9), and from its mean the throughput
 * ({@code threads / mean}). Contention (a breaker's sliding window, shared counters, meters)
 * shows as a mean that grows faster with the threads than the plain client's.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class RuntimeScalingBenchmark {

	private Runtimes.Application plain;

	private Runtimes.Application resilient;

	@Setup
	public void setUp() {
		this.plain = Runtimes.plain(Runtimes.Runtime.FULL);
		this.resilient = Runtimes.resilient(Runtimes.Runtime.FULL);
	}

	@TearDown
	public void tearDown() {
		this.resilient.close();
		this.plain.close();
	}

	private ChatResponse plain() {
		return this.plain.chatClient().prompt().user("hello").call().chatResponse();
	}

	private ChatResponse resilient() {
		return this.resilient.resilient().prompt().user("hello").call().chatResponse();
	}

	@Benchmark
	@Threads(1)
	public ChatResponse plainThreads1() {
		return plain();
	}

	@Benchmark
	@Threads(1)
	public ChatResponse resilientThreads1() {
		return resilient();
	}

	@Benchmark
	@Threads(2)
	public ChatResponse plainThreads2() {
		return plain();
	}

	@Benchmark
	@Threads(2)
	public ChatResponse resilientThreads2() {
		return resilient();
	}

	@Benchmark
	@Threads(4)
	public ChatResponse plainThreads4() {
		return plain();
	}

	@Benchmark
	@Threads(4)
	public ChatResponse resilientThreads4() {
		return resilient();
	}

	@Benchmark
	@Threads(8)
	public ChatResponse plainThreads8() {
		return plain();
	}

	@Benchmark
	@Threads(8)
	public ChatResponse resilientThreads8() {
		return resilient();
	}

}
