package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.badRequest;
import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.provider;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream's audit record is published before its end reaches the subscriber, so whoever
 * sees the end (a test, a controller writing its last event) finds the record.
 */
class StreamAuditTimingTests {

	private final List<AuditRecord> audits = new CopyOnWriteArrayList<>();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		this.executor.close();
	}

	@Test
	void aCompletedStreamIsAuditedBeforeItsCompletionIsSeen() {
		this.executor = executor(provider("a", 0,
				streaming((prompt) -> Flux.just(chunk("one ", null), chunk("two", "STOP")))));
		AtomicInteger auditedAtEnd = new AtomicInteger(-1);

		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.doOnComplete(() -> auditedAtEnd.set(this.audits.size()))
			.blockLast(Duration.ofSeconds(5));

		assertThat(auditedAtEnd).hasValue(1);
	}

	@Test
	void aFailedStreamIsAuditedBeforeItsErrorIsSeen() {
		this.executor = executor(provider("a", 0, streaming((prompt) -> Flux.error(badRequest()))));
		AtomicInteger auditedAtEnd = new AtomicInteger(-1);

		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.doOnError((failure) -> auditedAtEnd.set(this.audits.size()))
			.onErrorResume(ProviderRequestRejectedException.class, (failure) -> Flux.empty())
			.blockLast(Duration.ofSeconds(5));

		assertThat(auditedAtEnd).hasValue(1);
		assertThat(this.audits).hasSize(1);
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), this.audits::add, null, clock);
	}

}
