package dev.resilientai.actuate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Health semantics: a dead provider is a degraded detail, a data class with no provider left
 * is DOWN.
 */
class ResilientAiHealthContributorTests {

	private final Provider cloud = provider("cloud", Set.of("public"));

	private final Provider dpa = provider("dpa", Set.of("public", "pii"));

	private final Provider local = provider("local", Set.of("public", "pii", "phi"));

	private final FailoverExecutor executor = new FailoverExecutor(List.of(this.cloud, this.dpa, this.local),
			FailoverSettings.of(Duration.ofSeconds(5)), new ErrorClassifier(),
			new DataClassPolicy(List.of("public", "pii", "phi"), "public", List.of()), (record) -> {
			}, null, Clock.systemUTC());

	private final ResilientAiHealthContributor health = new ResilientAiHealthContributor(this.executor,
			Clock.systemUTC());

	@AfterEach
	void close() {
		this.executor.close();
	}

	@Test
	void everyProviderHealthyIsUp() {
		assertThat(child("cloud").getStatus()).isEqualTo(Status.UP);
		assertThat(child(ResilientAiHealthContributor.DATA_CLASSES).getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void anOpenBreakerIsACustomStatusAndTheClassesStayServable() {
		this.cloud.getCircuitBreaker().transitionToOpenState();

		assertThat(child("cloud").getStatus()).isEqualTo(ResilientAiHealthContributor.CIRCUIT_OPEN);
		assertThat(child(ResilientAiHealthContributor.DATA_CLASSES).getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void aProviderShowsHowFullItsBulkheadIs() {
		this.cloud.getBulkhead().tryAcquirePermission();
		try {
			assertThat(child("cloud").getDetails().get("bulkhead")).isEqualTo(java.util.Map.of(
					"availableConcurrentCalls", 24, "maxAllowedConcurrentCalls", 25));
		}
		finally {
			this.cloud.getBulkhead().onComplete();
		}
	}

	@Test
	void aClassWithNoProviderLeftIsDownAndNamed() {
		this.local.getCircuitBreaker().transitionToForcedOpenState();
		this.dpa.setEnabled(false);

		Health classes = child(ResilientAiHealthContributor.DATA_CLASSES);

		assertThat(classes.getStatus()).isEqualTo(Status.DOWN);
		assertThat(classes.getDetails().get("unservable")).isEqualTo(List.of("pii", "phi"));
		assertThat(child("dpa").getStatus()).isEqualTo(ResilientAiHealthContributor.DISABLED);
	}

	@Test
	void aRestingProviderIsRateLimitedAndNotCountedAsServing() {
		this.local.rateLimitUntil(Instant.now().plusSeconds(60));

		assertThat(child("local").getStatus()).isEqualTo(ResilientAiHealthContributor.RATE_LIMITED);
		assertThat(child(ResilientAiHealthContributor.DATA_CLASSES).getStatus()).isEqualTo(Status.DOWN);
	}

	private Health child(String name) {
		return ((HealthIndicator) this.health.getContributor(name)).health(true);
	}

	private static Provider provider(String name, Set<String> allowed) {
		ChatModel model = new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				throw new IllegalStateException("health never calls a provider");
			}

		};
		return new Provider(name, 0, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name), allowed);
	}

}
