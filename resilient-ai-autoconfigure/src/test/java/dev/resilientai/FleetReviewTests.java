package dev.resilientai;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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

import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review of fleet sharing (issue 15, contract item 13): each test here shows a defect and
 * FAILS against the implementation it was written for. Same approach as
 * {@link FleetOverRedisTests}: a real {@code redis-server} on a free loopback port, two or
 * three application contexts in one JVM in front of the same WireMock providers. Where one
 * instance alone must lose Redis (a network partition), it reaches Redis through a
 * {@link CuttableProxy} that the test cuts and heals.
 */
@EnabledIf("dev.resilientai.support.RedisServer#testsRun")
@ExtendWith(OutputCaptureExtension.class)
class FleetReviewTests extends FleetTestSupport {

	// ---------------------------------------------------------------------------------
	// Stale state republished

	/**
	 * Expected: once B's operator lifts the kill switch that A set, and A has applied that
	 * (A is enabled again), a Redis restart does not bring the kill switch back: the last
	 * decision in the fleet was "enable". Why it fails: applying B's ENABLED on A leaves A's
	 * own DISABLED in {@code view.local}, and on the epoch change {@code republishLocal()}
	 * marks it pending again; A republishes DISABLED and every instance takes the provider
	 * out of rotation, against the operator's last word.
	 */
	@Test
	void aKillSwitchLiftedOnAnotherInstanceIsNotReinstatedWhenRedisRestarts() throws Exception {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		endpoint(b).update("primary", "enable");
		await().atMost(BOUND).until(() -> provider(a).isEnabled());

		redis.restart();
		awaitConnected(a, b);
		Thread.sleep(1500);

		assertThat(provider(b).isEnabled()).as("primary on b, enabled by b's operator").isTrue();
		assertThat(provider(a).isEnabled()).as("primary on a, enabled by b's operator").isTrue();
	}

	/**
	 * Expected: A is cut off from Redis (a partition of A alone) after disabling a provider;
	 * meanwhile B's operator enables it again. When A's link heals, the fleet keeps B's later
	 * decision (and A learns it). Why it fails: on resumption {@code refresh()} calls
	 * {@code republishLocal()}, which republishes A's DISABLED without asking whether the
	 * fleet has moved on (the ENABLED deleted the key, leaving no version to compare), so A's
	 * stale kill switch overrides B's newer enable on every instance.
	 */
	@Test
	void aChangeMadeWhileAnInstanceWasCutOffIsNotUndoneWhenItReconnects() throws Exception {
		CuttableProxy link = proxy(redis.getPort());
		ConfigurableApplicationContext a = instance("a", link.port());
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());

		link.cut();
		await().atMost(Duration.ofSeconds(5)).until(() -> !fleet(a).isConnected());
		endpoint(b).update("primary", "enable");
		link.heal();
		await().atMost(Duration.ofSeconds(10)).until(() -> fleet(a).isConnected());
		Thread.sleep(1500);

