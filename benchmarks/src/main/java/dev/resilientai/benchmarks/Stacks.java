package dev.resilientai.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.client.DefaultResilientChatClient;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;

/**
 * The clients the benchmarks compare, built the way the auto-configuration builds them, with
 * no Spring context and no I/O.
 */
final class Stacks {

	private Stacks() {
	}

	/** Spring AI's plain {@code ChatClient} over the in-memory model. */
	static ChatClient plain(ChatModel model) {
		return ChatClient.create(model);
	}

	/** One provider: the in-memory model. */
	static Resilient oneProvider(ChatModel model) {
		return resilient(List.of(provider("primary", model, null)), DataClassPolicy.unrestricted());
	}

	/** Three providers, the first behind an open breaker: skipped without a call. */
	static Resilient firstBreakerOpen(ChatModel model) {
		Provider dead = provider("dead", model, null);
		dead.getCircuitBreaker().transitionToForcedOpenState();
		return resilient(List.of(dead, provider("secondary", model, null), provider("tertiary", model, null)),
				DataClassPolicy.unrestricted());
	}

	/** Compliance routing: the request is pii, the first provider is not allowed it. */
	static Resilient compliance(ChatModel model) {
		return resilient(List.of(provider("cloud", model, Set.of("public", "internal")),
				provider("dpa", model, Set.of("public", "internal", "pii")),
				provider("local", model, Set.of("public", "internal", "pii", "phi"))),
				new DataClassPolicy(List.of("public", "internal", "pii", "phi"), "internal", List.of()));
	}

	private static Provider provider(String name, ChatModel model, Set<String> allowed) {
		CircuitBreakerConfig config = CircuitBreakerConfig.custom()
			.slidingWindowSize(10)
			.minimumNumberOfCalls(5)
			.slowCallDurationThreshold(Duration.ofSeconds(24))
			.build();
		return new Provider(name, 0, Duration.ofSeconds(30), true, model, CircuitBreaker.of(name, config), allowed);
	}

	private static Resilient resilient(List<Provider> providers, DataClassPolicy policy) {
		FailoverExecutor executor = new FailoverExecutor(providers, FailoverSettings.of(Duration.ofSeconds(60)),
				new ErrorClassifier(), policy, (record) -> {
				}, null, Clock.systemUTC());
		ChatClient delegate = ChatClient.builder(new FailoverChatModel(executor).routedView()).build();
		return new Resilient(DefaultResilientChatClient.overRoutedView(delegate), executor);
	}

	record Resilient(ResilientChatClient client, FailoverExecutor executor) implements AutoCloseable {

		@Override
		public void close() {
			this.executor.close();
		}

	}

}
