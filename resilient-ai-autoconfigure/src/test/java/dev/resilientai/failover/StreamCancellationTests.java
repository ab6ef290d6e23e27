package dev.resilientai.failover;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.resilientai.provider.OkHttpAttemptInterceptor;
import dev.resilientai.support.ProviderStubs;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * {@link StreamCancellation} with {@link OkHttpAttemptInterceptor} and a real
 * {@code OkHttpClient}: a tagged call is sent only while its stream attempt runs, and is
 * cancelled with it.
 */
class StreamCancellationTests {

	@RegisterExtension
	static WireMockExtension server = ProviderStubs.server();

	private final OkHttpClient client = new OkHttpClient.Builder().addInterceptor(new OkHttpAttemptInterceptor())
		.build();

	@BeforeEach
	void stub() {
		server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
	}

	@Test
	void whenAStreamIsCancelledBeforeItsCallIsDispatchedThenTheRequestIsNeverSent() {
		StreamCancellation cancellation = StreamCancellation.open();
		cancellation.cancel();

		assertThatIOException().isThrownBy(() -> this.client.newCall(tagged(cancellation.tag())).execute())
			.withMessage("Canceled");
		assertThat(server.getAllServeEvents()).isEmpty();
	}

	@Test
	void whenAStreamIsClosedBeforeItsCallIsDispatchedThenTheRequestIsNeverSent() {
		StreamCancellation cancellation = StreamCancellation.open();
		cancellation.close();

		assertThatIOException().isThrownBy(() -> this.client.newCall(tagged(cancellation.tag())).execute());
		assertThat(server.getAllServeEvents()).isEmpty();
	}

	@Test
	void whenAStreamIsCancelledWhileItsCallWaitsInOkHttpsQueueThenTheRequestIsNeverSent() throws Exception {
		server.stubFor(any(anyUrl()).atPriority(1)
			.withHeader("X-Slow", com.github.tomakehurst.wiremock.client.WireMock.equalTo("yes"))
			.willReturn(aResponse().withStatus(200).withFixedDelay(500)));
		Dispatcher dispatcher = new Dispatcher();
		dispatcher.setMaxRequestsPerHost(1);
		OkHttpClient oneCallPerHost = this.client.newBuilder().dispatcher(dispatcher).build();
		StreamCancellation cancellation = StreamCancellation.open();
		CompletableFuture<Response> busy = enqueue(oneCallPerHost.newCall(
				new Request.Builder().url(ProviderStubs.loopbackUrl(server) + "/busy").header("X-Slow", "yes").build()));
		CompletableFuture<Response> queued = enqueue(oneCallPerHost.newCall(tagged(cancellation.tag())));
		assertThat(dispatcher.queuedCallsCount()).isEqualTo(1);

		cancellation.cancel();

		assertThat(busy.get(5, TimeUnit.SECONDS).code()).isEqualTo(200);
		assertThat(queued).failsWithin(Duration.ofSeconds(5));
		assertThat(server.getAllServeEvents()).singleElement()
			.satisfies((event) -> assertThat(event.getRequest().getUrl()).isEqualTo("/busy"));
	}

	@Test
	void whenARunningStreamIsCancelledThenItsCallIsCancelled() throws Exception {
		server.stubFor(any(anyUrl()).atPriority(1).willReturn(aResponse().withStatus(200).withFixedDelay(10_000)));
		StreamCancellation cancellation = StreamCancellation.open();
		CompletableFuture<Response> call = enqueue(this.client.newCall(tagged(cancellation.tag())));
		while (server.getAllServeEvents().isEmpty()) {
			Thread.sleep(10);
		}

		cancellation.cancel();

		assertThat(call).failsWithin(Duration.ofSeconds(2));
		// the tag never leaves the JVM
		assertThat(server.getAllServeEvents().get(0).getRequest().containsHeader(StreamCancellation.HEADER))
			.isFalse();
	}

	@Test
	void aClaimRacingWithCancelAlwaysEndsCancelled() throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			for (int i = 0; i < 2_000; i++) {
				StreamCancellation cancellation = StreamCancellation.open();
				AtomicBoolean cancelled = new AtomicBoolean();
				CyclicBarrier start = new CyclicBarrier(2);
				CompletableFuture<StreamCancellation.Claim> claim = CompletableFuture.supplyAsync(() -> {
					await(start);
					return StreamCancellation.claim(cancellation.tag(), () -> cancelled.set(true));
				}, threads);
				CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
					await(start);
					cancellation.cancel();
				}, threads);
				cancel.get(5, TimeUnit.SECONDS);
				StreamCancellation.Claim result = claim.get(5, TimeUnit.SECONDS);
				assertThat(!result.mayProceed() || cancelled.get()).as("claim %s, canceller ran %s", result,
						cancelled.get())
					.isTrue();
			}
		}
		finally {
			threads.shutdownNow();
		}
	}

	private static Request tagged(String tag) {
		return new Request.Builder().url(ProviderStubs.loopbackUrl(server) + "/stream")
			.header(StreamCancellation.HEADER, tag)
			.build();
	}

	private static CompletableFuture<Response> enqueue(Call call) {
		CompletableFuture<Response> result = new CompletableFuture<>();
		call.enqueue(new Callback() {

			@Override
			public void onFailure(Call failed, IOException ex) {
				result.completeExceptionally(ex);
			}

			@Override
			public void onResponse(Call done, Response response) {
				result.complete(response);
			}

		});
		return result;
	}

	private static void await(CyclicBarrier barrier) {
		try {
			barrier.await(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
