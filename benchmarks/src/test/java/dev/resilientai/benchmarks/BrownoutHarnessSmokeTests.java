package dev.resilientai.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.resilientai.benchmarks.harness.BrownoutHarness;
import dev.resilientai.benchmarks.harness.BrownoutReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the outage harness's brownout lane working: the timeline shrunk to a few seconds.
 * The full run's figures are in docs/benchmarks.md.
 */
class BrownoutHarnessSmokeTests {

	@Test
	void theShrunkBrownoutRunsAndWritesItsReports(@TempDir Path out) throws Exception {
		BrownoutReport report = BrownoutHarness.run(0.05, 40, Duration.ofMillis(300), 0.2, out);

		assertThat(out.resolve("brownout.json")).isNotEmptyFile();
		assertThat(out.resolve("brownout.png")).isNotEmptyFile();
		assertThat(Files.readString(out.resolve("brownout.md"))).contains("hedging, adaptive delay",
				"hedging, fixed delay", "ResilientChatClient, no hedging");
		assertThat(report.phases()).hasSize(6);
		assertThat(report.phases().get(0).clients().get("hedging, adaptive delay").requests()).isPositive();
		assertThat(report.brownout().get("ResilientChatClient, no hedging").successRate()).isEqualTo(1.0);
		// the budget holds: at most max-ratio of the requests plus the two of the allowance (and a
		// few requests at the window's edges, as hedges count when they start)
		BrownoutReport.ClientStats fixed = report.brownout().get("hedging, fixed delay");
		assertThat(fixed.hedges()).isLessThanOrEqualTo((long) (0.2 * fixed.requests()) + 4);
	}

}
