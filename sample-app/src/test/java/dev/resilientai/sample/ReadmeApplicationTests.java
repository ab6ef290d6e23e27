package dev.resilientai.sample;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps README.md honest: builds an application from nothing but the README's snippets and
 * runs it against the {@link ProviderSimulator}.
 * <p>
 * The README marks the snippets this test reads with an HTML comment on the line before
 * their fenced block: {@code <!-- readme-app:dependencies -->} (the Maven dependencies),
 * {@code <!-- readme-app:yaml -->} (the application's configuration),
 * {@code <!-- readme-app:java -->} (each class, compiled here with the test classpath) and
 * {@code <!-- readme-app:local-endpoints -->} (the base URLs of a fake endpoint, in which
 * {@code http://localhost:8089} is replaced with the simulator's address). A snippet that no
 * longer compiles, configuration that no longer starts, a base URL with a wrong path, or a
 * dependency list that misses a starter the YAML needs fails this test.
 */
class ReadmeApplicationTests {

	private static final String FAKE_ENDPOINT = "http://localhost:8089";

	private static final Pattern MARKED_BLOCK = Pattern
		.compile("<!-- readme-app:([a-z-]+) -->\\s*\\n```[a-z]*\\n(.*?)\\n```", Pattern.DOTALL);

	private static ProviderSimulator simulator;

	private static ConfigurableApplicationContext context;

	private static ClassLoader snippets;

	@BeforeAll
	static void startTheReadmeApplication(@TempDir Path classes) throws Exception {
		simulator = ProviderSimulator.start();
		snippets = compile(blocks("java"), classes);
		StandardEnvironment environment = new StandardEnvironment();
		// the README's ${OPENAI_API_KEY} and ${ANTHROPIC_API_KEY}, as the environment would set them;
		// not the sample's own application.yml (spring.config.name), nor its simulator
		environment.getPropertySources()
			.addFirst(new MapPropertySource("keys", Map.of("OPENAI_API_KEY", "sk-readme", "ANTHROPIC_API_KEY",
					"sk-ant-readme", "spring.config.name", "readme-app", "sample.simulator.enabled", "false")));
		environment.getPropertySources()
			.addLast(yaml("readme-local-endpoints",
					single("local-endpoints").replace(FAKE_ENDPOINT, simulator.baseUrl())));
		environment.getPropertySources().addLast(yaml("readme-yaml", single("yaml")));
		context = new SpringApplicationBuilder(ReadmeApplication.class).environment(environment)
			.web(WebApplicationType.NONE)
			.initializers((applicationContext) -> {
				for (String name : List.of("Summarizer", "Triage", "ClinicalNotes")) {
					((GenericApplicationContext) applicationContext).registerBean(name, load(name));
				}
			})
			.run();
	}

	@AfterAll
	static void stop() {
		if (context != null) {
			context.close();
		}
		if (simulator != null) {
			simulator.close();
		}
	}

	@Test
	void theDependencySnippetListsOnlyArtifactsOnTheClasspathAndEveryStarterTheYamlNeeds() {
		String dependencies = single("dependencies");
		List<String> artifactIds = tags(dependencies, "artifactId");
		String yaml = single("yaml");

		assertThat(artifactIds).contains("resilient-ai-starter");
		assertThat(artifactIds).allSatisfy((artifactId) -> assertThat(onClasspath(artifactId))
			.as("%s, listed in the README's dependencies, is on the test classpath", artifactId)
			.isTrue());
		Map<Pattern, String> needs = Map.of(Pattern.compile("chat-model:\\s*openAiChatModel|type:\\s*openai"),
				"spring-ai-starter-model-openai", Pattern.compile("chat-model:\\s*anthropicChatModel|type:\\s*anthropic"),
				"spring-ai-starter-model-anthropic", Pattern.compile("chat-model:\\s*ollamaChatModel|type:\\s*ollama"),
				"spring-ai-starter-model-ollama");
		needs.forEach((use, starter) -> {
			if (use.matcher(yaml).find()) {
				assertThat(artifactIds).as("the YAML's %s needs %s", use, starter).contains(starter);
			}
		});
	}

	@Test
	void aPhiSummaryReachesOnlyTheLocalProvider() throws Exception {
		long openAi = simulator.requests(ProviderSimulator.Kind.OPENAI);
		long anthropic = simulator.requests(ProviderSimulator.Kind.ANTHROPIC);
		long ollama = simulator.requests(ProviderSimulator.Kind.OLLAMA);

		Object summary = invoke("Summarizer", "summarize", "Patient X, 54, hypertension.");

		assertThat(component(summary, "provider")).isEqualTo("local");
		assertThat(component(summary, "attempts")).isEqualTo(1);
		assertThat(component(summary, "text")).isEqualTo("Hello from the simulated ollama provider.");
		assertThat(simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAi);
		assertThat(simulator.requests(ProviderSimulator.Kind.ANTHROPIC)).isEqualTo(anthropic);
		assertThat(simulator.requests(ProviderSimulator.Kind.OLLAMA)).isEqualTo(ollama + 1);
	}

	@Test
	void whenOpenAiIsDownACallAndAStreamFailOverToAnthropic() throws Exception {
		simulator.setMode(ProviderSimulator.Kind.OPENAI, ProviderSimulator.Mode.OUTAGE);
		try {
			long openAi = simulator.requests(ProviderSimulator.Kind.OPENAI);

			Object answer = invoke("Summarizer", "answer", "hi");
			Flux<?> stream = (Flux<?>) invoke("Summarizer", "stream", "hi");
			String streamed = stream.map(String::valueOf).collect(Collectors.joining()).block(Duration.ofSeconds(30));

			assertThat(answer).isEqualTo("Hello from the simulated anthropic provider.");
			assertThat(streamed).isEqualTo("Hello from the simulated anthropic provider.");
			assertThat(simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAi + 2);
		}
		finally {
			simulator.setMode(ProviderSimulator.Kind.OPENAI, ProviderSimulator.Mode.HEALTHY);
		}
	}

	@Test
	void aPiiRequestThroughSpringAisChatClientBuilderNeverReachesOpenAi() throws Exception {
		long openAi = simulator.requests(ProviderSimulator.Kind.OPENAI);

		Object answer = invoke("Triage", "triage", "Jane Doe, jane@example.com, asks for a refund.");

		assertThat(answer).isEqualTo("Hello from the simulated anthropic provider.");
		assertThat(simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAi);
	}

	@Test
	void aMutatedClientWithADefaultClassReachesOnlyProvidersAllowedIt() throws Exception {
		long openAi = simulator.requests(ProviderSimulator.Kind.OPENAI);
		long anthropic = simulator.requests(ProviderSimulator.Kind.ANTHROPIC);

		Object summary = invoke("ClinicalNotes", "summarize", "Patient X, 54, hypertension.");

		assertThat(summary).isEqualTo("Hello from the simulated ollama provider.");
		assertThat(simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAi);
		assertThat(simulator.requests(ProviderSimulator.Kind.ANTHROPIC)).isEqualTo(anthropic);
	}

	private static Object invoke(String bean, String method, String argument) throws Exception {
		Object target = context.getBean(bean);
		Method m = target.getClass().getDeclaredMethod(method, String.class);
		m.setAccessible(true);
		return m.invoke(target, argument);
	}

	private static Object component(Object record, String name) throws Exception {
		Method accessor = record.getClass().getDeclaredMethod(name);
		accessor.setAccessible(true);
		return accessor.invoke(record);
	}

	private static Class<?> load(String name) {
		try {
			return snippets.loadClass(name);
		}
		catch (ClassNotFoundException ex) {
			throw new IllegalStateException("The README has no Java snippet declaring class " + name, ex);
		}
	}

	/**
	 * Compile each Java block into its own source file, named after its top-level class.
	 */
	private static ClassLoader compile(List<String> sources, Path classes) throws IOException {
		Path sourceDir = Files.createDirectories(classes.resolve("src"));
		Path outputDir = Files.createDirectories(classes.resolve("out"));
		List<String> arguments = new ArrayList<>(List.of("-d", outputDir.toString(), "-classpath", classpath(),
				"-proc:none", "-encoding", "UTF-8"));
		Pattern className = Pattern.compile("^(?:public\\s+)?(?:final\\s+)?class\\s+(\\w+)", Pattern.MULTILINE);
		for (String source : sources) {
			Matcher matcher = className.matcher(source);
			assertThat(matcher.find()).as("a README Java snippet declares a class:%n%s", source).isTrue();
			Path file = sourceDir.resolve(matcher.group(1) + ".java");
			Files.writeString(file, source);
			arguments.add(file.toString());
		}
		JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
		java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
		int status = compiler.run(null, null, errors, arguments.toArray(String[]::new));
		assertThat(status).as("the README's Java snippets compile:%n%s", errors.toString(StandardCharsets.UTF_8))
			.isZero();
		return new URLClassLoader(new URL[] { outputDir.toUri().toURL() },
				ReadmeApplicationTests.class.getClassLoader());
	}

	private static String classpath() {
		// Surefire runs tests from a manifest-only jar: its property holds the real classpath
		String surefire = System.getProperty("surefire.test.class.path");
		return (surefire != null && !surefire.isBlank()) ? surefire : System.getProperty("java.class.path");
	}

	private static boolean onClasspath(String artifactId) {
		Pattern jar = Pattern.compile(Pattern.quote(artifactId) + "-\\d[^" + Pattern.quote(File.separator) + "]*\\.jar$");
		String moduleOutput = File.separator + artifactId + File.separator + "target" + File.separator;
		for (String entry : classpath().split(Pattern.quote(File.pathSeparator))) {
			if (jar.matcher(entry).find() || entry.contains(moduleOutput)) {
				return true;
			}
		}
		return false;
	}

	private static PropertySource<?> yaml(String name, String text) {
		try {
			List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(name,
					new ByteArrayResource(text.getBytes(StandardCharsets.UTF_8), name));
			assertThat(sources).as("README block %s holds one YAML document", name).hasSize(1);
			return sources.get(0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static List<String> tags(String xml, String tag) {
		Matcher matcher = Pattern.compile("<" + tag + ">\\s*([^<\\s]+)\\s*</" + tag + ">").matcher(xml);
		Set<String> values = new LinkedHashSet<>();
		while (matcher.find()) {
			values.add(matcher.group(1));
		}
		return List.copyOf(values);
	}

	private static String single(String name) {
		List<String> blocks = blocks(name);
		assertThat(blocks).as("README.md marks exactly one block readme-app:%s", name).hasSize(1);
		return blocks.get(0);
	}

	private static List<String> blocks(String name) {
		Matcher matcher = MARKED_BLOCK.matcher(readme());
		List<String> blocks = new ArrayList<>();
		while (matcher.find()) {
			if (matcher.group(1).equals(name)) {
				blocks.add(matcher.group(2));
			}
		}
		assertThat(blocks).as("README.md marks a block readme-app:%s", name).isNotEmpty();
		return blocks;
	}

	/**
	 * The repository's README.md, found from the module directory Maven runs the tests in.
	 */
	private static String readme() {
		Path directory = Path.of("").toAbsolutePath();
		while (directory != null) {
			Path readme = directory.resolve("README.md");
			if (Files.isRegularFile(readme) && Files.isRegularFile(directory.resolve("sample-app/pom.xml"))) {
				try {
					return Files.readString(readme);
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			}
			directory = directory.getParent();
		}
		throw new IllegalStateException("No README.md above " + Path.of("").toAbsolutePath());
	}

	/**
	 * The README's application: auto-configuration only, the snippets' beans are added above.
	 * Not a {@code @SpringBootConfiguration}, which the sample's own {@code @SpringBootTest}s
	 * would find next to {@code SampleApplication}.
	 */
	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ReadmeApplication {

	}

}
