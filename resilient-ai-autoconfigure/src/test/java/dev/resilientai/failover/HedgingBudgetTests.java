package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hedging budget: over any run of N requests at most {@code max-ratio × N + 2} are
 * hedged; a request over budget waits for its provider.
 */
class HedgingBudgetTests {

	@Test
	void withARatioOfOneFifthAboutAFifthOfSlowRequestsAreHedged() {
		List<AuditRecord> audits = new ArrayList<>();
		FailoverExecutor executor = executor(audits, Hedging.of(Duration.ofMillis(10), 0.2));

		for (int i = 0; i < 40; i++) {
			executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		}

		long hedged = audits.stream().filter(AuditRecord::hedged).count();
		assertThat(hedged).isBetween(8L, (long) (0.2 * 40 + 2));
		assertThat(executor.getHedging().startedCount("second")).isEqualTo(hedged);
		executor.close();
	}

	@Test
	void aRatioOfZeroHedgesOnlyTheTwoRequestsOfTheInitialAllowance() {
		List<AuditRecord> audits = new ArrayList<>();
		FailoverExecutor executor = executor(audits, Hedging.of(Duration.ofMillis(10), 0));

		for (int i = 0; i < 10; i++) {
			executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		}

		assertThat(audits.stream().filter(AuditRecord::hedged).count()).isEqualTo(2);
		executor.close();
	}

	private static FailoverExecutor executor(List<AuditRecord> audits, Hedging hedging) {
		Clock clock = Clock.systemUTC();
		List<Provider> providers = List.of(provider("first", 0, answering("first", 80)),
				provider("second", 1, answering("second", 400)));
		FailoverExecutor executor = new FailoverExecutor(providers, FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), audits::add, null, clock);
		executor.setHedging(hedging);
		return executor;
	}

	private static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	/** Answers after a pause; the hedge is slower than the first, so the first always wins. */
	private static ChatModel answering(String text, long millis) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				try {
					Thread.sleep(millis);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException("cancelled");
				}
				return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
			}

		};
	}

}
