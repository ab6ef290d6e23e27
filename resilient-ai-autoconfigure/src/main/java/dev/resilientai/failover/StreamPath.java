package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientAiException;
import dev.resilientai.SkipReason;
import dev.resilientai.StreamInterruptedException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * The loop of a stream: tries the eligible providers in order until one starts answering.
 * The attempt timeout bounds the wait for the first chunk, the idle timeout each later
 * silence, the request deadline the whole stream. Failures before the first chunk move on to
 * the next provider; after it the stream ends in {@link StreamInterruptedException} and
 * nothing from another provider is spliced in. The breaker judges a stream's slowness by its
 * first chunk, not by the length of a healthy answer.
 */
final class StreamPath {

	/** How close to the request's deadline a timeout counts as the deadline's. */
	private static final long DEADLINE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

	/**
	 * Where a hedged stream's attempts are cancelled: Reactor's pool for blocking work, or,
	 * should it refuse the task, the cancelling thread.
	 */
	private static final Scheduler CANCELS = Schedulers.fromExecutor((task) -> {
		try {
			Schedulers.boundedElastic().schedule(task);
		}
		catch (RejectedExecutionException ex) {
			task.run();
		}
	});

	/** Key of the response metadata in which Spring AI's Ollama model marks its last line. */
	private static final String OLLAMA_DONE = "done";

	private final FailoverSettings settings;

	private final FailureRecorder failures;

	private final Clock clock;

	private final TimeoutScheduler timeouts;

	private volatile Hedging hedging = Hedging.off();

	StreamPath(FailoverSettings settings, FailureRecorder failures, Clock clock, ScheduledExecutorService timer) {
		this.settings = settings;
		this.failures = failures;
		this.clock = clock;
		this.timeouts = new TimeoutScheduler(timer);
	}

	void setHedging(Hedging hedging) {
		this.hedging = hedging;
	}

	/**
	 * Stream the prompt from the first eligible provider that starts answering.
	 * @param prompt the prompt
	 * @param eligible the providers, in routing order
	 * @param trace the request's trace
	 * @param inherited the context requests made by the providers' streams inherit
	 * @param tag adds the provider and attempt count to each chunk
	 * @param noAnswer the stream to fall back on when no provider answered
	 * @return the chunks
	 */
	Flux<ChatResponse> stream(Prompt prompt, List<Provider> eligible, RequestTrace trace, RoutingContext inherited,
			ChunkTagger tag, Function<RequestTrace, Flux<ChatResponse>> noAnswer) {
		Hedging hedging = this.hedging;
		boolean hedgeable = hedging.isEnabled() && eligible.size() > 1;
		if (hedgeable) {
			hedging.onRequest();
		}
		State state = new State(prompt, eligible, System.nanoTime() + this.settings.timeout().toNanos(), trace,
				inherited, tag, noAnswer, hedgeable ? hedging : null,
				hedgeable ? ConcurrentHashMap.newKeySet() : Set.of());
		return from(0, state);
	}

	private Flux<ChatResponse> from(int start, State state) {
		for (int index = start; index < state.eligible.size(); index++) {
			Provider provider = state.eligible.get(index);
			if (state.hedged.contains(provider)) {
				// a hedge has called it already
				continue;
			}
			if (provider.isRateLimited(this.clock)) {
				state.trace.skip(provider, SkipReason.RATE_LIMITED);
				continue;
			}
			long remaining = state.deadline - System.nanoTime();
			if (remaining <= 0) {
				state.trace.skip(provider, SkipReason.DEADLINE_EXCEEDED);
				continue;
			}
			Permit permit = Permit.acquire(provider, state.trace);
			if (permit == null) {
				continue;
			}
			Duration timeout = Duration.ofNanos(Math.min(provider.getTimeout().toNanos(), remaining));
			boolean probing = provider.takeProbe();
			if (probing) {
				provider.probeSent();
			}
			// a probe (a half-open breaker's, or the first after a rest) is never hedged: a hedge
			// that won would cut it short unjudged and leave the breaker half-open for the next
			// request to probe again
			else if (state.hedging != null && state.hedging.delayFor(provider).compareTo(timeout) < 0) {
				return hedged(index, provider, permit, state, timeout);
			}
			int from = index;
			return attempt(index, provider, permit, state, timeout, null, probing, () -> from(from + 1, state));
		}
		return state.noAnswer.apply(state.trace);
	}

