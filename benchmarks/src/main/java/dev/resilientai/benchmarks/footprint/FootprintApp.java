package dev.resilientai.benchmarks.footprint;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.resilientai.ResilientChatClient;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The footprint harness's app: a Spring Boot web application (Spring MVC on Tomcat, Actuator,
 * Spring AI's OpenAI starter, the resilient-ai starter) with one chat endpoint, as small as an
 * application that calls a model over HTTP gets. Started with {@code --footprint.starter=false}
 * it excludes every auto-configuration of the resilient-ai starter and of the Resilience4j
 * Boot starter it brings, and the endpoint calls Spring AI's plain {@code ChatClient}; with the
 * starter it calls {@code ResilientChatClient}. {@code GET /footprint?gc=true} reports the
 * JVM's memory after a full collection.
 */
@SpringBootApplication
public class FootprintApp {

	/** The argument that excludes the starter's auto-configuration. */
	public static final String STARTER_OFF = "--footprint.starter=false";

	public static void main(String[] args) throws IOException {
		if (Arrays.asList(args).contains(STARTER_OFF)) {
			System.setProperty("spring.autoconfigure.exclude", String.join(",", starterAutoConfigurations()));
		}
		SpringApplication.run(FootprintApp.class, args);
	}

	/**
	 * The auto-configurations that come with the starter: resilient-ai's own and those of
	 * {@code resilience4j-spring-boot4}, read from the classpath's
	 * {@code AutoConfiguration.imports}.
	 * @return their class names
	 * @throws IOException on trouble reading the classpath
	 */
	static List<String> starterAutoConfigurations() throws IOException {
		List<String> names = new ArrayList<>();
		Enumeration<URL> imports = FootprintApp.class.getClassLoader()
			.getResources("META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports");
		while (imports.hasMoreElements()) {
			try (BufferedReader reader = new BufferedReader(
					new InputStreamReader(imports.nextElement().openStream(), StandardCharsets.UTF_8))) {
				reader.lines()
					.map(String::trim)
					.filter((line) -> line.startsWith("dev.resilientai.") || line.startsWith("io.github.resilience4j."))
					.forEach(names::add);
			}
		}
		return names;
	}

	@RestController
	static class ChatEndpoint {

		private final @Nullable ChatClient plain;

		private final @Nullable ResilientChatClient resilient;

		ChatEndpoint(ObjectProvider<ResilientChatClient> resilient, ChatClient.Builder builder) {
			this.resilient = resilient.getIfAvailable();
			this.plain = (this.resilient != null) ? null : builder.build();
		}

		@PostMapping("/chat")
		@Nullable String chat(@RequestBody String message) {
			ResilientChatClient resilient = this.resilient;
			ChatClient plain = this.plain;
			if (resilient != null) {
				return resilient.prompt().user(message).call().content();
			}
			return (plain != null) ? plain.prompt().user(message).call().content() : null;
		}

		@GetMapping("/footprint")
		Map<String, Object> footprint(@RequestParam(defaultValue = "false") boolean gc) throws InterruptedException {
			if (gc) {
				for (int i = 0; i < 3; i++) {
					System.gc();
					Thread.sleep(100);
				}
			}
			Map<String, Object> figures = new LinkedHashMap<>();
			MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
			MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
			figures.put("starter", this.resilient != null);
			figures.put("heapUsed", heap.getUsed());
			figures.put("heapCommitted", heap.getCommitted());
			figures.put("nonHeapUsed", nonHeap.getUsed());
			figures.put("nonHeapCommitted", nonHeap.getCommitted());
			for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
				if (pool.getName().equals("Metaspace")) {
					figures.put("metaspaceUsed", pool.getUsage().getUsed());
				}
			}
			figures.put("loadedClasses", ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
			figures.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
			return figures;
		}

	}

}
