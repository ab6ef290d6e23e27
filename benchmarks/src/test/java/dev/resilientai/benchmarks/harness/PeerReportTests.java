package dev.resilientai.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

import dev.resilientai.benchmarks.harness.OutageHarness.Phase;
import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traffic leaving and returning, on made-up lanes: one request every 2 ms through a 20 s phase
 * starting at 10 s.
 */
class PeerReportTests {

	private static final Phase FAULT = new Phase("outage (503)", StubProvider.Mode.OUTAGE, 10_000, 30_000);

	private static final Phase RECOVERY = new Phase("recovery", StubProvider.Mode.HEALTHY, 10_000, 30_000);

	@Test
	void aBreakerLeavesWithItsFirstRequestAfterTheLastDenseOneAndProbesDoNotCount() {
		List<Sample> lane = lane((t) -> "secondary");
		List<Long> arrivals = new ArrayList<>();
		for (long t = 10_000; t < 10_120; t += 2) {
			arrivals.add(t);
		}
		for (long t = 11_120; t < 30_000; t += 1000) {
			// a probe a second among 500 requests
			arrivals.add(t);
		}
		assertThat(PeerReport.leftAfter(FAULT, toArray(arrivals), lane)).isEqualTo(120L);
	}

	@Test
	void aLaneThatTriesThePrimaryOnEveryRequestNeverLeaves() {
		List<Sample> lane = lane((t) -> "secondary");
		long[] arrivals = lane.stream().mapToLong(Sample::startMillis).toArray();
		assertThat(PeerReport.leftAfter(FAULT, arrivals, lane)).isNull();
	}

	@Test
	void aLaneWhoseCallersAreStuckOnThePrimaryNeverLeaves() {
		// 8 callers each waiting out a 1 s timeout on the primary before the secondary answers
		List<Sample> lane = new ArrayList<>();
		List<Long> arrivals = new ArrayList<>();
		for (long t = 10_000; t < 30_000; t += 125) {
			lane.add(new Sample("lane", t, 1010, true, "secondary"));
			arrivals.add(t);
		}
		assertThat(PeerReport.leftAfter(FAULT, toArray(arrivals), lane)).isNull();
	}

	@Test
	void trafficReturnsWhenThePrimaryAnswersEveryRequestNotAtItsFirstAnswer() {
		// a probe answered by the primary at 500 ms, the breaker closed at 2 s
		List<Sample> lane = lane((t) -> (t == 10_500 || t >= 12_000) ? "primary" : "secondary");
		assertThat(PeerReport.returnedAfter(RECOVERY, lane)).isEqualTo(2_000L);
	}

	@Test
	void aStatelessLaneReturnsWithItsFirstRequest() {
		List<Sample> lane = lane((t) -> "primary");
		assertThat(PeerReport.returnedAfter(RECOVERY, lane)).isZero();
	}

	@Test
	void aLaneThatIsBackOnlyInItsLastSecondHasNotReturned() {
		List<Sample> lane = lane((t) -> (t >= 29_000) ? "primary" : "secondary");
		assertThat(PeerReport.returnedAfter(RECOVERY, lane)).isNull();
	}

	private static List<Sample> lane(LongFunction<String> servedBy) {
		List<Sample> samples = new ArrayList<>();
		for (long t = 10_000; t < 30_000; t += 2) {
			samples.add(new Sample("lane", t, 5, true, servedBy.apply(t)));
		}
		return samples;
	}

	private static long[] toArray(List<Long> values) {
		return values.stream().mapToLong(Long::longValue).sorted().toArray();
	}

}
