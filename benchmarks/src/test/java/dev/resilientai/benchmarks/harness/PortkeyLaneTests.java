package dev.resilientai.benchmarks.harness;

import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Portkey lane's gateway and fallback config, one request per fault: skipped, with the
 * reason, where node or the gateway ({@code benchmarks/install-portkey.sh}) is not installed.
 */
class PortkeyLaneTests {

	@Test
	void theGatewayFallsBackToTheSecondaryOnAnOutageAndOnAHangAndPrefersTheHealthyPrimary() throws Exception {
		String reason = PortkeyGateway.unavailableReason();
		assumeTrue(reason == null, () -> "Portkey lane skipped: " + reason);
		try (StubProvider primary = new StubProvider("primary", 0, 1000);
				StubProvider secondary = new StubProvider("secondary", 0, 1000);
				PortkeyLane lane = PortkeyLane.startOrSkip(primary, secondary)) {
			assertThat(lane.running()).isTrue();
			assertThat(lane.gateway().version()).isEqualTo(PortkeyGateway.EXPECTED_VERSION);
			Supplier<String> client = lane.client();

			assertThat(client.get()).isEqualTo("primary");

			primary.mode(StubProvider.Mode.OUTAGE);
			long before = primary.requests();
			assertThat(client.get()).isEqualTo("secondary");
			// no breaker in the open-source build: the next request tries the dead primary again
			assertThat(client.get()).isEqualTo("secondary");
			assertThat(primary.requests() - before).isEqualTo(2);

			primary.mode(StubProvider.Mode.HANG);
			long t0 = System.nanoTime();
			assertThat(client.get()).isEqualTo("secondary");
			assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(900L, 5000L);

			primary.mode(StubProvider.Mode.HEALTHY);
			assertThat(client.get()).isEqualTo("primary");
			assertThat(lane.gateway().rssKiB()).isPositive();
		}
	}

}
