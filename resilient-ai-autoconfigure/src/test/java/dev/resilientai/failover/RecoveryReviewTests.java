package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Review of recovery probes (issue 20) and fault-domain ordering with hedging (issue 17).
 */
class RecoveryReviewTests {

	private final List<AuditRecord> audits = new ArrayList<>();

	/**
	 * Expected: a probe is "an attempt like any other" as far as the caller's request is
	 * concerned: when the provider being probed rejects the request as invalid (400) and
	 * no other provider answers, the caller learns its request was rejected
	 * (ProviderRequestRejectedException, a 400 over the web), as it would had the probe been an
	 * ordinary attempt. Actual: {@code ProbeRun.await} only records the 400 in the trace and
	 * returns null, so the caller gets AllProvidersFailedException (an outage, a 503).
	 */
	@Test
	void aProbeRejectingTheRequestIsReportedAsARejectionNotAnOutage() {
		Supplier<ChatResponse> badRequest = () -> {
			sleep(100);
			throw HttpClientErrorException.create(HttpStatus.BAD_REQUEST, "bad", HttpHeaders.EMPTY, null, null);
		};
		Supplier<ChatResponse> down = () -> {
			throw HttpServerErrorException.create(HttpStatus.BAD_GATEWAY, "down", HttpHeaders.EMPTY, null, null);
		};
		FailoverExecutor executor = executor(provider("a", 0, null, model(badRequest)),
				provider("b", 1, null, model(down)));
		Provider a = executor.getProviders().get(0);
		// back from the kill switch: the next request probes a beside b
		a.setEnabled(false);
		a.setEnabled(true);

		Throwable failure = catchThrowable(() -> executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(a.getProbesSent()).isEqualTo(1);
		assertThat(failure).isInstanceOf(ProviderRequestRejectedException.class);
		executor.close();
	}

	/**
	 * Expected: "After a provider fails (connection, timeout, 5xx, overload), the next
	 * attempt prefers providers in another fault domain ... and not after a 400"; issue 20:
	 * "hedging on or off changes none of this". A primary that fails with an invalid
	 * response (not an infrastructure failure) does not reorder without hedging (b, same
	 * domain, answers). Actual: with hedging on, once a hedge was sent and both attempts
	 * failed, CallPath.java:152-153 marks both providers' domains failed and forces
	 * {@code failedKind = SERVER_ERROR}, whatever the failures were, so d jumps ahead of b.
	 */
	@Test
	void aHedgedNonInfrastructureFailureDoesNotReorderByFaultDomain() {
		Supplier<ChatResponse> slowEmpty = () -> {
			sleep(250);
			return new ChatResponse(List.of());
		};
		Supplier<ChatResponse> empty = () -> new ChatResponse(List.of());
		FailoverExecutor executor = executor(provider("a", 0, "aws", model(slowEmpty)),
				provider("b", 1, "aws", model(() -> answer("b"))), provider("c", 2, "gcp", model(empty)),
				provider("d", 3, null, model(() -> answer("d"))));
		executor.setHedging(Hedging.of(Duration.ofMillis(50), 1.0));

		ChatResponse response = executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		// without hedging: a fails (invalid response, no reorder), b answers
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("b");
		executor.close();
	}

	private FailoverExecutor executor(Provider... providers) {
		Clock clock = Clock.systemUTC();
		return new FailoverExecutor(List.of(providers), FailoverSettings.of(Duration.ofSeconds(5)),
				new ErrorClassifier(clock), DataClassPolicy.unrestricted(), this.audits::add, null, clock);
	}

	private static Provider provider(String name, int priority, String domain, ChatModel model) {
		Provider provider = new Provider(name, priority, Duration.ofSeconds(1), true, model,
				CircuitBreaker.ofDefaults(name));
		provider.setFaultDomain(domain);
		return provider;
	}

	private static ChatModel model(Supplier<ChatResponse> behaviour) {
		return new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				return behaviour.get();
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.defer(() -> Flux.just(behaviour.get()));
			}

		};
	}

	private static ChatResponse answer(String text) {
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted", ex);
		}
	}

}
