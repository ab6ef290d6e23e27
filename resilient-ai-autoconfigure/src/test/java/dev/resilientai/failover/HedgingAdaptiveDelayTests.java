package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.autoconfigure.HttpCancellationAutoConfiguration;
import dev.resilientai.autoconfigure.ResilientAiAutoConfiguration;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The adaptive hedging delay: the 95th percentile of a provider's last 64 answer times,
 * floored and capped; the cap while too few answers are known.
 */
class HedgingAdaptiveDelayTests {

	private static final Provider FIRST = provider("first", 0, answering("first", () -> 1));

	private static final Provider SECOND = provider("second", 1, answering("second", () -> 1));

	@Test
	void aFixedDelayIgnoresAnswerTimes() {
		Hedging hedging = Hedging.of(Duration.ofMillis(300), 0.2);
		for (int i = 0; i < 100; i++) {
			hedging.observe(FIRST, Duration.ofMillis(5));
		}

		assertThat(hedging.isAdaptive()).isFalse();
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(300));
	}

	@Test
	void withTooFewAnswersTheDelayIsTheCap() {
		Hedging hedging = Hedging.adaptive(Duration.ofMillis(300), 0.2);
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(300));
		for (int i = 0; i < Hedging.MIN_SAMPLES - 1; i++) {
			hedging.observe(FIRST, Duration.ofMillis(50));
		}

		assertThat(hedging.isAdaptive()).isTrue();
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(300));
		hedging.observe(FIRST, Duration.ofMillis(50));
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(50));
	}

	@Test
	void theDelayIsThe95thPercentileOfTheLast64Answers() {
		Hedging hedging = Hedging.adaptive(Duration.ofSeconds(1), 1.0, Duration.ofMillis(1));
		for (int i = 1; i <= 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(10L * i));
		}

		// 10, 20, ... 640 ms: the 61st of 64 (ceil(0.95 × 64)) is 610 ms
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(610));
	}

	@Test
	void theDelayIsFlooredAndCapped() {
		Hedging hedging = Hedging.adaptive(Duration.ofMillis(300), 0.2, Duration.ofMillis(40));
		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(2));
			hedging.observe(SECOND, Duration.ofSeconds(5));
		}

		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(40));
		assertThat(hedging.delayFor(SECOND)).isEqualTo(Duration.ofMillis(300));
		assertThat(hedging.currentDelay("unknown")).isEqualTo(Duration.ofMillis(300));
	}

	@Test
	void theDefaultFloorIsATenthOfTheCap() {
		Hedging hedging = Hedging.adaptive(Duration.ofMillis(300), 0.2);
		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(2));
		}

		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(30));
	}

	@Test
	void theDelayFollowsTheProviderAsItSlowsDownAndRecovers() {
		Hedging hedging = Hedging.adaptive(Duration.ofSeconds(2), 0.2, Duration.ofMillis(10));
		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(20));
		}
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(20));

		// a brownout: after 8 slow answers the delay moves, after 64 only slow ones are left
		for (int i = 0; i < 8; i++) {
			hedging.observe(FIRST, Duration.ofMillis(800));
		}
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(800));
		for (int i = 0; i < 56; i++) {
			hedging.observe(FIRST, Duration.ofMillis(900));
		}
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(900));

		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(20));
		}
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(20));
		// each provider has its own
		assertThat(hedging.delayFor(SECOND)).isEqualTo(Duration.ofSeconds(2));
	}

	@Test
	void anAttemptThatLostItsRaceAfterTheDelayCountsWithTheTimeItRan() {
		Hedging hedging = Hedging.adaptive(Duration.ofSeconds(1), 0.2, Duration.ofMillis(10));
		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(20));
		}
		// the slow answers the hedges cut short are the ones the percentile is about
		for (int i = 0; i < 8; i++) {
			hedging.cancelled(FIRST, Duration.ofMillis(400));
		}

		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(400));
		assertThat(hedging.cancelledCount("first")).isEqualTo(8);
	}

	@Test
	void anAttemptCutShortBeforeTheDelayIsNotCounted() {
		Hedging hedging = Hedging.adaptive(Duration.ofSeconds(1), 0.2, Duration.ofMillis(10));
		for (int i = 0; i < 64; i++) {
			hedging.observe(FIRST, Duration.ofMillis(20));
		}
		for (int i = 0; i < 4; i++) {
			hedging.cancelled(FIRST, Duration.ofMillis(15));
		}
		for (int i = 0; i < 4; i++) {
			hedging.observe(FIRST, Duration.ofMillis(500));
		}
		// had the four been counted, the eighth answer since the last look would have moved it
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(20));
		for (int i = 0; i < 4; i++) {
			hedging.observe(FIRST, Duration.ofMillis(500));
		}
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(500));
		assertThat(hedging.cancelledCount("first")).isEqualTo(4);
	}

	@Test
	void aHedgeCutShortBecauseTheFirstAttemptAnsweredCountsAsCancelled() {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(
				List.of(provider("first", 0, answering("first", () -> 80)),
						provider("second", 1, answering("second", () -> 400))),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), DataClassPolicy.unrestricted(),
				(record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(10), 1.0));
		for (int i = 0; i < 5; i++) {
			executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		}

		Hedging hedging = executor.getHedging();
		assertThat(hedging.startedCount("second")).isEqualTo(5);
		assertThat(hedging.wonCount("second")).isZero();
		assertThat(hedging.cancelledCount("second")).isEqualTo(5);
		assertThat(hedging.cancelledCount("first")).isZero();
		executor.close();
	}

	@Test
	void concurrentAnswersLoseNothingAndTheDelayStaysWithinFloorAndCap() throws InterruptedException {
		Hedging hedging = Hedging.adaptive(Duration.ofMillis(500), 0.2, Duration.ofMillis(10));
		int threads = 8;
		CountDownLatch start = new CountDownLatch(1);
		CountDownLatch done = new CountDownLatch(threads);
		List<Duration> seen = java.util.Collections.synchronizedList(new ArrayList<>());
		for (int t = 0; t < threads; t++) {
			Thread thread = new Thread(() -> {
				try {
					start.await();
					for (int i = 0; i < 20_000; i++) {
						hedging.observe(FIRST, Duration.ofMillis(ThreadLocalRandom.current().nextLong(1, 1000)));
						if (i % 1000 == 0) {
							seen.add(hedging.delayFor(FIRST));
						}
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					done.countDown();
				}
			});
			thread.start();
		}
		start.countDown();
		done.await();

		assertThat(seen).allSatisfy((delay) -> assertThat(delay).isBetween(Duration.ofMillis(10), Duration.ofMillis(500)));
		// uniform over 1 s: the 95th percentile is far above the cap
		assertThat(hedging.delayFor(FIRST)).isEqualTo(Duration.ofMillis(500));
	}

	@Test
	void aFloorAboveTheCapIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Hedging.adaptive(Duration.ofMillis(100), 0.2, Duration.ofMillis(200)));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Hedging.adaptive(Duration.ofMillis(100), 0.2, Duration.ZERO));
	}

	@Test
	void aProviderThatSlowsDownIsHedgedAfterItsOwnRecentPercentileNotTheCap() {
		AtomicLong firstMillis = new AtomicLong(10);
		List<AuditRecord> audits = new ArrayList<>();
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(
				List.of(provider("first", 0, answering("first", firstMillis::get)),
						provider("second", 1, answering("second", () -> 10))),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), DataClassPolicy.unrestricted(),
				audits::add, null, clock);
		// a cap far above the slow answer: a fixed delay of 2 s would never hedge it
		executor.setHedging(Hedging.adaptive(Duration.ofSeconds(2), 1.0, Duration.ofMillis(50)));
		for (int i = 0; i < Hedging.MIN_SAMPLES; i++) {
			executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		}
		assertThat(audits).noneMatch(AuditRecord::hedged);
		assertThat(executor.getHedging().currentDelay("first")).isEqualTo(Duration.ofMillis(50));

		firstMillis.set(1500);
		long start = System.nanoTime();
		ChatResponse response = executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
		Duration took = Duration.ofNanos(System.nanoTime() - start);

		assertThat(response.getResult().getOutput().getText()).isEqualTo("second");
		assertThat(response.getMetadata().<String>get(ResilientChatClient.PROVIDER)).isEqualTo("second");
		assertThat(took).isLessThan(Duration.ofMillis(1000));
		assertThat(audits.get(audits.size() - 1).hedged()).isTrue();
		assertThat(executor.getHedging().wonCount("second")).isEqualTo(1);
		assertThat(executor.getHedging().cancelledCount("first")).isEqualTo(1);
		executor.close();
	}

	@Test
	void thePropertyTurnsTheAdaptiveDelayOnWithTheDelayAsItsCap() {
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class,
					HttpCancellationAutoConfiguration.class, CircuitBreakerAutoConfiguration.class))
			.withBean("openAiChatModel", ChatModel.class, () -> answering("openai", () -> 1))
			.withBean("anthropicChatModel", ChatModel.class, () -> answering("anthropic", () -> 1))
			.withPropertyValues("resilient-ai.hedging.enabled=true", "resilient-ai.hedging.delay=400ms");
		runner.run((context) -> {
			Hedging hedging = context.getBean(FailoverExecutor.class).getHedging();
			assertThat(hedging.isEnabled()).isTrue();
			assertThat(hedging.isAdaptive()).isFalse();
			assertThat(hedging.getDelay()).isEqualTo(Duration.ofMillis(400));
		});
		runner.withPropertyValues("resilient-ai.hedging.adaptive-delay=true").run((context) -> {
			Hedging hedging = context.getBean(FailoverExecutor.class).getHedging();
			assertThat(hedging.isAdaptive()).isTrue();
			assertThat(hedging.getDelay()).isEqualTo(Duration.ofMillis(400));
			assertThat(hedging.currentDelay("openai")).isEqualTo(Duration.ofMillis(400));
		});
	}

	private static Provider provider(String name, int priority, ChatModel model) {
		return new Provider(name, priority, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name));
	}

	private static ChatModel answering(String text, java.util.function.LongSupplier millis) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				try {
					Thread.sleep(millis.getAsLong());
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
