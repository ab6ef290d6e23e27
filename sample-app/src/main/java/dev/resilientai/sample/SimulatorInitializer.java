package dev.resilientai.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

/**
 * Starts the {@link ProviderSimulator} and points the three Spring AI models at it, unless
 * the {@code real} profile is active or {@code sample.simulator.enabled} is false.
 */
public class SimulatorInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		ConfigurableEnvironment environment = context.getEnvironment();
		if (environment.acceptsProfiles(Profiles.of("real"))
				|| !environment.getProperty("sample.simulator.enabled", Boolean.class, true)) {
			return;
		}
		ProviderSimulator simulator;
		try {
			simulator = ProviderSimulator.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the provider simulator", ex);
		}
		environment.getPropertySources()
			.addLast(new MapPropertySource("providerSimulator",
					Map.of("spring.ai.openai.base-url", simulator.baseUrl() + "/v1", "spring.ai.openai.api-key",
							"simulator", "spring.ai.anthropic.base-url", simulator.baseUrl(),
							"spring.ai.anthropic.api-key", "simulator", "spring.ai.ollama.base-url",
							simulator.baseUrl())));
		context.getBeanFactory().registerSingleton("providerSimulator", simulator);
		context.addApplicationListener((event) -> {
			if (event instanceof ContextClosedEvent) {
				simulator.close();
			}
		});
	}

}
