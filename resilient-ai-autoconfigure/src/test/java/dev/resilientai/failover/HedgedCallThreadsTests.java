package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.RequestInterruptedException;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.Prompt;

import static dev.resilientai.failover.HedgingLoopReviewTests.answering;
import static dev.resilientai.failover.HedgingLoopReviewTests.calling;
import static dev.resilientai.failover.HedgingLoopReviewTests.deaf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A hedged call runs both its attempts on the hedging pool while the caller waits: the exits
 * of that wait (the deadline, the caller's interrupt, an {@code Error} on the attempt's
 * thread) end the request as they do on the caller's own thread, and every permit comes back
 * once the attempts' threads are done.
 */
class HedgedCallThreadsTests {

	private final List<AuditRecord> audits = new CopyOnWriteArrayList<>();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void theDeadlineEndsAWaitOnTwoAttemptsThatIgnoreTheirCancelAndTheirSlotsComeBackLater() {
		Bulkhead aBulkhead = bulkhead("a");
		Bulkhead bBulkhead = bulkhead("b");
		this.executor = executor(Duration.ofMillis(600), provider("a", 0, deaf("from a", 1500), aBulkhead),
				provider("b", 1, deaf("from b", 1500), bBulkhead));

		long start = System.nanoTime();
		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

		assertThat(failure).isInstanceOf(AllProvidersFailedException.class);
		assertThat(elapsed).as("the 600 ms deadline, not the attempts' 1.5 s").isLessThan(Duration.ofMillis(1200));
		assertThat(this.audits.get(0).hedged()).isTrue();
		awaitSlots(aBulkhead, bBulkhead);
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@Test
	void aCallersInterruptBeforeTheHedgeEndsTheWaitAndKeepsTheInterrupt() throws Exception {
		Bulkhead aBulkhead = bulkhead("a");
		this.executor = executor(Duration.ofSeconds(5), provider("a", 0, answering("from a", 3000), aBulkhead),
				provider("b", 1, answering("from b", 3000), bulkhead("b")));
		this.executor.setHedging(Hedging.of(Duration.ofSeconds(2), 1.0));
		AtomicReference<Throwable> failure = new AtomicReference<>();
		AtomicBoolean interruptKept = new AtomicBoolean();
		Thread caller = new Thread(() -> {
			try {
				this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
			}
			catch (Throwable ex) {
				failure.set(ex);
				interruptKept.set(Thread.currentThread().isInterrupted());
			}
		});
		caller.start();
		Thread.sleep(200);
		caller.interrupt();
		caller.join(2000);

		assertThat(failure.get()).isInstanceOf(RequestInterruptedException.class);
		assertThat(interruptKept).isTrue();
		assertThat(this.executor.getHedging().startedCount("b")).isZero();
		awaitSlots(aBulkhead);
		assertThat(this.executor.getProviders().get(0).getCircuitBreaker().getMetrics().getNumberOfBufferedCalls())
			.as("a caller's interrupt is nothing against the provider")
			.isZero();
	}

	@Test
	void anErrorOnTheFirstAttemptsThreadEndsTheRequestAsItIs() {
		Bulkhead aBulkhead = bulkhead("a");
		Bulkhead bBulkhead = bulkhead("b");
		this.executor = executor(Duration.ofSeconds(5), provider("a", 0, calling((prompt) -> {
			throw new AssertionError("boom");
		}), aBulkhead), provider("b", 1, answering("from b", 10), bBulkhead));

		Throwable failure = catchThrowable(() -> this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(failure).isInstanceOf(AssertionError.class).hasMessage("boom");
		awaitSlots(aBulkhead, bBulkhead);
	}

	private FailoverExecutor executor(Duration timeout, Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(timeout),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), this.audits::add, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(50), 1.0));
		return executor;
	}

	private static Provider provider(String name, int priority, ChatModel model, Bulkhead bulkhead) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name),
				bulkhead, null);
	}

	private static Bulkhead bulkhead(String name) {
		return Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(5).maxWaitDuration(Duration.ZERO).build());
	}

	private static void awaitSlots(Bulkhead... bulkheads) {
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
		for (Bulkhead bulkhead : bulkheads) {
			while (bulkhead.getMetrics().getAvailableConcurrentCalls() < 5 && System.nanoTime() < until) {
				Thread.onSpinWait();
			}
			assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).as(bulkhead.getName() + "'s slots")
				.isEqualTo(5);
		}
	}

}
