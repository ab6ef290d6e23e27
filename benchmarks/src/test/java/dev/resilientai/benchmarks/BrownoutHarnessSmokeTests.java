package dev.resilientai.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.resilientai.benchmarks.harness.BrownoutHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The brownout lane, its timeline shrunk to a few seconds: it runs and writes its report.
 */
class BrownoutHarnessSmokeTests {

	@Test
	void theShrunkBrownoutRunsAndWritesItsReport(@TempDir Path out) throws Exception {
		String markdown = BrownoutHarness.run(0.05, 1, out);

		assertThat(out.resolve("brownout.md")).isNotEmptyFile();
		assertThat(Files.readString(out.resolve("brownout.md"))).isEqualTo(markdown)
			.contains("ResilientChatClient, hedging")
			.contains("brownout: 5 ms");
	}

}
