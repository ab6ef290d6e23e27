package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.SkipReason;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.ai.retry.TransientAiException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Routing logic of the failover loop over in-memory models (the HTTP behaviour is proven in
 * {@code FailoverOverHttpTests}).
 */
class FailoverExecutorTests {

	private final MutableClock clock = new MutableClock();

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	@Test
	void aRetryAfterRestEndsWhenTheClockPassesIt() {
		CountingModel primary = new CountingModel(() -> {
			throw new org.springframework.web.client.HttpClientErrorException(
					org.springframework.http.HttpStatusCode.valueOf(429), "Too Many", retryAfter("2"), new byte[0],
					null);
		});
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), provider("p", primary),
				provider("s", new CountingModel(() -> answer("s"))));

		call();
		this.clock.advance(Duration.ofMillis(1900));
		ChatResponse during = call();
		this.clock.advance(Duration.ofMillis(200));
		call();

		assertThat((Integer) during.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		// the first request after the rest probes the primary on a thread of its own, beside s
		org.awaitility.Awaitility.await()
			.atMost(Duration.ofSeconds(2))
			.until(() -> primary.calls.get() == 2);
	}

	@Test
	void aRetryAfterOnA503RestsTheProviderAndCountsAgainstItsBreaker() {
		CountingModel primary = new CountingModel(() -> {
			throw new org.springframework.web.client.HttpServerErrorException(
					org.springframework.http.HttpStatusCode.valueOf(503), "Unavailable", retryAfter("2"), new byte[0],
					null);
		});
		CircuitBreaker breaker = breaker("p");
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				new Provider("p", 0, Duration.ofSeconds(5), true, primary, breaker),
				provider("s", new CountingModel(() -> answer("s"))));

		call();
		this.clock.advance(Duration.ofMillis(1900));
		call();

		assertThat(primary.calls.get()).isEqualTo(1);
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@Test
	void aZeroRetryAfterOnA429CountsAgainstTheBreakerWithoutARest() {
		CountingModel primary = new CountingModel(() -> {
			throw new org.springframework.web.client.HttpClientErrorException(
					org.springframework.http.HttpStatusCode.valueOf(429), "Too Many", retryAfter("0"), new byte[0],
					null);
		});
		CircuitBreaker breaker = breaker("p");
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				new Provider("p", 0, Duration.ofSeconds(5), true, primary, breaker),
				provider("s", new CountingModel(() -> answer("s"))));

		call();
		call();

		assertThat(primary.calls.get()).isEqualTo(2);
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
	}

	@Test
	void sameProviderRetriesAreOffByDefault() {
		CountingModel primary = new CountingModel(() -> {
			throw new TransientAiException("HTTP 503 - busy");
		});
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)), provider("p", primary),
				provider("s", new CountingModel(() -> answer("s"))));

		call();

		assertThat(primary.calls.get()).isEqualTo(1);
	}

	@Test
	void sameProviderRetriesBackOffAndStopAtTheLimit() {
		CountingModel primary = new CountingModel(() -> {
			throw new TransientAiException("HTTP 503 - busy");
		});
		FailoverSettings settings = new FailoverSettings(Duration.ofSeconds(5), 3, Duration.ofMillis(1),
				Duration.ofMillis(5), Duration.ofMinutes(1), Duration.ofSeconds(30));
		this.executor = executor(settings, provider("p", primary), provider("s", new CountingModel(() -> answer("s"))));

		ChatResponse response = call();

		assertThat(primary.calls.get()).isEqualTo(3);
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(4);
	}

	@Test
	void sameProviderRetriesNeverRetryCallerOrAuthenticationErrors() {
		CountingModel primary = new CountingModel(() -> {
			throw new NonTransientAiException("HTTP 401 - bad key");
		});
		FailoverSettings settings = new FailoverSettings(Duration.ofSeconds(5), 3, Duration.ofMillis(1),
				Duration.ofMillis(5), Duration.ofMinutes(1), Duration.ofSeconds(30));
		this.executor = executor(settings, provider("p", primary), provider("s", new CountingModel(() -> answer("s"))));

		call();

		assertThat(primary.calls.get()).isEqualTo(1);
	}

	@Test
	void backoffIsFullJitterCappedExponential() {
		FailoverSettings settings = new FailoverSettings(Duration.ofSeconds(5), 5, Duration.ofMillis(100),
				Duration.ofMillis(250), Duration.ofMinutes(1), Duration.ofSeconds(30));
		assertThat(settings.backoff(1, 0.999)).isLessThan(Duration.ofMillis(100));
		assertThat(settings.backoff(2, 0.999)).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
		assertThat(settings.backoff(3, 0.999)).isBetween(Duration.ofMillis(249), Duration.ofMillis(250));
		assertThat(settings.backoff(60, 0.5)).isEqualTo(Duration.ofMillis(125));
		assertThat(settings.backoff(3, 0.0)).isEqualTo(Duration.ZERO);
	}

	@Test
	void theDeadlineBoundsEveryAttemptAndSkipsProvidersItLeavesNoTimeFor() {
		CountingModel slow = new CountingModel(() -> {
			try {
				Thread.sleep(5_000);
			}
			catch (InterruptedException ex) {
				throw new RuntimeException(new java.io.InterruptedIOException("interrupted"));
			}
			return answer("slow");
		});
		CountingModel never = new CountingModel(() -> answer("never"));
		this.executor = executor(FailoverSettings.of(Duration.ofMillis(200)),
				new Provider("slow", -1, Duration.ofSeconds(10), true, slow, breaker("slow")),
				provider("never", never));

		Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(this::call);
		assertThat(thrown).isInstanceOf(AllProvidersFailedException.class);
		AllProvidersFailedException failure = (AllProvidersFailedException) thrown;

		assertThat(failure.getAttempts()).extracting(ProviderAttempt::provider, ProviderAttempt::errorKind,
				ProviderAttempt::skipReason)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("slow", ErrorKind.TIMEOUT, null),
					org.assertj.core.groups.Tuple.tuple("never", null, SkipReason.DEADLINE_EXCEEDED));
		assertThat(failure).hasMessageContaining("deadline");
		assertThat(never.calls.get()).isZero();
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@Test
	void theDeadlineBoundsAWholeStream() {
		ChatModel endless = new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return answer("unused");
			}

			@Override
			public reactor.core.publisher.Flux<ChatResponse> stream(Prompt prompt) {
				return reactor.core.publisher.Flux.interval(Duration.ofMillis(20)).map((i) -> answer("chunk" + i));
			}

		};
		this.executor = executor(FailoverSettings.of(Duration.ofMillis(300)), provider("p", endless),
				provider("s", new CountingModel(() -> answer("s"))));

		java.util.List<ChatResponse> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
		Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> this.executor
			.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.doOnNext(delivered::add)
			.blockLast(Duration.ofSeconds(5)));

		assertThat(failure).isInstanceOfSatisfying(dev.resilientai.StreamInterruptedException.class,
				(interrupted) -> assertThat(interrupted).hasMessageContaining("TIMEOUT"));
		assertThat(delivered).isNotEmpty()
			.allSatisfy((chunk) -> assertThat((String) chunk.getMetadata().get(ResilientChatClient.PROVIDER))
				.isEqualTo("p"));
	}

	@Test
	void anEmptyResponseIsAProviderFailure() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("p", new CountingModel(() -> new ChatResponse(List.of()))),
				provider("s", new CountingModel(() -> answer("s"))));

		assertThat((String) call().getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("s");
	}

	@Test
	void emptyAnswersAreInvalidResponses() {
		this.executor = executor(FailoverSettings.of(Duration.ofSeconds(5)),
				provider("p", new CountingModel(() -> new ChatResponse(List.of()))),
				provider("s", new CountingModel(() -> null)));

		AllProvidersFailedException call = catchThrowableOfType(AllProvidersFailedException.class, this::call);

		assertThat(call.getAttempts()).extracting(ProviderAttempt::provider, ProviderAttempt::errorKind)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("p", ErrorKind.INVALID_RESPONSE),
					org.assertj.core.groups.Tuple.tuple("s", ErrorKind.INVALID_RESPONSE));
	}

	private ChatResponse call() {
		return this.executor.call(new Prompt("hi"), RoutingContext.DEFAULT);
	}

	private FailoverExecutor executor(FailoverSettings settings, Provider... providers) {
		return new FailoverExecutor(List.of(providers), settings, new ErrorClassifier(this.clock), this.clock);
	}

	private static Provider provider(String name, ChatModel model) {
		return new Provider(name, 0, Duration.ofSeconds(5), true, model, breaker(name));
	}

	private static CircuitBreaker breaker(String name) {
		return CircuitBreaker.ofDefaults(name);
	}

	private static ChatResponse answer(String text) {
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
	}

	private static org.springframework.http.HttpHeaders retryAfter(String value) {
		org.springframework.http.HttpHeaders headers = new org.springframework.http.HttpHeaders();
		headers.add(org.springframework.http.HttpHeaders.RETRY_AFTER, value);
		return headers;
	}

	static final class CountingModel implements ChatModel {

		final AtomicInteger calls = new AtomicInteger();

		private final Supplier<ChatResponse> behaviour;

		CountingModel(Supplier<ChatResponse> behaviour) {
			this.behaviour = behaviour;
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			this.calls.incrementAndGet();
			return this.behaviour.get();
		}

	}

	static final class MutableClock extends Clock {

		private Instant now = Instant.parse("2026-11-21T12:00:00Z");

		void advance(Duration duration) {
			this.now = this.now.plus(duration);
		}

		@Override
		public ZoneId getZone() {
			return ZoneId.of("UTC");
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return this.now;
		}

	}

}
