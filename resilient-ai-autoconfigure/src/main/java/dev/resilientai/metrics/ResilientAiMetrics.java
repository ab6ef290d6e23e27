package dev.resilientai.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.resilientai.ProviderAttempt;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.audit.ResilientAiAuditEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationListener;

/**
 * Records what only the failover layer knows as Micrometer meters, from each request's
 * {@link AuditRecord}: the request, each attempt, each failover and each skip. Model latency
 * and token counts are Spring AI's own {@code gen_ai.client.*} observations, made by the
 * provider models themselves, and are not duplicated here. Every tag value comes from a
 * bounded set: provider names and data classes from configuration, outcomes and reasons
 * from enums.
 */
public class ResilientAiMetrics implements ApplicationListener<ResilientAiAuditEvent> {

	/** Timer of whole requests; tags {@code data.class}, {@code outcome}, {@code streaming}. */
	public static final String REQUESTS = "resilient.ai.requests";

	/** Timer of provider attempts; tags {@code provider}, {@code outcome}, {@code error.kind}. */
	public static final String ATTEMPTS = "resilient.ai.attempts";

	/** Counter of moves to the next provider; tags {@code from}, {@code to}, {@code reason}. */
	public static final String FAILOVERS = "resilient.ai.failovers";

	/** Counter of providers passed over; tags {@code provider}, {@code reason}. */
	public static final String SKIPS = "resilient.ai.skips";

	private static final String NONE = "none";

	private final MeterRegistry registry;

	public ResilientAiMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onApplicationEvent(ResilientAiAuditEvent event) {
		record(event.getRecord());
	}

	void record(AuditRecord record) {
		Timer.builder(REQUESTS)
			.description("Requests through the failover layer, all attempts included")
			.tags(Tags.of("data.class", (record.dataClass() != null) ? record.dataClass() : "unknown", "outcome",
					tagValue(record.outcome().name()), "streaming", String.valueOf(record.streaming())))
			.register(this.registry)
			.record(record.duration());
		List<ProviderAttempt> steps = record.steps();
		ProviderAttempt lastFailure = null;
		for (ProviderAttempt step : steps) {
			switch (step.outcome()) {
				case SKIPPED -> Counter.builder(SKIPS)
					.description("Providers passed over without a call")
					.tags("provider", step.provider(), "reason", tagValue(String.valueOf(step.skipReason())))
					.register(this.registry)
					.increment();
				case FAILURE, SUCCESS -> {
					if (lastFailure != null && !lastFailure.provider().equals(step.provider())) {
						failover(lastFailure, step.provider());
					}
					attempt(step.provider(), step.outcome(), step.errorKind(), step.duration());
					lastFailure = (step.outcome() == ProviderAttempt.Outcome.FAILURE) ? step : null;
				}
				// a call cut short because the other attempt of a hedged request answered first
				case CANCELLED -> attempt(step.provider(), step.outcome(), null, step.duration());
			}
		}
	}

	private void attempt(String provider, ProviderAttempt.Outcome outcome, @Nullable Object errorKind,
			Duration duration) {
		Timer.builder(ATTEMPTS)
			.description("Calls to one provider, each one HTTP request")
			.tags("provider", provider, "outcome", tagValue(outcome.name()), "error.kind",
					(errorKind != null) ? tagValue(errorKind.toString()) : NONE)
			.register(this.registry)
			.record(duration);
	}

	private void failover(ProviderAttempt from, String to) {
		Counter.builder(FAILOVERS)
			.description("Requests moved from a failed provider to the next one")
			.tags("from", from.provider(), "to", to, "reason", tagValue(String.valueOf(from.errorKind())))
			.register(this.registry)
			.increment();
	}

	private static String tagValue(String name) {
		return name.toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
