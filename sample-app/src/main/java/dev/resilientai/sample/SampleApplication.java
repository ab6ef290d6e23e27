package dev.resilientai.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The resilient-ai showcase. By default it talks to an embedded provider simulator, so it runs
 * offline with no API key; the {@code real} profile talks to real providers.
 */
@SpringBootApplication
public class SampleApplication {

	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

}
