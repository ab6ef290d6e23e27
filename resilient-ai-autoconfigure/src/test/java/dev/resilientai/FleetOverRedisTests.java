package dev.resilientai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.fleet.FleetSync;
import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.FleetTestSupport;
import dev.resilientai.support.RedisServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fleet sharing through a real Redis server: two or three application contexts in one JVM,
 * each an instance of the same application with its own breakers, in front of the same
 * WireMock providers (OpenAI's wire format, through the typed {@code openai} provider). An
 * outage, a kill switch or a {@code Retry-After} found on one instance reaches the others
 * within the bound; Redis trouble fails no request; the request path sends Redis nothing.
 */
@EnabledIf("dev.resilientai.support.RedisServer#testsRun")
@ExtendWith(OutputCaptureExtension.class)
class FleetOverRedisTests extends FleetTestSupport {

	@Test
	void anOutageFoundByOneInstanceIsSkippedByTheOthersWithinTheBound() {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		ConfigurableApplicationContext c = instance("c");
		awaitConnected(a, b, c);
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));

		assertThat(ask(a)).isEqualTo("from secondary");
		assertThat(ask(a)).isEqualTo("from secondary");
		assertThat(breaker(a).getState()).isEqualTo(CircuitBreaker.State.OPEN);
		long opened = System.nanoTime();
		await().atMost(BOUND).until(() -> breaker(b).getState() == CircuitBreaker.State.OPEN
				&& breaker(c).getState() == CircuitBreaker.State.OPEN);
		Duration propagation = Duration.ofNanos(System.nanoTime() - opened);
		int deadRequests = openAiRequests(primary);

		for (int i = 0; i < 10; i++) {
			assertThat(ask(b)).isEqualTo("from secondary");
			assertThat(ask(c)).isEqualTo("from secondary");
		}

		assertThat(openAiRequests(primary)).as("requests to the dead primary").isEqualTo(deadRequests).isEqualTo(2);
		assertThat(propagation).isLessThan(BOUND);
		assertThat(endpoint(b).provider("primary").stateSource()).startsWith("fleet:a-");
		assertThat(endpoint(a).provider("primary").stateSource()).isEqualTo("local");
		assertThat(fleet(b).appliedCounts()).containsEntry("primary|open", 1L);
		assertThat(fleet(a).publishedCounts()).containsEntry("primary|open", 1L);
		io.micrometer.core.instrument.MeterRegistry meters = b.getBean(io.micrometer.core.instrument.MeterRegistry.class);
		assertThat(meters.get("resilient.ai.fleet.events")
			.tags("direction", "applied", "provider", "primary", "event", "open")
			.functionCounter()
			.count()).isEqualTo(1.0);
		assertThat(meters.get("resilient.ai.fleet.connected").gauge().value()).isEqualTo(1.0);
	}

	@Test
	void theKillSwitchReachesEveryInstanceAndInstancesStartedLater() {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);

		endpoint(a).update("primary", "disable");

		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		assertThat(ask(b)).isEqualTo("from secondary");
		ConfigurableApplicationContext late = instance("late");
		await().atMost(BOUND.plusSeconds(1)).until(() -> !provider(late).isEnabled());
		assertThat(endpoint(late).provider("primary").stateSource()).startsWith("fleet:a-");
		assertThat(openAiRequests(primary)).isZero();

		endpoint(b).update("primary", "enable");

		await().atMost(BOUND).until(() -> provider(a).isEnabled() && provider(late).isEnabled());
		// the first request after the kill switch probes the primary beside the secondary
		ask(a);
		assertThat(ask(a)).isEqualTo("from primary");
	}

	@Test
	void aKillSwitchLivesWhileItsInstanceRunsAndExpiresAStateTtlAfterIt() throws Exception {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.fleet.state-ttl=2s");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.fleet.state-ttl=2s");
		awaitConnected(a, b);

		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		Thread.sleep(3000);

		assertThat(redis.command("EXISTS", this.keyPrefix + ":{fleet}:primary:switch")).startsWith(":1");
		assertThat(provider(b).isEnabled()).isFalse();

		a.close();
		await().atMost(Duration.ofSeconds(4)).until(() -> provider(b).isEnabled());
	}

	@Test
	void aDrillStartedOnOneInstanceAppliesToTheFleetUntilItIsStopped() {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.drills.enabled=true");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.drills.enabled=true");
		awaitConnected(a, b);

		a.getBean(dev.resilientai.actuate.Drills.class)
			.start(provider(a), dev.resilientai.failover.Drill.Fault.ERROR, 1.0, Duration.ofMinutes(1), Duration.ZERO,
					"operator");

		await().atMost(BOUND).until(() -> provider(b).getDrill(java.time.Instant.now()) != null);
		assertThat(provider(b).getDrill(java.time.Instant.now()).fault())
			.isEqualTo(dev.resilientai.failover.Drill.Fault.ERROR);
		assertThat(provider(b).getDrill(java.time.Instant.now()).by()).startsWith("operator");
		assertThat(ask(b)).isEqualTo("from secondary");
		assertThat(openAiRequests(primary)).isZero();

		a.getBean(dev.resilientai.actuate.Drills.class).stop(provider(a), "operator");

		await().atMost(BOUND).until(() -> provider(b).getDrill(java.time.Instant.now()) == null);
		assertThat(ask(b)).isEqualTo("from primary");
	}

	@Test
	void aDrillFromTheFleetIsCappedByTheLocalMaximumAndNotAppliedWhereDrillsAreDisabled() {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.drills.enabled=true");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.drills.enabled=true",
				"resilient-ai.drills.max-duration=2m");
		ConfigurableApplicationContext c = instance("c");
		awaitConnected(a, b, c);

		a.getBean(dev.resilientai.actuate.Drills.class)
			.start(provider(a), dev.resilientai.failover.Drill.Fault.ERROR, 1.0, Duration.ofMinutes(50), Duration.ZERO,
					"operator");

		await().atMost(BOUND).until(() -> provider(b).getDrill(java.time.Instant.now()) != null);
		assertThat(Duration.between(java.time.Instant.now(), provider(b).getDrill(java.time.Instant.now()).until()))
			.as("b's own maximum, not the drill's 50 minutes")
			.isBetween(Duration.ofSeconds(100), Duration.ofMinutes(2));
		// c heard the same publish (and re-reads every 300 ms)
		await().pollDelay(Duration.ofMillis(700)).atMost(BOUND).until(() -> true);
		assertThat(provider(c).getDrill(java.time.Instant.now())).as("drills are disabled on c").isNull();
		assertThat(ask(c)).isEqualTo("from primary");
	}

	@Test
	void aRetryAfterRestOnOneInstanceRestsTheProviderOnAll() {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		primary.stubFor(openAi().willReturn(aResponse().withStatus(429)
			.withHeader("Retry-After", "30")
			.withHeader("Content-Type", "application/json")
			.withBody(openAiError("rate_limit_exceeded", "rate_limit_exceeded", "slow down"))));

		assertThat(ask(a)).isEqualTo("from secondary");

		await().atMost(BOUND).until(() -> provider(b).getRateLimitedUntil() != null);
		assertThat(ask(b)).isEqualTo("from secondary");
		assertThat(openAiRequests(primary)).isEqualTo(1);
		// Retry-After 30 s, capped at max-retry-after (3 s here) on both instances
		assertThat(Duration.between(java.time.Instant.now(), provider(b).getRateLimitedUntil()))
			.isBetween(Duration.ofSeconds(2), Duration.ofSeconds(3));
	}

	@Test
	void redisTroubleFailsNoRequestAndSharingResumesWhenRedisIsBack(CapturedOutput output) throws Exception {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);

		redis.stop();
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		for (int i = 0; i < 20; i++) {
			assertThat(ask(a)).isEqualTo("from secondary");
			assertThat(ask(b)).isEqualTo("from secondary");
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> !fleet(a).isConnected() && !fleet(b).isConnected());
		assertThat(fleet(a).status().state()).isEqualTo("unreachable");
		assertThat(health(a)).containsEntry("redis", "unreachable");
		Thread.sleep(1500);
		assertThat(countOccurrences(output.getOut(), "Fleet sharing paused")).as("one WARN per instance and outage")
			.isEqualTo(2);
		assertThat(fleet(a).outages()).isEqualTo(1);

		redis.restart();
		await().atMost(Duration.ofSeconds(5)).until(() -> fleet(a).isConnected() && fleet(b).isConnected());
		primary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from primary", "stop"))));
		breaker(a).reset();
		breaker(b).reset();
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		assertThat(output.getOut()).contains("Fleet sharing resumed");
	}

	@Test
	void theRequestPathSendsRedisNothing() throws Exception {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.fleet.refresh-interval=1h");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.fleet.refresh-interval=1h");
		awaitConnected(a, b);
		// first calls pay for class loading and connection set-up: not part of the measure
		for (int i = 0; i < 5; i++) {
			ask(a);
			ask(b);
		}
		Thread.sleep(200);
		long before = redis.totalCommands();

		for (int i = 0; i < 250; i++) {
			ask(a);
			ask(b);
		}

		// INFO itself is the only command between the two readings (no state changed meanwhile)
		assertThat(breaker(a).getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(breaker(b).getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(redis.totalCommands() - before).isEqualTo(1);
	}

	@Test
	void whenASharedOpenEndsOneInstanceProbesAndTellsTheOthers() {
		List<ConfigurableApplicationContext> fleet = List.of(instance("a"), instance("b"), instance("c"));
		awaitConnected(fleet.toArray(ConfigurableApplicationContext[]::new));
		AtomicInteger halfOpens = new AtomicInteger();
		fleet.forEach((instance) -> breaker(instance).getEventPublisher().onStateTransition((event) -> {
			if (event.getStateTransition().getToState() == CircuitBreaker.State.HALF_OPEN) {
				halfOpens.incrementAndGet();
			}
		}));
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		ask(fleet.get(0));
		ask(fleet.get(0));
		await().atMost(BOUND).until(() -> fleet.stream().allMatch((i) -> breaker(i).getState() == CircuitBreaker.State.OPEN));
		primary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from primary", "stop"))));
		primary.resetRequests();

		// every instance keeps asking; the opener's open ends first, its probe succeeds, and
		// the others close on its word before their own opens end
		await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(20)).until(() -> {
			fleet.forEach(this::ask);
			return fleet.stream().allMatch((i) -> breaker(i).getState() == CircuitBreaker.State.CLOSED);
		});

		assertThat(halfOpens).as("instances that probed").hasValue(1);
		assertThat(fleet(fleet.get(1)).appliedCounts()).containsEntry("primary|recovered", 1L);
	}

	@Test
	void whileTheOpenersProbeHangsTheOthersWaitForItsWordInsteadOfProbingToo() {
		String[] hangFast = { "resilient-ai.failover.attempt-timeout=700ms" };
		List<ConfigurableApplicationContext> fleet = List.of(instance("a", hangFast), instance("b", hangFast),
				instance("c", hangFast));
		awaitConnected(fleet.toArray(ConfigurableApplicationContext[]::new));
		AtomicInteger othersHalfOpen = new AtomicInteger();
		fleet.subList(1, 3).forEach((instance) -> breaker(instance).getEventPublisher().onStateTransition((event) -> {
			if (event.getStateTransition().getToState() == CircuitBreaker.State.HALF_OPEN) {
				othersHalfOpen.incrementAndGet();
			}
		}));
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		ask(fleet.get(0));
		ask(fleet.get(0));
		await().atMost(BOUND).until(() -> fleet.stream().allMatch((i) -> breaker(i).getState() == CircuitBreaker.State.OPEN));
		// the primary now hangs past the attempt timeout: each probe of it takes 700 ms to fail
		primary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("late", "stop")).withFixedDelay(3000)));

		long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
		while (System.nanoTime() < end) {
			fleet.forEach(this::ask);
		}

		assertThat(othersHalfOpen).as("probes by instances that did not open the breaker").hasValue(0);
		assertThat(fleet(fleet.get(1)).appliedCounts().getOrDefault("primary|probing", 0L)).isPositive();
	}

	@Test
	void aMalformedOrFarFutureValueInRedisIsNotTrustedBlindly(CapturedOutput output) throws Exception {
		String key = this.keyPrefix + ":{fleet}:primary:";
		redis.command("SET", key + "switch", "garbage|1|x");
		redis.command("SET", key + "breaker", "1|5|mallory|open", "PX", Long.toString(Duration.ofDays(10).toMillis()));
		redis.command("SET", this.keyPrefix + ":{fleet}:version", "5");

		// a fixed 1 s open, so the cap is the local maximum: max-retry-after (3 s here)
		ConfigurableApplicationContext a = instance("a",
				"resilience4j.circuitbreaker.configs.resilient-ai.enable-exponential-backoff=false");
		awaitConnected(a);
		await().atMost(BOUND).until(() -> breaker(a).getState() == CircuitBreaker.State.OPEN);

		assertThat(provider(a).isEnabled()).isTrue();
		assertThat(output.getOut()).contains("Ignoring a malformed fleet key of provider 'primary'")
			.doesNotContain("garbage");
		// capped by the local maximum (max-retry-after, 3s here) plus the recovery jitter (500ms)
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
			ask(a);
			return breaker(a).getState() != CircuitBreaker.State.OPEN;
		});
	}

}
