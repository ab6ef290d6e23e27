package dev.resilientai.benchmarks.harness;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.resilientai.AllProvidersFailedException;
import dev.resilientai.ErrorKind;
import dev.resilientai.ProviderAttempt;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.logging.ProviderEventLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An attempt cut off by its timeout is logged as a timeout (found in the footprint run, where
 * a cold first call ran past its 1 s attempt timeout and was logged as {@code connection}):
 * it is a {@code TIMEOUT} in the request's trace ({@link AllProvidersFailedException#getAttempts()},
 * metrics), and {@code ProviderEventLogger} now logs the failover loop's verdict
 * ({@code Classification.recording()}) rather than re-classifying the breaker event's
 * throwable, which is only the OpenAI SDK's I/O failure of the OkHttp call the guard
 * cancelled ({@code OpenAIIoException} caused by {@code IOException: Canceled}, which
 * {@code ErrorClassifier} calls a connection failure). Two providers over the OpenAI SDK with
 * the starter's {@code OkHttpAttemptInterceptor}, as the outage harness builds them: the
 * primary hangs, the secondary is down.
 */
@ExtendWith(OutputCaptureExtension.class)
class AttemptTimeoutLogTests {

	@Test
	void anAttemptCutOffByItsTimeoutIsATimeoutInTheTraceAndInTheBreakersThrowable(CapturedOutput output)
			throws Exception {
		try (StubProvider primary = new StubProvider("primary", 5, 2000);
				StubProvider secondary = new StubProvider("secondary", 5, 2000)) {
			primary.mode(StubProvider.Mode.HANG);
			secondary.mode(StubProvider.Mode.OUTAGE);
			FailoverExecutor executor = OutageHarness.resilientExecutor(primary, secondary, null);
			List<Throwable> recorded = new CopyOnWriteArrayList<>();
			executor.getProviders()
				.get(0)
				.getCircuitBreaker()
				.getEventPublisher()
				.onError((event) -> recorded.add(event.getThrowable()));
			new ProviderEventLogger(executor.getProviders(), new ErrorClassifier(), Clock.systemUTC());
			try {
				FailoverChatModel model = new FailoverChatModel(executor);
				assertThatExceptionOfType(AllProvidersFailedException.class)
					.isThrownBy(() -> model.call(new Prompt("hi")))
					.satisfies((ex) -> assertThat(ex.getAttempts()).first()
						.extracting(ProviderAttempt::errorKind)
						.isEqualTo(ErrorKind.TIMEOUT));
				// the breaker hears what the client threw (users' record-exceptions and
				// ignore-exceptions judge it), and the logger the loop's verdict
				assertThat(recorded).hasSize(1);
				// before the fix the line read "Provider 'primary' failed (connection); ..."
				assertThat(output).contains("Provider 'primary' failed (timeout)");
			}
			finally {
				executor.close();
			}
		}
	}

}
