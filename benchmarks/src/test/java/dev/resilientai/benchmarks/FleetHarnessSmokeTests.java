package dev.resilientai.benchmarks;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.resilientai.benchmarks.harness.FleetHarness;
import dev.resilientai.benchmarks.harness.FleetReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the outage harness's fleet lane working: both fleets on the timeline shrunk to a few
 * seconds, against a real Redis server. Skipped where {@code redis-server} is not installed,
 * except under {@code REQUIRE_REDIS_TESTS=true} ({@code .ci/run}). The full run's figures are
 * in docs/benchmarks.md.
 */
@EnabledIf("redisServerAvailable")
class FleetHarnessSmokeTests {

	static boolean redisServerAvailable() {
		return new File("/usr/bin/redis-server").canExecute() || new File("/usr/local/bin/redis-server").canExecute()
				|| new File("/usr/sbin/redis-server").canExecute() || "true".equals(System.getenv("REQUIRE_REDIS_TESTS"));
	}

	@Test
	void theShrunkFleetLaneRunsAndWritesItsReports(@TempDir Path out) throws Exception {
		FleetReport report = FleetHarness.run(0.05, 2, 1, 10, 10, out);

		assertThat(report).isNotNull();
		assertThat(out.resolve("fleet.json")).isNotEmptyFile();
		assertThat(Files.readString(out.resolve("fleet.md"))).contains("fleet sharing", "no sharing");
		assertThat(report.phases()).hasSize(5);
		assertThat(report.faults()).hasSize(2);
		assertThat(report.recoveries()).hasSize(2);
		assertThat(report.phases().get(1).fleets().get("fleet sharing").requests()).isPositive();
		assertThat(report.phases().get(1).fleets().get("fleet sharing").successRate()).isEqualTo(1.0);
		// the fleet reads Redis on its refresh, so Redis saw commands; the run is too short for more
		assertThat(report.redis().commands()).isPositive();
	}

}