		assertThat(provider(b).isEnabled()).as("primary on b, enabled by b's operator after a's disable").isTrue();
		assertThat(provider(a).isEnabled()).as("primary on a, once it is back in the fleet").isTrue();
	}

	/**
	 * Expected: a probe success B made while cut off from Redis does not lift a forced open
	 * that A's operator set afterwards: the fleet ends FORCED_OPEN everywhere. Why it fails:
	 * B's RECOVERED stays pending through the partition; on resumption {@code refresh()}
	 * first applies A's newer FORCED_OPEN from the snapshot, then {@code flush()} publishes the
	 * stale RECOVERED anyway, whose script DELetes the breaker key; every instance whose forced
	 * open came from the fleet then closes in {@code cleared()}. Only A stays forced open.
	 */
	@Test
	void aProbeResultHeldDuringAPartitionDoesNotLiftAForcedOpenMadeMeanwhile() throws Exception {
		CuttableProxy link = proxy(redis.getPort());
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b", link.port());
		ConfigurableApplicationContext c = instance("c");
		awaitConnected(a, b, c);
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		ask(a);
		ask(a);
		await().atMost(BOUND).until(() -> breaker(b).getState() == CircuitBreaker.State.OPEN
				&& breaker(c).getState() == CircuitBreaker.State.OPEN);

		link.cut();
		await().atMost(Duration.ofSeconds(5)).until(() -> !fleet(b).isConnected());
		primary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from primary", "stop"))));
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
			ask(b);
			return breaker(b).getState() == CircuitBreaker.State.CLOSED;
		});
		endpoint(a).update("primary", "open");
		await().atMost(BOUND).until(() -> breaker(c).getState() == CircuitBreaker.State.FORCED_OPEN);

		link.heal();
		await().atMost(Duration.ofSeconds(10)).until(() -> fleet(b).isConnected());
		Thread.sleep(1500);

		assertThat(breaker(a).getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);
		assertThat(breaker(c).getState()).as("c, after a's operator forced the breaker open")
			.isEqualTo(CircuitBreaker.State.FORCED_OPEN);
		assertThat(breaker(b).getState()).as("b, after a's operator forced the breaker open")
			.isEqualTo(CircuitBreaker.State.FORCED_OPEN);
	}

	// ---------------------------------------------------------------------------------
	// State lost or ignored across Redis restarts and key expiry

	/**
	 * Expected: "Redis restarted → every instance goes on with its local state". B holds a
	 * kill switch it learned from A (A has since been scaled down); a Redis restart must not
	 * put the killed provider back into rotation on B. Why it fails: after the epoch change
	 * the snapshot has no switch key, and {@code cleared()} treats "key absent" as "the fleet
	 * enabled it" ({@code disabledByFleet}), so B re-enables the provider the operator killed.
	 * (With A alive the same happens on whichever instance re-reads before A republishes: the
	 * provider takes traffic for up to a refresh interval.)
	 */
	@Test
	void aKillSwitchLearnedFromTheFleetIsNotDroppedWhenRedisRestarts() throws Exception {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		a.close();

		redis.restart();
		awaitConnected(b);
		Thread.sleep(1000);

		assertThat(provider(b).isEnabled()).as("primary on b, killed by the operator on a").isFalse();
		assertThat(ask(b)).isEqualTo("from secondary");
	}

	/**
	 * Expected: a Redis that restarts from its last snapshot (RDB persistence is on in
	 * Redis's default configuration; managed Redis restores backups) keeps sharing: a kill
	 * switch set after the restart reaches every instance within the bound. Why it fails: the
	 * snapshot brings back the old epoch together with an older version counter, so no
	 * instance sees an epoch change, and every new change gets a version at or below the
	 * versions instances have already applied for that slot; {@code offer()} drops it (both
	 * the message and the re-read), for as long as the counter stays behind.
	 */
	@Test
	void aRedisRestartFromASnapshotDoesNotSilenceLaterChanges() throws Exception {
		RedisServer snapshotting = RedisServer.start();
		this.resources.add(snapshotting);
		ConfigurableApplicationContext a = instance("a", snapshotting.getPort());
		ConfigurableApplicationContext b = instance("b", snapshotting.getPort());
		awaitConnected(a, b);
		assertThat(snapshotting.command("SAVE")).startsWith("+OK");
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());
		endpoint(a).update("primary", "enable");
		await().atMost(BOUND).until(() -> provider(b).isEnabled());

		snapshotting.restart();
		await().atMost(Duration.ofSeconds(10)).until(() -> fleet(a).isConnected() && fleet(b).isConnected());
		Thread.sleep(700);
		endpoint(a).update("primary", "disable");

		await().atMost(BOUND.plusMillis(700)).until(() -> !provider(b).isEnabled());
	}

	/**
	 * Expected: a kill switch holds on every instance for as long as the instance whose
	 * operator set it still holds it. Why it fails: the switch key is written once with the
	 * state TTL ({@code resilient-ai.fleet.state-ttl}, 24 h by default, 1 s here) and never
	 * set again; when it expires, {@code cleared()} re-enables the provider on every other
	 * instance while the origin stays disabled: after a day the fleet silently splits and
	 * the killed provider takes traffic again.
	 */
	@Test
	void aKillSwitchIsNotLiftedOnOtherInstancesWhileItsOriginStillHoldsIt() throws Exception {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.fleet.state-ttl=1s");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.fleet.state-ttl=1s");
		awaitConnected(a, b);
		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> !provider(b).isEnabled());

		Thread.sleep(2000);

		assertThat(provider(a).isEnabled()).isFalse();
		assertThat(provider(b).isEnabled()).as("primary on b while a still holds its kill switch").isFalse();
	}

	/**
	 * Expected: "a malformed value in Redis is ignored with a WARN, never trusted blindly".
	 * A value whose version lies far beyond the fleet's counter (a stray write, a restored
	 * backup of another Redis) is not trusted, and certainly does not silence the fleet. Why
	 * it fails: {@code fromValue()} checks only that the version is positive, and
	 * {@code offer()} stores it as the slot's known version on every instance; every later
	 * legitimate change of that slot gets a smaller version from INCR and is dropped, until
	 * the counter catches up (here: never) or the epoch changes. The read script returns the
	 * counter, and versions above it are rejected as malformed.
	 */
	@Test
	void aFarFutureVersionInRedisDoesNotSilenceLaterChanges(CapturedOutput output) throws Exception {
		redis.command("SET", this.keyPrefix + ":{fleet}:primary:switch", "1|999999999999|mallory|disabled", "PX",
				"4000");
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		Thread.sleep(700);

		// a version beyond the fleet's counter is not trusted: ignored, with a WARN
		assertThat(provider(a).isEnabled()).isTrue();
		assertThat(provider(b).isEnabled()).isTrue();
		assertThat(output.getOut()).contains("Ignoring a malformed fleet key of provider 'primary'");

		endpoint(a).update("primary", "disable");

		await().atMost(BOUND.plusSeconds(1)).until(() -> !provider(b).isEnabled());
	}

	// ---------------------------------------------------------------------------------
	// Recovery without a herd

	/**
	 * Expected: "when a shared open ends, not every instance probes at once". With a hung
	 * provider (the issue's own second outage kind) the opener's probe takes up to the attempt
	 * timeout (2 s here); while it is in flight no other instance probes. Why it fails: the
	 * only protection is the recovery jitter (500 ms here, 2 s by default) added to remote
	 * opens; it helps only when a probe concludes within the jitter. Here B and C leave OPEN
	 * while A's probe hangs, and all three instances send a request to the hung provider, each
	 * holding a caller for the attempt timeout. One probe per fleet needs a short probe lease
	 * in Redis (or a published "probing" event that extends the others' opens).
	 */
	@Test
	void whileTheOpenersProbeHangsNoOtherInstanceProbes() throws Exception {
		List<ConfigurableApplicationContext> fleet = List.of(instance("a"), instance("b"), instance("c"));
		awaitConnected(fleet.toArray(ConfigurableApplicationContext[]::new));
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		ask(fleet.get(0));
		ask(fleet.get(0));
		long opened = System.nanoTime();
		await().atMost(BOUND)
			.until(() -> fleet.stream().allMatch((i) -> breaker(i).getState() == CircuitBreaker.State.OPEN));
		primary.stubFor(openAi()
			.willReturn(jsonResponse(200, openAiCompletion("too late", "stop")).withFixedDelay(5_000)));
		primary.resetRequests();
		AtomicBoolean asking = new AtomicBoolean(true);
		List<Thread> callers = new ArrayList<>();
		for (ConfigurableApplicationContext instance : fleet) {
			Thread caller = new Thread(() -> {
				while (asking.get()) {
					try {
						ask(instance);
						Thread.sleep(30);
					}
					catch (Exception ex) {
						// counted through the stub's requests only
					}
				}
			});
			caller.setDaemon(true);
			caller.start();
			callers.add(caller);
		}

		// a's open ends 1 s after it opened, its probe hangs until 3 s: look at 2.7 s
		Thread.sleep(Math.max(0, Duration.ofMillis(2700).minusNanos(System.nanoTime() - opened).toMillis()));
		int probes = openAiRequests(primary);
		asking.set(false);
		for (Thread caller : callers) {
			caller.join(5000);
		}

		assertThat(probes).as("requests to the hung primary while the opener's probe is in flight").isEqualTo(1);
	}

	/**
	 * Expected: remote opens are capped by the local maximum of a breaker open, so a shared
	 * open lasts at least as long on the others as on the opener and the opener probes first.
	 * Why it fails: {@code FleetSync.capped()} caps every remote duration, breaker opens
	 * included, at {@code resilient-ai.failover.max-retry-after} (the Retry-After cap, see
	 * ResilientAiFleetAutoConfiguration: {@code maxSharedDuration}). With a
	 * wait-duration-in-open-state above it (4 s vs 1 s here; e.g. 10 min vs the default 5 min
	 * in production) every other instance leaves OPEN long before the opener, and probes a
	 * provider the opener still deems dead: the herd the jitter was meant to prevent.
	 */
	@Test
	void aSharedOpenLastsOnEveryInstanceAsLongAsOnTheOpener() throws Exception {
		String[] slowRecovery = { "resilience4j.circuitbreaker.configs.resilient-ai.wait-duration-in-open-state=4s",
				"resilient-ai.failover.max-retry-after=1s" };
		ConfigurableApplicationContext a = instance("a", slowRecovery);
		ConfigurableApplicationContext b = instance("b", slowRecovery);
		awaitConnected(a, b);
		primary.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		ask(a);
		ask(a);
		await().atMost(BOUND).until(() -> breaker(b).getState() == CircuitBreaker.State.OPEN);
		primary.resetRequests();

		Thread.sleep(2200);
		for (int i = 0; i < 3; i++) {
			ask(a);
			ask(b);
		}

		assertThat(openAiRequests(primary)).as("probes sent 2.2 s into a 4 s open").isZero();
	}

	// ---------------------------------------------------------------------------------
	// Entry paths not shared, or shared wrongly

	/**
	 * Expected: an operator who moves a forced-open breaker to Resilience4j's DISABLED state
	 * (resilience4j's own {@code circuitbreakers} actuator endpoint, on the classpath through
	 * resilience4j-spring-boot4, offers exactly that) ends the forced open on the fleet too.
	 * Why it fails: {@code FleetSync.transition()} publishes only transitions to OPEN,
	 * FORCED_OPEN and CLOSED; FORCED_OPEN → DISABLED (or METRICS_ONLY) is dropped, so every
	 * other instance stays FORCED_OPEN for the state TTL (24 h), and A keeps its stale local
	 * FORCED_OPEN, which it republishes after every outage.
	 */
	@Test
	void leavingAForcedOpenForTheDisabledBreakerStateEndsItOnTheFleet() {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b");
		awaitConnected(a, b);
		endpoint(a).update("primary", "open");
		await().atMost(BOUND).until(() -> breaker(b).getState() == CircuitBreaker.State.FORCED_OPEN);

		breaker(a).transitionToDisabledState();

		await().atMost(BOUND.plusSeconds(1)).until(() -> breaker(b).getState() != CircuitBreaker.State.FORCED_OPEN);
	}

	/**
	 * Expected: an instance that configures a provider off ({@code enabled: false}) keeps it
	 * off when another instance's operator disables and then re-enables that provider: the
	 * round trip restores each instance's own state. Why it fails: applying the remote
	 * DISABLED on an already disabled provider still sets {@code disabledByFleet}, and the
	 * ENABLED that follows calls {@code setEnabled(true)}: B starts routing to a provider its
	 * own configuration took out of rotation (a region or compliance choice, say).
	 */
	@Test
	void aDisableEnableRoundTripElsewhereLeavesAProviderConfiguredOffHereOff() {
		ConfigurableApplicationContext a = instance("a");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.providers.primary.enabled=false");
		awaitConnected(a, b);
		assertThat(provider(b).isEnabled()).isFalse();

		endpoint(a).update("primary", "disable");
		await().atMost(BOUND).until(() -> fleet(b).appliedCounts().containsKey("primary|disabled"));
		endpoint(a).update("primary", "enable");
		await().atMost(BOUND).until(() -> fleet(b).appliedCounts().containsKey("primary|enabled"));

		assertThat(provider(b).isEnabled()).as("primary on b, configured off").isFalse();
		assertThat(ask(b)).isEqualTo("from secondary");
	}

	/**
	 * Expected: instances that an operator gives the same {@code resilient-ai.fleet.instance-id}
	 * (one application.yml for every replica, or a fixed container host name) still share, or
	 * the clash is reported. Why it fails: {@code received()} and {@code offer()} drop every
	 * event whose instance id equals this instance's, so such instances silently ignore each
	 * other: fleet sharing is off without a word. Self-recognition should use a per-process
	 * random token, not the configurable display id.
	 */
	@Test
	void twoInstancesGivenTheSameInstanceIdStillShare() {
		ConfigurableApplicationContext a = instance("web");
		ConfigurableApplicationContext b = instance("web");
		awaitConnected(a, b);

		endpoint(a).update("primary", "disable");

		await().atMost(BOUND.plusSeconds(1)).until(() -> !provider(b).isEnabled());
	}

	/**
	 * Expected: every provider the starter accepts is shared. ProviderFactory accepts any
	 * name matching {@code [A-Za-z0-9][A-Za-z0-9_.-]*}, of any length; FleetEvent.NAME allows
	 * at most 64 characters. Why it fails: A publishes the kill switch of a provider with a
	 * 70-character name, every other instance rejects the message and the key as "malformed"
	 * (a misleading WARN) and the provider is never shared. Either the name limit is checked
	 * at startup or the wire format takes the names the starter takes.
	 */
	@Test
	void aProviderWithALongNameIsShared(CapturedOutput output) {
		String name = "p".repeat(70);
		String[] third = { "resilient-ai.providers." + name + ".type=openai",
				"resilient-ai.providers." + name + ".priority=3",
				"resilient-ai.providers." + name + ".base-url=" + ProviderStubs.loopbackUrl(secondary) + "/v1",
				"resilient-ai.providers." + name + ".api-key=sk-test",
				"resilient-ai.providers." + name + ".model=gpt-4o-mini" };
		ConfigurableApplicationContext a = instance("a", third);
		ConfigurableApplicationContext b = instance("b", third);
		awaitConnected(a, b);

		endpoint(a).update(name, "disable");

		await().atMost(BOUND.plusSeconds(1)).until(() -> !provider(b, name).isEnabled());
		assertThat(output.getOut()).doesNotContain("Ignoring a malformed fleet");
	}

	// ---------------------------------------------------------------------------------
	// Redis trouble

	/**
	 * Expected: "logs one WARN per outage (not per request), counts it in a metric"; a
	 * malformed value in Redis "is ignored with a WARN". Here the version counter holds a
	 * non-number (a malformed value; the same happens whenever writes fail and reads succeed).
	 * Why it fails: every publish fails, and each refresh's successful read calls
	 * {@code connected()} ("Fleet sharing resumed", republish), whose flush fails again and
	 * calls {@code outage()}: a WARN, an INFO and one more outage in the metric every refresh
	 * interval, for as long as the value stays there.
	 */
	@Test
	void aBrokenVersionCounterLogsOneWarnNotOnePerRefresh(CapturedOutput output) throws Exception {
		redis.command("SET", this.keyPrefix + ":{fleet}:version", "not-a-number");
		ConfigurableApplicationContext a = instance("a");
		awaitConnected(a);

		endpoint(a).update("primary", "disable");
		Thread.sleep(3000);

		assertThat(countOccurrences(output.getOut(), "Fleet sharing paused")).as("WARNs in 3 s").isLessThanOrEqualTo(1);
		assertThat(fleet(a).outages()).as("outages counted in 3 s").isLessThanOrEqualTo(1);
	}

	/**
	 * Expected: a stalled Redis (a full disk, a long fork, a paused VM: here SIGSTOP) is
	 * "Redis trouble" like an unreachable one: the instance shows it in health and in the
	 * {@code resilientai.fleet.connected} gauge within a few refresh intervals. Why it fails:
	 * FleetSync has no deadline of its own; its commands wait for Spring Boot's
	 * {@code spring.data.redis.timeout}, which is unset by default (Lettuce's 60 s), so for a
	 * minute health says {@code redis: connected} while nothing is shared. FleetSync should
	 * bound its own round trips (or the docs and a startup WARN should require a short
	 * command timeout).
	 */
	@Test
	void aStalledRedisIsReportedWithinAFewRefreshIntervals() throws Exception {
		RedisServer stalling = RedisServer.start();
		this.resources.add(stalling);
		ConfigurableApplicationContext a = instance("a", stalling.getPort(), "spring.data.redis.timeout=60s");
		awaitConnected(a);
		String pid = stalling.command("INFO", "server").replaceAll("(?s).*process_id:(\\d+).*", "$1");
		new ProcessBuilder("kill", "-STOP", pid).start().waitFor();
		boolean reported;
		try {
			Thread.sleep(3000);
			reported = !fleet(a).isConnected();
		}
		finally {
			new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
		}

		assertThat(reported).as("Redis stalled for 3 s (refresh interval 300 ms) shown as unreachable").isTrue();
	}

	/**
	 * Expected: closing an application context is not a Redis outage: no "Fleet sharing
	 * paused" WARN, no outage counted. Why it fails: {@code stop()} calls
	 * {@code shutdownNow()}, which interrupts the fleet thread in the middle of a Redis
	 * command; Lettuce turns the interrupt into a RedisSystemException and
	 * {@code refresh()}/{@code flush()} report it through {@code outage()} (which does not
	 * check {@code running}). How often depends on how much of the refresh interval a
	 * round trip takes (2 ms interval here to make it near certain; with the default 1 s and
	 * a 50 ms round trip, about one shutdown in twenty): a spurious WARN that paging rules on
	 * WARN lines pick up at every deploy.
	 */
	@Test
	void closingAnInstanceIsNotReportedAsARedisOutage(CapturedOutput output) throws Exception {
		for (int i = 0; i < 10; i++) {
			ConfigurableApplicationContext a = instance("a" + i, "resilient-ai.fleet.refresh-interval=2ms");
			awaitConnected(a);
			Thread.sleep(100);
			a.close();
		}

		assertThat(countOccurrences(output.getOut(), "Fleet sharing paused")).as("WARNs at shutdown").isZero();
	}

	/**
	 * Expected: the endpoint's {@code stateSource} says {@code local} once nothing the fleet
	 * shared is in effect any more (here: a remote Retry-After rest of 1 s has ended). Why it
	 * fails: {@code apply()} sets the provider's fleet origin, and only a local change
	 * ({@code local()}) ever clears it: the endpoint and health keep saying {@code fleet:a}
	 * for a provider whose state is entirely B's own, indefinitely. (The origin is also one
	 * value per provider for three independent slots, and {@code cleared()} writes the
	 * pseudo-instance {@code fleet}.)
	 */
	@Test
	void theStateSourceIsLocalAgainWhenTheSharedStateHasEnded() throws Exception {
		ConfigurableApplicationContext a = instance("a", "resilient-ai.failover.attempt-timeout=10s");
		ConfigurableApplicationContext b = instance("b", "resilient-ai.failover.attempt-timeout=10s");
		awaitConnected(a, b);
		assertThat(ask(a)).isEqualTo("from primary");
		primary.stubFor(openAi().willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse()
			.withStatus(429)
			.withHeader("Retry-After", "1")
			.withHeader("Content-Type", "application/json")
			.withBody(openAiError("rate_limit_exceeded", "rate_limit_exceeded", "slow down"))));
		assertThat(ask(a)).isEqualTo("from secondary");
		await().atMost(BOUND).until(() -> provider(b).getRateLimitedUntil() != null);
		assertThat(endpoint(b).provider("primary").stateSource()).startsWith("fleet:a-");

		Thread.sleep(1500);

		assertThat(provider(b).isRateLimited(java.time.Clock.systemUTC())).isFalse();
		assertThat(endpoint(b).provider("primary").stateSource()).as("b's primary, rest over").isEqualTo("local");
	}

	// ---------------------------------------------------------------------------------
	// Helpers (as in FleetOverRedisTests)

}