	/**
	 * A hedged stream attempt: if the provider has sent no chunk within the hedging delay,
	 * the next eligible provider that can take it (within the budget) is asked too; the
	 * stream commits to the first provider whose first chunk arrives and cancels the other
	 * attempt, and never splices. A failure before a first chunk waits for the other
	 * attempt; if both fail, failover goes on with the providers not tried yet.
	 */
	private Flux<ChatResponse> hedged(int index, Provider provider, Permit permit, State state, Duration timeout) {
		Hedging hedging = state.hedging;
		Race race = new Race();
		// the first attempt's end before a first chunk: no hedge after it
		Sinks.Empty<Void> firstFailed = Sinks.empty();
		// a failure of the first attempt that ends the request as it is (a rejection, an Error)
		AtomicReference<Throwable> endedWith = new AtomicReference<>();
		Sinks.Empty<Void> ended = Sinks.empty();
		Flux<ChatResponse> first = attempt(index, provider, permit, state, timeout, race, false,
				() -> Flux.error(new LostAttempt()))
			.doOnError((failure) -> {
				firstFailed.tryEmitEmpty();
				if (ownFailure(failure) != null) {
					race.decided = true;
					endedWith.set(failure);
					ended.tryEmitEmpty();
				}
			});
		Flux<ChatResponse> second = Mono
			.firstWithValue(Mono.delay(hedging.delayFor(provider)).thenReturn(Boolean.TRUE),
					firstFailed.asMono().thenReturn(Boolean.FALSE))
			// the hedge is chosen on the hedging pool, never on one of Reactor's parallel
			// threads; the chunks' requests do not go through the pool (it may be full)
			.flatMapMany((delayed) -> delayed
					? Flux.defer(() -> hedge(index, state, race)).subscribeOn(hedging.scheduler(), false)
					: Flux.error(new LostAttempt()));
		AtomicBoolean firstChunk = new AtomicBoolean();
		return Flux.firstWithValue(first, second)
			.takeUntilOther(ended.asMono().then(Mono.just(Boolean.TRUE)))
			.concatWith(Mono.defer(() -> {
				Throwable failure = endedWith.get();
				return (failure != null) ? Mono.error(failure) : Mono.empty();
			}))
			.doOnNext((chunk) -> {
				if (firstChunk.compareAndSet(false, true)) {
					Object served = chunk.getMetadata().get(dev.resilientai.ResilientChatClient.PROVIDER);
					if (served != null && !provider.getName().equals(served)) {
						hedging.won(served.toString());
					}
				}
			})
			.onErrorResume((failure) -> {
				Throwable own = ownFailure(failure);
				return (own != null) ? Flux.error(own) : from(index + 1, state);
			});
	}

	/** The hedge of a stream: the next eligible provider that can take it, within the budget. */
	private Flux<ChatResponse> hedge(int index, State state, Race race) {
		Hedging hedging = state.hedging;
		if (race.decided || !hedging.tryTake()) {
			return Flux.error(new LostAttempt());
		}
		// a hedge prefers another fault domain than the slow provider's, and the failed ones
		List<Provider> eligible = state.eligible;
		Set<String> avoid = new java.util.HashSet<>(state.failedDomains);
		avoid.add(eligible.get(index).getFaultDomain());
		List<Provider> candidates = FaultDomains.preferOthers(eligible, index + 1, avoid);
		for (int next = index + 1; next < candidates.size(); next++) {
			Provider provider = candidates.get(next);
			long remaining = state.deadline - System.nanoTime();
			if (remaining <= 0) {
				break;
			}
			if (state.hedged.contains(provider) || provider.isRateLimited(this.clock)) {
				continue;
			}
			// never a probe (a half-open breaker's, or one whose open wait is over): a losing
			// hedge is cut short unjudged
			Permit permit = Permit.acquireForHedge(provider);
			if (permit != null && race.decided) {
				// the first attempt's chunk came while the hedge was chosen: it is not sent
				permit.released();
				break;
			}
			if (permit != null) {
				state.hedged.add(provider);
				state.trace.hedged();
				hedging.started(provider.getName());
				return attempt(eligible.indexOf(provider), provider, permit, state,
						Duration.ofNanos(Math.min(provider.getTimeout().toNanos(), remaining)), race, false,
						() -> Flux.error(new LostAttempt()));
			}
		}
		hedging.refund();
		return Flux.error(new LostAttempt());
	}

