package dev.resilientai.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.resilientai.benchmarks.harness.OutageHarness;
import dev.resilientai.benchmarks.harness.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the outage harness working: the whole timeline, shrunk to a few seconds, with fewer
 * callers, the Portkey lane included where node and the gateway are installed. The full run's
 * figures are in docs/benchmarks.md.
 */
class OutageHarnessSmokeTests {

	@Test
	void theShrunkTimelineRunsAndWritesItsReports(@TempDir Path out) throws Exception {
		Report report = OutageHarness.run(0.05, 2, out);

		assertThat(out.resolve("outage.json")).isNotEmptyFile();
		assertThat(out.resolve("outage.png")).isNotEmptyFile();
		assertThat(Files.readString(out.resolve("outage.md"))).contains("ResilientChatClient");
		assertThat(report.phases()).hasSize(9);
		assertThat(report.phases().get(1).clients().get("ResilientChatClient").requests()).isPositive();
		assertThat(report.stubCapacityPerSecond()).isPositive();
		assertThat(report.peers().hop().clients()).containsKeys("secondary direct", "ResilientChatClient");
		// traffic leaving and returning, per fault and lane (outage, hang, 429 storm, flapping)
		assertThat(report.peers().traffic()).hasSize(4);
		assertThat(report.peers().traffic().get(0).lanes()).containsKey("ResilientChatClient");
		// the Portkey lane runs where node and the gateway (benchmarks/install-portkey.sh) are
		// installed, and is skipped, saying why, where they are not (PortkeyLaneTests is then
		// reported as skipped too)
		System.out.println("Portkey lane: " + report.peers().portkey());
		if (report.peers().portkey().equals("ran")) {
			assertThat(report.phases().get(1).clients().get("Portkey gateway").requests()).isPositive();
			assertThat(report.peers().hop().clients()).containsKey("Portkey gateway");
			assertThat(report.peers().gatewayVersion()).isNotBlank();
			// no breaker in the open-source build: every request tries the dead primary first
			assertThat(report.peers().traffic().get(0).lanes().get("Portkey gateway").leftAfterMillis()).isNull();
		}
		else {
			assertThat(report.peers().portkey()).startsWith("skipped: ");
			assertThat(report.phases().get(1).clients()).doesNotContainKey("Portkey gateway");
			assertThat(Files.readString(out.resolve("outage.md"))).contains("Portkey lane: skipped");
		}
	}

}
