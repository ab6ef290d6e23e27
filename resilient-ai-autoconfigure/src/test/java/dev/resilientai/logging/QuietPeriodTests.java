package dev.resilientai.logging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rate limit of the provider log lines.
 */
class QuietPeriodTests {

	private Instant now = Instant.parse("2026-11-21T12:00:00Z");

	private final QuietPeriod quiet = new QuietPeriod(ProviderEventLogger.QUIET_PERIOD, new Clock() {

		@Override
		public Instant instant() {
			return QuietPeriodTests.this.now;
		}

		@Override
		public java.time.ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(java.time.ZoneId zone) {
			return this;
		}

	});

	@Test
	void oneLinePerKeyPerPeriodAndTheNextOneCountsTheLinesHeldBack() {
		assertThat(this.quiet.admit("openai OPEN")).isZero();
		assertThat(this.quiet.admit("anthropic OPEN")).as("another key").isZero();
		for (int i = 0; i < 999; i++) {
			assertThat(this.quiet.admit("openai OPEN")).isEqualTo(QuietPeriod.HOLD);
		}
		this.now = this.now.plus(Duration.ofSeconds(10));
		long held = this.quiet.admit("openai OPEN");
		assertThat(held).isEqualTo(999);
		assertThat(QuietPeriod.heldNote(held)).isEqualTo(" [999 similar lines held back]");
		assertThat(QuietPeriod.heldNote(0)).isEmpty();
	}

}