	/**
	 * The error a hedged race must end in as it is, if any: a rejected request, a stream
	 * interrupted after its first chunk, an {@code Error}; anything else was a failed attempt
	 * before a first chunk, after which failover goes on.
	 */
	private static @Nullable Throwable ownFailure(Throwable failure) {
		return ownFailure(failure, 0);
	}

	private static @Nullable Throwable ownFailure(@Nullable Throwable failure, int depth) {
		if (failure == null || failure instanceof LostAttempt || depth > 4) {
			return null;
		}
		if (failure instanceof ProviderRequestRejectedException || failure instanceof StreamInterruptedException
				|| failure instanceof Error) {
			return failure;
		}
		// Flux.firstWithValue ends in a NoSuchElementException whose cause is a composite of
		// the attempts' errors (as its suppressed exceptions)
		for (Throwable suppressed : failure.getSuppressed()) {
			Throwable own = ownFailure(suppressed, depth + 1);
			if (own != null) {
				return own;
			}
		}
		return (failure.getCause() != failure) ? ownFailure(failure.getCause(), depth + 1) : null;
	}

	/**
	 * One stream attempt. Its permit is completed exactly once: on completion (with the time
	 * to the first chunk), on a failure (a breaker failure or a release, by classification),
	 * on cancellation (released), or, for anything else, when the attempt's stream ends.
	 */
	private Flux<ChatResponse> attempt(int index, Provider provider, Permit permit, State state,
			Duration firstChunkTimeout, @Nullable Race race, boolean probing,
			Supplier<Flux<ChatResponse>> onFailover) {
		boolean raced = race != null;
		int attemptNumber = state.trace.startCall();
		long start = System.nanoTime();
		AtomicLong firstChunkAt = new AtomicLong();
		AtomicLong delivered = new AtomicLong();
		AtomicBoolean finished = new AtomicBoolean();
		Duration idleTimeout = this.settings.streamIdleTimeout();
		// the attempt's cancellation: refused at once when the attempt is cancelled (below,
		// before its permit comes back), its HTTP calls cancelled as the cancel reaches them
		AtomicReference<StreamCancellation> opened = new AtomicReference<>();
		Flux<ChatResponse> source = Flux.using(() -> {
			StreamCancellation cancellation = StreamCancellation.open();
			opened.set(cancellation);
			return cancellation;
		}, (cancellation) -> open(provider, permit, state, cancellation, start), StreamCancellation::close);
		if (raced) {
			// the race cancels its loser on the winner's thread before the winner's first chunk
			// goes on: the loser's HTTP call is cancelled beside it, never ahead of it (closing
			// a connection to a browned-out provider may take a while)
			source = source.cancelOn(CANCELS);
		}
		// the first-chunk and idle timeouts: one timer task at a time, not one per chunk
		StreamWatchdog watchdog = new StreamWatchdog(this.timeouts, firstChunkTimeout, idleTimeout, state.deadline);
		return state.inherited.within(source)
			.doOnSubscribe((subscription) -> watchdog.start())
			// a chunk after the watchdog decided the attempt is over is dropped
			.filter((chunk) -> watchdog.chunk())
			.takeUntilOther(watchdog.expiry())
			// a timeout decided after the provider's last chunk cut nothing off
			.concatWith(Mono.defer(() -> watchdog.end(finished.get())))
			.concatWith(Mono.defer(() -> (delivered.get() == 0)
					? Mono.error(new IncompleteStreamException(ErrorKind.INVALID_RESPONSE))
					: (finished.get() || !provider.isEndMarkerRequired()) ? Mono.empty()
							: Mono.error(new IncompleteStreamException(ErrorKind.TRUNCATED))))
			.map((chunk) -> {
				if (delivered.getAndIncrement() == 0) {
					firstChunkAt.set(System.nanoTime());
					if (race != null) {
						// this attempt wins the race: the other is cancelled next
						race.decided = true;
					}
				}
				if (isLastChunk(chunk)) {
					finished.set(true);
				}
				return state.tag.tag(chunk, provider.getName(),
						raced ? Math.max(attemptNumber, state.trace.calls()) : attemptNumber);
			})
			.doOnComplete(() -> {
				if (probing) {
					provider.probeAnswered();
				}
				permit.succeeded(Duration.ofNanos(firstChunkAt.get() - start));
				this.hedging.observe(provider, Duration.ofNanos(firstChunkAt.get() - start));
				state.trace.succeeded(provider.getName(), Duration.ofNanos(System.nanoTime() - start));
			})
			.doOnCancel(() -> {
				StreamCancellation cancellation = opened.get();
				if (cancellation != null) {
					cancellation.refuse();
				}
				permit.released();
				if (race != null && race.decided && delivered.get() == 0) {
					// the other attempt of the hedged stream sent its first chunk first, or ended
					// the request: not a cancellation by the caller
					state.trace.lost(provider.getName(), Duration.ofNanos(System.nanoTime() - start));
					state.hedging.cancelled(provider, Duration.ofNanos(System.nanoTime() - start));
				}
			})
			// the attempt is over before failover goes on: its watchdog does not outlive it
			.doOnError((failure) -> watchdog.stop())
			.onErrorResume(
					(failure) -> failed(index, provider, permit, state, failure, start, delivered.get(), onFailover))
			.doFinally((signal) -> {
				watchdog.stop();
				permit.released();
			});
	}

