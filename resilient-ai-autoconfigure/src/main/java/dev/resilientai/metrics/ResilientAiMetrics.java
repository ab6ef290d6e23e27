package dev.resilientai.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.SkipReason;
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

	private static final AuditRecord.AuditOutcome[] OUTCOMES = AuditRecord.AuditOutcome.values();

	private static final ProviderAttempt.Outcome[] STEP_OUTCOMES = ProviderAttempt.Outcome.values();

	private static final ErrorKind[] ERROR_KINDS = ErrorKind.values();

	private static final SkipReason[] SKIP_REASONS = SkipReason.values();

	private final MeterRegistry registry;

	/*
	 * The meters of each tag combination, registered on first use and kept: a request looks
	 * its meters up by data class or provider and an enum's ordinal, with no tags, meter id
	 * or registry lookup built per request. Tag values stay the bounded sets they were.
	 */

	/** Per data class: by outcome and streaming ({@code outcome * 2 + streaming}). */
	private final Map<String, AtomicReferenceArray<Timer>> requestTimers = new ConcurrentHashMap<>();

	/** Per provider: by step outcome and error kind ({@code outcome * (kinds + 1) + kind + 1}). */
	private final Map<String, AtomicReferenceArray<Timer>> attemptTimers = new ConcurrentHashMap<>();

	/** Per provider: by skip reason ({@code reason + 1}, 0 for none). */
	private final Map<String, AtomicReferenceArray<Counter>> skipCounters = new ConcurrentHashMap<>();

	public ResilientAiMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onApplicationEvent(ResilientAiAuditEvent event) {
		record(event.getRecord());
	}

	void record(AuditRecord record) {
		String dataClass = (record.dataClass() != null) ? record.dataClass() : "unknown";
		AuditRecord.AuditOutcome outcome = record.outcome();
		boolean streaming = record.streaming();
		AtomicReferenceArray<Timer> timers = this.requestTimers.computeIfAbsent(dataClass,
				(key) -> new AtomicReferenceArray<>(OUTCOMES.length * 2));
		int index = outcome.ordinal() * 2 + (streaming ? 1 : 0);
		Timer requests = timers.get(index);
		if (requests == null) {
			requests = Timer.builder(REQUESTS)
				.description("Requests through the failover layer, all attempts included")
				.tags(Tags.of("data.class", dataClass, "outcome", tagValue(outcome.name()), "streaming",
						String.valueOf(streaming)))
				.register(this.registry);
			timers.set(index, requests);
		}
		requests.record(record.duration());
		List<ProviderAttempt> steps = record.steps();
		ProviderAttempt lastFailure = null;
		for (ProviderAttempt step : steps) {
			switch (step.outcome()) {
				case SKIPPED -> skip(step.provider(), step.skipReason());
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

	private void skip(String provider, @Nullable SkipReason reason) {
		AtomicReferenceArray<Counter> counters = this.skipCounters.computeIfAbsent(provider,
				(key) -> new AtomicReferenceArray<>(SKIP_REASONS.length + 1));
		int index = (reason != null) ? reason.ordinal() + 1 : 0;
		Counter counter = counters.get(index);
		if (counter == null) {
			counter = Counter.builder(SKIPS)
				.description("Providers passed over without a call")
				.tags("provider", provider, "reason", tagValue(String.valueOf(reason)))
				.register(this.registry);
			counters.set(index, counter);
		}
		counter.increment();
	}

	private void attempt(String provider, ProviderAttempt.Outcome outcome, @Nullable ErrorKind errorKind,
			Duration duration) {
		AtomicReferenceArray<Timer> timers = this.attemptTimers.computeIfAbsent(provider,
				(key) -> new AtomicReferenceArray<>(STEP_OUTCOMES.length * (ERROR_KINDS.length + 1)));
		int index = outcome.ordinal() * (ERROR_KINDS.length + 1) + ((errorKind != null) ? errorKind.ordinal() + 1 : 0);
		Timer timer = timers.get(index);
		if (timer == null) {
			timer = Timer.builder(ATTEMPTS)
				.description("Calls to one provider, each one HTTP request")
				.tags("provider", provider, "outcome", tagValue(outcome.name()), "error.kind",
						(errorKind != null) ? tagValue(errorKind.toString()) : NONE)
				.register(this.registry);
			timers.set(index, timer);
		}
		timer.record(duration);
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
