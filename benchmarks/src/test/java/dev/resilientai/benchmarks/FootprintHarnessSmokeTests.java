package dev.resilientai.benchmarks;

import java.nio.file.Path;

import dev.resilientai.benchmarks.harness.FootprintHarness;
import dev.resilientai.benchmarks.harness.FootprintHarness.Footprint;
import dev.resilientai.benchmarks.harness.FootprintHarness.FootprintReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the footprint harness working: one round of a second's load per set-up, each in its own
 * JVM (the Portkey set-up where node and the gateway are installed). The full run's figures are
 * in docs/benchmarks.md.
 */
class FootprintHarnessSmokeTests {

	@Test
	void eachSetUpRunsInItsOwnJvmAndIsMeasured(@TempDir Path out) throws Exception {
		FootprintReport report = FootprintHarness.run(0.02, 2, 1, "256m", out);

		System.out.println("Portkey set-up: " + report.portkey());
		assertThat(out.resolve("footprint.json")).isNotEmptyFile();
		assertThat(out.resolve("footprint.md")).isNotEmptyFile();
		Footprint plain = report.setups().get(0);
		Footprint starter = report.setups().get(1);
		assertThat(plain.starter()).isFalse();
		assertThat(starter.starter()).isTrue();
		assertThat(plain.calls()).isPositive();
		assertThat(starter.calls()).isPositive();
		assertThat(plain.failures() + starter.failures()).isZero();
		// without the starter none of its classes load; with it they do
		assertThat(starter.loadedClasses()).isGreaterThan(plain.loadedClasses());
		if (report.portkey().equals("ran")) {
			assertThat(report.setups()).hasSize(3);
			assertThat(report.setups().get(2).gatewayRssMeanMiB()).isPositive();
		}
		else {
			assertThat(report.setups()).hasSize(2);
		}
	}

}
