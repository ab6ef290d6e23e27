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

import org.springframework.ai.chat.model.ChatResponse;

/**
 * What {@code ResilientChatClient.call()} adds as applications run it: the clients come from
 * Spring Boot applications built by the auto-configuration over the same in-memory model
 * (see {@link Runtimes}), with the starter alone ({@code runtime=starter}) or with actuator
 * metrics, observations and audit events on ({@code runtime=full}), against Spring AI's
 * auto-configured plain {@code ChatClient} of the same runtime. Run with {@code -prof gc} for
 * bytes allocated per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class RuntimeBenchmark {

	@Param({ "starter", "full" })
	public String runtime;

	private Runtimes.Application plain;

	private Runtimes.Application resilient;

	@Setup
	public void setUp() {
		Runtimes.Runtime runtime = Runtimes.Runtime.of(this.runtime);
		this.plain = Runtimes.plain(runtime);
		this.resilient = Runtimes.resilient(runtime);
	}

	@TearDown
	public void tearDown() {
		this.resilient.close();
		this.plain.close();
	}

	/** Spring AI's auto-configured {@code ChatClient} over the in-memory model. */
	@Benchmark
	public ChatResponse plainChatClient() {
		return this.plain.chatClient().prompt().user("hello").call().chatResponse();
	}

	/** The auto-configured {@code ResilientChatClient}, one provider. */
	@Benchmark
	public ChatResponse resilientChatClient() {
		return this.resilient.resilient().prompt().user("hello").call().chatResponse();
	}

	/**
	 * A {@code ChatClient} from the auto-configured {@code ChatClient.Builder} of the
	 * application with the starter: over the failover model, with both routing advisors.
	 */
	@Benchmark
	public ChatResponse chatClientOverFailover() {
		return this.resilient.chatClient().prompt().user("hello").call().chatResponse();
	}

}
