package dev.resilientai.support;

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
import java.util.concurrent.atomic.AtomicInteger;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.ResilientChatClient;
import dev.resilientai.actuate.ResilientAiEndpoint;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.fleet.FleetSync;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Base of the fleet tests: a real {@code redis-server} on a free loopback port (started once
 * per class, restarted after a test that stopped it), and application contexts started in
 * one JVM as instances of the same application, each with its own breakers, in front of the
 * same two WireMock providers in OpenAI's wire format (the typed {@code openai} provider):
 * {@code primary} first, {@code secondary} second. Each test has its own key prefix.
 */
public abstract class FleetTestSupport {

	/** The propagation bound promised (about a second); pub/sub usually takes milliseconds. */
	protected static final Duration BOUND = Duration.ofSeconds(1);

	protected static final AtomicInteger prefixes = new AtomicInteger();

	@RegisterExtension
	protected static WireMockExtension primary = ProviderStubs.server();

	@RegisterExtension
	protected static WireMockExtension secondary = ProviderStubs.server();

	protected static RedisServer redis;

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	protected final List<AutoCloseable> resources = new ArrayList<>();

	protected String keyPrefix;

	@BeforeAll
	static void startRedis() throws Exception {
		redis = RedisServer.start();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@BeforeEach
	void healthyProviders() {
		this.keyPrefix = "fleet-test-" + prefixes.incrementAndGet();
		primary.resetAll();
		secondary.resetAll();
		primary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from primary", "stop"))));
		secondary.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion("from secondary", "stop"))));
	}

	@AfterEach
	void stopInstances() throws Exception {
		this.instances.forEach(ConfigurableApplicationContext::close);
		for (AutoCloseable resource : this.resources) {
			resource.close();
		}
		if (!redisUp()) {
			redis.restart();
		}
	}

	protected ConfigurableApplicationContext instance(String id, String... extra) {
		return instance(id, redis.getPort(), extra);
	}

	protected ConfigurableApplicationContext instance(String id, int redisPort, String... extra) {
		Map<String, String> properties = new LinkedHashMap<>();
		for (String property : List.of("spring.main.web-application-type=none", "spring.ai.openai.api-key=sk-test",
				"spring.ai.anthropic.api-key=sk-ant-test", "spring.main.banner-mode=off",
				"management.health.redis.enabled=false", "spring.data.redis.host=127.0.0.1",
				"spring.data.redis.port=" + redisPort, "spring.data.redis.timeout=500ms",
				"spring.data.redis.connect-timeout=500ms", "resilient-ai.fleet.enabled=true",
				"resilient-ai.fleet.instance-id=" + id, "resilient-ai.fleet.key-prefix=" + this.keyPrefix,
				"resilient-ai.fleet.refresh-interval=300ms", "resilient-ai.fleet.recovery-jitter=500ms",
				"resilient-ai.failover.max-retry-after=3s", "resilient-ai.failover.attempt-timeout=2s",
				"resilient-ai.providers.primary.type=openai", "resilient-ai.providers.primary.priority=1",
				"resilient-ai.providers.secondary.priority=2",
				"resilient-ai.providers.primary.base-url=" + ProviderStubs.loopbackUrl(primary) + "/v1",
				"resilient-ai.providers.primary.api-key=sk-test", "resilient-ai.providers.primary.model=gpt-4o-mini",
				"resilient-ai.providers.secondary.type=openai",
				"resilient-ai.providers.secondary.base-url=" + ProviderStubs.loopbackUrl(secondary) + "/v1",
				"resilient-ai.providers.secondary.api-key=sk-test",
				"resilient-ai.providers.secondary.model=gpt-4o-mini",
				"resilience4j.circuitbreaker.configs.resilient-ai.sliding-window-size=4",
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=2",
				"resilience4j.circuitbreaker.configs.resilient-ai.wait-duration-in-open-state=1s",
				"resilience4j.circuitbreaker.configs.resilient-ai.permitted-number-of-calls-in-half-open-state=1",
				"management.endpoints.access.default=unrestricted")) {
			put(properties, property);
		}
		for (String property : extra) {
			put(properties, property);
		}
		ConfigurableApplicationContext context = new SpringApplicationBuilder(FleetApplication.class)
			.properties(properties.entrySet().stream().map((e) -> e.getKey() + "=" + e.getValue()).toArray(String[]::new))
			.run();
		this.instances.add(context);
		return context;
	}

	protected static void put(Map<String, String> properties, String property) {
		int equals = property.indexOf('=');
		properties.put(property.substring(0, equals), property.substring(equals + 1));
	}

	protected CuttableProxy proxy(int targetPort) throws IOException {
		CuttableProxy proxy = new CuttableProxy(targetPort);
		this.resources.add(proxy);
		return proxy;
	}

	protected String ask(ConfigurableApplicationContext instance) {
		ChatResponse response = instance.getBean(ResilientChatClient.class).prompt("hi").call().chatResponse();
		return response.getResult().getOutput().getText();
	}

	protected static void awaitConnected(ConfigurableApplicationContext... instances) {
		await().atMost(Duration.ofSeconds(10)).until(() -> java.util.Arrays.stream(instances)
			.allMatch((instance) -> fleet(instance).isConnected() && fleet(instance).status().lastSync() != null));
	}

	protected static FleetSync fleet(ConfigurableApplicationContext instance) {
		return instance.getBean(FleetSync.class);
	}

	protected static Provider provider(ConfigurableApplicationContext instance) {
		return provider(instance, "primary");
	}

	protected static Provider provider(ConfigurableApplicationContext instance, String name) {
		return instance.getBean(FailoverExecutor.class)
			.getProviders()
			.stream()
			.filter((provider) -> provider.getName().equals(name))
			.findFirst()
			.orElseThrow();
	}

	protected static CircuitBreaker breaker(ConfigurableApplicationContext instance) {
		return provider(instance).getCircuitBreaker();
	}

	protected static ResilientAiEndpoint endpoint(ConfigurableApplicationContext instance) {
		return new ResilientAiEndpoint(instance.getBean(FailoverExecutor.class), java.time.Clock.systemUTC(),
				fleet(instance));
	}

	protected static boolean redisUp() {
		try {
			return redis.command("PING").startsWith("+PONG");
		}
		catch (Exception ex) {
			return false;
		}
	}

	protected static int countOccurrences(String text, String part) {
		int count = 0;
		for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
			count++;
		}
		return count;
	}

	@SuppressWarnings("unchecked")
	protected static java.util.Map<String, Object> health(ConfigurableApplicationContext instance) {
		var contributor = (org.springframework.boot.health.contributor.CompositeHealthContributor) instance
			.getBean("resilientAiHealthContributor");
		var fleet = (org.springframework.boot.health.contributor.HealthIndicator) contributor.getContributor("fleet");
		var health = fleet.health();
		assertThat(health.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
		return health.getDetails();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class FleetApplication {

	}

	/**
	 * A TCP proxy in front of Redis for one instance: {@link #cut()} closes its connections
	 * and refuses new ones (that instance alone loses Redis, as in a network partition);
	 * {@link #heal()} listens again on the same port.
	 */
	protected static final class CuttableProxy implements AutoCloseable {

		private final int targetPort;

		private final int port;

		private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

		private volatile ServerSocket server;

		CuttableProxy(int targetPort) throws IOException {
			this.targetPort = targetPort;
			try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
				this.port = probe.getLocalPort();
			}
			heal();
		}

		public int port() {
			return this.port;
		}

		public synchronized void heal() throws IOException {
			ServerSocket listening = new ServerSocket();
			listening.setReuseAddress(true);
			listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port));
			this.server = listening;
			Thread acceptor = new Thread(() -> {
				while (!listening.isClosed()) {
					try {
						Socket client = listening.accept();
						Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.targetPort);
						this.sockets.add(client);
						this.sockets.add(upstream);
						pump(client, upstream);
						pump(upstream, client);
					}
					catch (IOException ex) {
						// closed
					}
				}
			}, "redis-proxy-accept");
			acceptor.setDaemon(true);
			acceptor.start();
		}

		public synchronized void cut() throws IOException {
			this.server.close();
			for (Socket socket : this.sockets) {
				socket.close();
			}
			this.sockets.clear();
		}

		private void pump(Socket from, Socket to) {
			Thread thread = new Thread(() -> {
				byte[] buffer = new byte[8192];
				try (InputStream in = from.getInputStream()) {
					OutputStream out = to.getOutputStream();
					for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
						out.write(buffer, 0, read);
						out.flush();
					}
				}
				catch (IOException ex) {
					// closed
				}
				finally {
					try {
						from.close();
						to.close();
					}
					catch (IOException ex) {
						// closed
					}
				}
			}, "redis-proxy-pump");
			thread.setDaemon(true);
			thread.start();
		}

		@Override
		public void close() throws IOException {
			cut();
		}

	}

}
