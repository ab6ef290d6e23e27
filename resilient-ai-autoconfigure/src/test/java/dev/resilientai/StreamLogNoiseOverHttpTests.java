package dev.resilientai;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.resilientai.support.ProviderStubs;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicError;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollama;
import static dev.resilientai.support.ProviderStubs.ollamaError;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Failed and cancelled streams through the real Spring AI models stay quiet in the log: Spring
 * AI logs every stream error at ERROR with its stack trace in each layer the error passes
 * ({@code MessageAggregator}'s "Aggregation Error" in each model and in each layer of the
 * {@code ChatClient}, Anthropic's "Error processing streaming response"), attempts the
 * failover loop handled and caller errors included: without the starter's default, five
 * failing streams printed 40 stack traces. The default turns {@code MessageAggregator} off
 * (the error still reaches the caller); Anthropic's model logger stays at ERROR, so its own
 * stream error is still written.
 */
@SpringBootTest(classes = StreamLogNoiseOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"resilient-ai.failover.timeout=10s", "resilient-ai.data-classes=public,internal",
				"resilient-ai.default-data-class=internal",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.allowed-data-classes=public,internal",
				// every failing stream tries all three providers: no breaker opens in this test
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000" })
@ExtendWith(OutputCaptureExtension.class)
class StreamLogNoiseOverHttpTests extends ThreeProviderHttpTests {

	private static final int STREAMS = 5;

	@Autowired
	ResilientChatClient chat;

	@Autowired
	org.springframework.core.env.Environment environment;

	@Test
	void anOutageOfFailingStreamsLogsNoStackTracePerStreamAndLayer(CapturedOutput output) {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(529, anthropicError("overloaded_error", "Overloaded"))));
		ollamaServer.stubFor(ollama().willReturn(jsonResponse(503, ollamaError("down"))));
		int before = output.getAll().length();

		for (int i = 0; i < STREAMS; i++) {
			assertThatThrownBy(() -> this.chat.prompt().user("hi").stream().content().blockLast(Duration.ofSeconds(10)))
				.isInstanceOf(AllProvidersFailedException.class);
		}

		String logged = output.getAll().substring(before);
		assertThat(count(logged, "Aggregation Error")).isZero();
		// what is left: Anthropic's model logs its own failed attempt once (its logger also
		// holds useful warnings, so it is not quieted by default; docs/troubleshooting.md)
		assertThat(count(logged, "Error processing streaming response")).isEqualTo(STREAMS);
		assertThat(stackTraces(logged)).as("stack traces logged by %d failed streams", STREAMS).isEqualTo(STREAMS);
	}

	@Test
	void aStreamWithAnUnknownDataClassLogsNoStackTrace(CapturedOutput output) {
		int before = output.getAll().length();

		for (int i = 0; i < STREAMS; i++) {
			assertThatThrownBy(
					() -> this.chat.prompt().dataClass("secret").user("hi").stream().content().blockLast(Duration.ofSeconds(10)))
				.isInstanceOf(UnknownDataClassException.class);
		}

		String logged = output.getAll().substring(before);
		assertThat(count(logged, "Aggregation Error")).isZero();
		assertThat(stackTraces(logged)).isZero();
		assertThat(totalRequests()).isZero();
	}

	@Test
	void aCancelledAnthropicStreamLogsNoError(CapturedOutput output) throws InterruptedException {
		openAiServer.stubFor(openAi().willReturn(jsonResponse(503, openAiError("server_error", null, "down"))));
		anthropicServer.stubFor(anthropic().willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "text/event-stream")
			.withBody(ProviderStubs.anthropicSse("one ", "two ", "three ", "four ", "five ", "six"))
			.withChunkedDribbleDelay(8, 1200)));
		int before = output.getAll().length();

		for (int i = 0; i < 3; i++) {
			String first = this.chat.prompt().user("hi").stream().content().blockFirst(Duration.ofSeconds(10));
			assertThat(first).isNotNull();
		}
		Thread.sleep(1500); // the cancelled streams' readers notice and end

		String logged = output.getAll().substring(before);
		assertThat(count(logged, "Aggregation Error")).isZero();
		// at most Anthropic's own "Error processing streaming response" and Reactor's
		// onErrorDropped, when the SDK's reader fails after the cancel
		assertThat(stackTraces(logged)).isLessThanOrEqualTo(2 * 3);
	}

	@Test
	void theAggregatorLoggerIsOffUnlessTheApplicationSetsIt(CapturedOutput output) {
		assertThat(this.environment.getProperty("logging.level.org.springframework.ai.chat.model.MessageAggregator"))
			.isEqualTo("OFF");
	}

	private static int count(String text, String phrase) {
		int count = 0;
		for (int at = text.indexOf(phrase); at >= 0; at = text.indexOf(phrase, at + 1)) {
			count++;
		}
		return count;
	}

	/** Lines that start a logged stack trace: an exception line followed by an "at" frame. */
	private static int stackTraces(String text) {
		Matcher matcher = Pattern.compile("^[\\w.$]+(?:Exception|Error)(?::[^\\n]*)?\\n\\s+at ", Pattern.MULTILINE)
			.matcher(text);
		int count = 0;
		while (matcher.find()) {
			count++;
		}
		return count;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