	private Flux<ChatResponse> open(Provider provider, Permit permit, State state, StreamCancellation cancellation,
			long start) {
		try {
			Drill drill = provider.drillFault(this.clock.instant());
			if (drill != null) {
				// a drill's fault: an error without a call, a hang until the first-chunk timeout,
				// or a delay before the real stream
				switch (drill.fault()) {
					case ERROR -> {
						return Flux.error(new Drill.InjectedFailureException(provider.getName()));
					}
					case HANG -> {
						return Flux.never();
					}
					case LATENCY -> {
						return Mono.delay(drill.latency())
							.thenMany(Flux.defer(() -> state.inherited.apply(
									() -> provider.getModel().stream(provider.promptFor(state.prompt, cancellation.tag())))))
							.doOnCancel(cancellation::cancel);
					}
				}
			}
			return state.inherited
				.apply(() -> provider.getModel().stream(provider.promptFor(state.prompt, cancellation.tag())))
				.doOnCancel(cancellation::cancel);
		}
		catch (Error error) {
			permit.failed(Duration.ofNanos(System.nanoTime() - start), error);
			throw error;
		}
	}

	private Flux<ChatResponse> failed(int index, Provider provider, Permit permit, State state, Throwable failure,
			long start, long delivered, Supplier<Flux<ChatResponse>> onFailover) {
		Duration duration = Duration.ofNanos(System.nanoTime() - start);
		if (failure instanceof Error error) {
			permit.failed(duration, error);
			return Flux.error(error);
		}
		Classification classification = (failure instanceof IncompleteStreamException incomplete)
				? new Classification(incomplete.kind, null, null) : this.failures.classify(failure);
		if (delivered == 0 && classification.kind() == ErrorKind.INVALID_REQUEST
				&& provider.sendsSchemaNatively(state.prompt)) {
			// the provider refused the schema resilient-ai chose to send natively: move on
			state.trace.failed(ProviderAttempt.failure(provider.getName(), ErrorKind.INVALID_RESPONSE,
					classification.httpStatus(), duration));
			permit.released();
			return onFailover.get();
		}
		state.trace.failed(ProviderAttempt.failure(provider.getName(), classification.kind(),
				classification.httpStatus(), duration));
		// a wait cut short by the request's deadline says nothing against the provider
		boolean deadlineCut = failure instanceof TimeoutException
				&& System.nanoTime() >= state.deadline - DEADLINE_SLACK_NANOS;
		if (delivered > 0) {
			if (deadlineCut) {
				permit.released();
			}
			else {
				classification.recordFailure(permit, duration, failure);
			}
			return Flux.error(new StreamInterruptedException(provider.getName(), delivered, classification.kind()));
		}
		if (deadlineCut) {
			permit.released();
		}
		else {
			this.failures.record(provider, permit, classification, failure, duration);
		}
		if (!classification.kind().isFailover()) {
			return Flux.error(
					new ProviderRequestRejectedException(provider.getName(), classification.httpStatus(), failure));
		}
		if (FaultDomains.isInfrastructureFailure(classification.kind())) {
			state.failedAt(index, provider);
		}
		return onFailover.get();
	}

