package dev.resilientai.benchmarks;

import java.util.Collection;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the benchmarks working: every benchmark method runs in-process for a fraction of a
 * second. The figures of such a run mean nothing; the full run is in docs/benchmarks.md.
 */
class BenchmarksSmokeTests {

	@Test
	void everyBenchmarkRuns() throws Exception {
		Options options = new OptionsBuilder().include(OverheadBenchmark.class.getSimpleName())
			.include(StreamBenchmark.class.getSimpleName())
			.include(RuntimeBenchmark.class.getSimpleName())
			.include(RuntimeScalingBenchmark.class.getSimpleName())
			.forks(0)
			.warmupIterations(0)
			.measurementIterations(1)
			.measurementTime(TimeValue.milliseconds(100))
			.build();

		Collection<RunResult> results = new Runner(options).run();

		// 4 + 4 hand-built, 3 clients x 2 runtimes, 2 clients x 4 thread counts
		assertThat(results).hasSize(22)
			.allSatisfy((result) -> assertThat(result.getPrimaryResult().getScore()).isPositive());
	}

}
