package dev.resilientai.failover;

import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.resilientai.ProviderAttempt;
import dev.resilientai.ProviderRequestRejectedException;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.audit.AuditRecord;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
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
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Fault domains: after an infrastructure failure (connection, timeout, 5xx, overload) the next
 * attempt prefers providers of another fault domain, in priority order, and those of the
 * failed domain follow; not after a rejected request or a compliance skip. Providers: a and b
 * in {@code aws}, c in {@code gcp}, d without a label (a domain of its own).
 */
class FaultDomainOrderTests {

	private final List<AuditRecord> audits = new ArrayList<>();

	static Stream<Arguments> infrastructureFailures() {
		return Stream.of(Arguments.of("connection", (Supplier<ChatResponse>) () -> {
			throw new ResourceAccessException("I/O error", new ConnectException("Connection refused"));
		}), Arguments.of("server error", (Supplier<ChatResponse>) () -> {
			throw HttpServerErrorException.create(HttpStatus.INTERNAL_SERVER_ERROR, "boom", HttpHeaders.EMPTY, null,
					null);
		}), Arguments.of("overloaded", (Supplier<ChatResponse>) () -> {
			throw HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE, "busy", HttpHeaders.EMPTY, null,
					null);
		}), Arguments.of("timeout", new Slow()));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("infrastructureFailures")
	void afterAnInfrastructureFailureTheNextCallGoesToAnotherFaultDomain(String kind, Supplier<ChatResponse> failure) {
		FailoverExecutor executor = executor(DataClassPolicy.unrestricted(), failure);

		ChatResponse response = executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("c");
		assertThat(lastAudit().steps()).extracting(ProviderAttempt::provider).containsExactly("a", "c");
		executor.close();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("infrastructureFailures")
	void afterAnInfrastructureFailureTheNextStreamGoesToAnotherFaultDomain(String kind,
			Supplier<ChatResponse> failure) {
		FailoverExecutor executor = executor(DataClassPolicy.unrestricted(), failure);

		List<ChatResponse> chunks = executor.stream(new Prompt("hi"), RoutingContext.DEFAULT)
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat((String) chunks.get(0).getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("c");
		executor.close();
	}

	@Test
	void whenTheOtherDomainFailsTooTheFailedDomainsFollowInPriorityOrder() {
		Supplier<ChatResponse> down = () -> {
			throw HttpServerErrorException.create(HttpStatus.BAD_GATEWAY, "down", HttpHeaders.EMPTY, null, null);
		};
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(
				List.of(provider("a", 0, "aws", model(down)), provider("b", 1, "aws", model(() -> answer("b"))),
						provider("c", 2, "gcp", model(down)), provider("d", 3, null, model(() -> answer("d")))),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), DataClassPolicy.unrestricted(),
				this.audits::add, null, clock);

		ChatResponse response = executor.call(new Prompt("hi"), RoutingContext.DEFAULT);

		// a (aws) fails: c (gcp) and d (its own) before b (aws); c fails: d next
		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("d");
		assertThat(lastAudit().steps()).extracting(ProviderAttempt::provider).containsExactly("a", "c", "d");
		executor.close();
	}

	@Test
	void aRejectedRequestDoesNotReorderItEndsTheRequest() {
		FailoverExecutor executor = executor(DataClassPolicy.unrestricted(), () -> {
			throw HttpClientErrorException.create(HttpStatus.BAD_REQUEST, "bad", HttpHeaders.EMPTY, null, null);
		});

		Throwable failure = catchThrowable(() -> executor.call(new Prompt("hi"), RoutingContext.DEFAULT));

		assertThat(failure).isInstanceOf(ProviderRequestRejectedException.class);
		executor.close();
	}

	@Test
	void aComplianceSkipDoesNotReorder() {
		DataClassPolicy policy = new DataClassPolicy(List.of("public", "pii"), "public", List.of());
		Clock clock = Clock.systemUTC();
		FailoverExecutor executor = new FailoverExecutor(
				List.of(new Provider("a", 0, Duration.ofSeconds(1), true, model(() -> answer("a")),
						CircuitBreaker.ofDefaults("a"), Set.of("public")),
						withDomain(new Provider("b", 1, Duration.ofSeconds(1), true, model(() -> answer("b")),
								CircuitBreaker.ofDefaults("b"), Set.of("public", "pii")), "aws"),
						withDomain(new Provider("c", 2, Duration.ofSeconds(1), true, model(() -> answer("c")),
								CircuitBreaker.ofDefaults("c"), Set.of("public", "pii")), "gcp")),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), policy, this.audits::add, null,
				clock);
		withDomain(executor.getProviders().get(0), "aws");

		ChatResponse response = executor.call(new Prompt("hi"), RoutingContext.of("pii"));

		assertThat((String) response.getMetadata().get(ResilientChatClient.PROVIDER)).isEqualTo("b");
		executor.close();
	}

	private FailoverExecutor executor(DataClassPolicy policy, Supplier<ChatResponse> failure) {
		Clock clock = Clock.systemUTC();
		return new FailoverExecutor(
				List.of(provider("a", 0, "aws", model(failure)), provider("b", 1, "aws", model(() -> answer("b"))),
						provider("c", 2, "gcp", model(() -> answer("c"))),
						provider("d", 3, null, model(() -> answer("d")))),
				FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(clock), policy, this.audits::add, null,
				clock);
	}

	private AuditRecord lastAudit() {
		return this.audits.get(this.audits.size() - 1);
	}

	private static Provider provider(String name, int priority, String domain, ChatModel model) {
		Provider provider = new Provider(name, priority, Duration.ofMillis(300), true, model,
				CircuitBreaker.ofDefaults(name));
		provider.setFaultDomain(domain);
		return provider;
	}

	private static Provider withDomain(Provider provider, String domain) {
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
				if (behaviour instanceof Slow) {
					// a stream that sends nothing for longer than the attempt timeout, without a blocked thread
					return reactor.core.publisher.Mono.delay(Duration.ofSeconds(2)).map((tick) -> answer("late")).flux();
				}
				return Flux.defer(() -> Flux.just(behaviour.get()));
			}

		};
	}

	/** Answers after longer than the attempt timeout. */
	private static final class Slow implements Supplier<ChatResponse> {

		@Override
		public ChatResponse get() {
			sleep(2_000);
			return answer("late");
		}

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