	/**
	 * Whether a chunk is its stream's last as the provider's client signals it: a finish
	 * reason (OpenAI's {@code finish_reason}, which Spring AI reports as {@code _UNKNOWN} on
	 * other chunks; Anthropic's {@code stop_reason}; Ollama's {@code done_reason}), or
	 * Ollama's {@code done: true} line, which Spring AI gives no finish reason when Ollama
	 * leaves out its optional token counters (a prompt served from its cache).
	 */
	static boolean isLastChunk(ChatResponse chunk) {
		if (Boolean.TRUE.equals(chunk.getMetadata().get(OLLAMA_DONE))) {
			return true;
		}
		for (Generation generation : chunk.getResults()) {
			String reason = generation.getMetadata().getFinishReason();
			if (reason != null && !reason.isBlank() && !"null".equalsIgnoreCase(reason)
					&& !"_UNKNOWN".equals(reason)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Adds the provider and attempt count to a chunk.
	 */
	@FunctionalInterface
	interface ChunkTagger {

		ChatResponse tag(ChatResponse chunk, String provider, int attempts);

	}

	/**
	 * A stream that completed without a chunk or without its end marker.
	 */
	private static final class IncompleteStreamException extends ResilientAiException {

		private static final long serialVersionUID = 1L;

		private final transient ErrorKind kind;

		IncompleteStreamException(ErrorKind kind) {
			super((kind == ErrorKind.TRUNCATED) ? "The stream ended without its end marker"
					: "The stream ended without a chunk");
			this.kind = kind;
		}

	}

	/** One stream request's state across its attempts. */
	private static final class State {

		final Prompt prompt;

		/** The order of the providers; after an infrastructure failure, other fault domains first. */
		volatile List<Provider> eligible;

		final long deadline;

		final RequestTrace trace;

		final RoutingContext inherited;

		final ChunkTagger tag;

		final Function<RequestTrace, Flux<ChatResponse>> noAnswer;

		final @Nullable Hedging hedging;

		final Set<Provider> hedged;

		final Set<String> failedDomains = ConcurrentHashMap.newKeySet();

		State(Prompt prompt, List<Provider> eligible, long deadline, RequestTrace trace, RoutingContext inherited,
				ChunkTagger tag, Function<RequestTrace, Flux<ChatResponse>> noAnswer, @Nullable Hedging hedging,
				Set<Provider> hedged) {
			this.prompt = prompt;
			this.eligible = eligible;
			this.deadline = deadline;
			this.trace = trace;
			this.inherited = inherited;
			this.tag = tag;
			this.noAnswer = noAnswer;
			this.hedging = hedging;
			this.hedged = hedged;
		}

		/** An attempt at a position failed with an infrastructure failure: reorder what is left. */
		synchronized void failedAt(int index, Provider provider) {
			this.failedDomains.add(provider.getFaultDomain());
			this.eligible = FaultDomains.preferOthers(this.eligible, index + 1, this.failedDomains);
		}

	}

	/** The race of a hedged stream's two attempts. */
	private static final class Race {

		/** An attempt sent its first chunk, or ended the request with its failure. */
		volatile boolean decided;

	}

	/** An attempt of a hedged stream failed before its first chunk; the race goes on. */
	private static final class LostAttempt extends RuntimeException {

		private static final long serialVersionUID = 1L;

		LostAttempt() {
			super(null, null, false, false);
		}

	}

}
