package dev.resilientai.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;

/**
 * What streaming through {@code ResilientChatClient} adds: time to the first chunk, and a whole
 * stream of {@code chunks} chunks ({@value InMemoryChatModel#CHUNKS} unless
 * {@code -p chunks=...}), against Spring AI's plain {@code ChatClient} on the same in-memory
 * model. The cost added per chunk is the slope between two stream lengths
 * ({@code -p chunks=10,100}), free of what every stream pays once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class StreamBenchmark {

	@Param({ "10" })
	public int chunks;

	private ChatClient plain;

	private Stacks.Resilient resilient;

	@Setup
	public void setUp() {
		InMemoryChatModel model = new InMemoryChatModel(this.chunks);
		this.plain = Stacks.plain(model);
		this.resilient = Stacks.oneProvider(model);
	}

	@TearDown
	public void tearDown() {
		this.resilient.close();
	}

	@Benchmark
	public ChatResponse plainFirstChunk() {
		return this.plain.prompt().user("hello").stream().chatResponse().blockFirst();
	}

	@Benchmark
	public ChatResponse resilientFirstChunk() {
		return this.resilient.client().prompt().user("hello").stream().chatResponse().blockFirst();
	}

	@Benchmark
	public ChatResponse plainWholeStream() {
		return this.plain.prompt().user("hello").stream().chatResponse().blockLast();
	}

	@Benchmark
	public ChatResponse resilientWholeStream() {
		return this.resilient.client().prompt().user("hello").stream().chatResponse().blockLast();
	}

}
