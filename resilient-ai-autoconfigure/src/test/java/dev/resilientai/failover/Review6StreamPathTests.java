package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.resilientai.routing.DataClassPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatOptions;

import static dev.resilientai.failover.HedgingLoopReviewTests.chunk;
import static dev.resilientai.failover.HedgingLoopReviewTests.provider;
import static dev.resilientai.failover.HedgingLoopReviewTests.streaming;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sixth review of the stream path: commit 0872af5 (a hedged attempt's
 * {@code StreamCancellation} refused synchronously on cancel, its cancellers run on
 * {@code boundedElastic}; a watchdog expiry after the end marker counts as an answer). Every
 * test here fails against the reviewed code for the reason its Javadoc gives.
 */
class Review6StreamPathTests {

	private FailoverExecutor executor;

	@AfterEach
	void close() {
		if (this.executor != null) {
			this.executor.close();
		}
	}

	/**
	 * Defect (low severity, an ordering window): 0872af5 refuses the loser's queued HTTP calls
	 * in a {@code doOnCancel} placed around the attempt's source, at the very top of the
	 * attempt's chain, while the attempt's permit is given back by the {@code doOnCancel}
	 * further down ({@code StreamPath#attempt}: {@code permit.released()}). Reactor runs a
	 * cancel hook before it passes the cancel upstream, so the permit (bulkhead slot and
	 * breaker permission) comes back first, and the tag is still claimable while the bulkhead's
	 * {@code CallFinished} listeners run and until the cancel has walked up through
	 * {@code doOnComplete}, {@code map}, both {@code concatWith}s, {@code takeUntilOther} (which
	 * also cancels the watchdog's expiry), {@code filter} and the routing context. A call that
	 * OkHttp dispatches in that window is sent to the provider that lost the race, beyond its
	 * bulkhead's limit (it is cancelled later, by the canceller it registered). The invariant
	 * that the fifth review asked for ("once the loser's permit is given back, a claim of its
	 * tag is refused") and that docs/failover.md now states ("while its permit comes back and
	 * its calls not sent yet are refused at once") does not hold at the moment the permit
	 * comes back.
	 * <p>
	 * Expected: when the loser's bulkhead slot is given back, a claim of its tag is refused.
	 * Fix: refuse the attempt's {@code StreamCancellation} in the attempt's own cancel hook,
	 * before {@code permit.released()} (keep the opened cancellation in a holder the outer
	 * {@code doOnCancel} can reach), and leave only the cancellers to {@code CANCELS}.
	 */
	@Test
	void aLosersTagIsRefusedWhenItsPermitComesBack() throws Exception {
		AtomicReference<String> aTag = new AtomicReference<>();
		Sinks.Many<ChatResponse> bChunks = Sinks.many().unicast().onBackpressureBuffer();
		CountDownLatch bSubscribed = new CountDownLatch(1);
		// a: an OpenAI model whose call waits in OkHttp's queue (the attempt tags it)
		Provider a = provider("a", 0, openAi((prompt) -> {
			aTag.set(((OpenAiChatOptions) prompt.getOptions()).getCustomHeaders().get(StreamCancellation.HEADER));
			return Flux.never();
		}));
		Provider b = provider("b", 1,
				streaming((prompt) -> bChunks.asFlux().doOnSubscribe((subscription) -> bSubscribed.countDown())));
		// what OkHttp's interceptor would learn for a's queued call at the moment a's slot comes back
		AtomicReference<StreamCancellation.Claim> claimAtRelease = new AtomicReference<>();
		a.getBulkhead()
			.getEventPublisher()
			.onCallFinished((event) -> claimAtRelease.compareAndSet(null, StreamCancellation.claim(aTag.get(), () -> {
			})));
		this.executor = executor(a, b);
		CountDownLatch first = new CountDownLatch(1);
		this.executor.stream(new Prompt("hi"), RoutingContext.DEFAULT).subscribe((chunk) -> first.countDown());

		assertThat(bSubscribed.await(2, TimeUnit.SECONDS)).as("b was asked as a's hedge").isTrue();
		assertThat(aTag.get()).as("a's attempt tag").isNotNull();
		bChunks.tryEmitNext(chunk("from b", null));
		assertThat(first.await(2, TimeUnit.SECONDS)).as("b's first chunk").isTrue();

		assertThat(claimAtRelease.get()).as("a's slot was given back (a lost the race)").isNotNull();
		assertThat(claimAtRelease.get().mayProceed())
			.as("a's queued call may be sent (claim %s) when a's bulkhead slot comes back", claimAtRelease.get())
			.isFalse();
	}

	private static ChatModel openAi(java.util.function.Function<Prompt, Flux<ChatResponse>> stream) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new UnsupportedOperationException();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return stream.apply(prompt);
			}

			@Override
			public ChatOptions getOptions() {
				return OpenAiChatOptions.builder().build();
			}

		};
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), (record) -> {
				}, null, clock);
		executor.setHedging(Hedging.of(Duration.ofMillis(30), 1.0));
		return executor;
	}

}
