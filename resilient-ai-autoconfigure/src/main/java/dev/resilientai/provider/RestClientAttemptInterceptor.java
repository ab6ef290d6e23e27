package dev.resilientai.provider;

import java.io.IOException;
import java.net.http.HttpClient;

import dev.resilientai.failover.AttemptGuard;

import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.JdkClientHttpRequestFactory;

/**
 * Makes {@code RestClient} requests made inside a provider attempt (Spring AI's Ollama model,
 * for one) abortable at the attempt's timeout. Blocking clients such as Apache HttpClient
 * ignore thread interrupts, so inside an attempt the request is sent with the JDK
 * {@link HttpClient}, whose exchange is cancelled when the timed-out attempt interrupts the
 * thread. Requests outside attempts go through the application's own client untouched.
 */
public final class RestClientAttemptInterceptor implements ClientHttpRequestInterceptor {

	private final JdkClientHttpRequestFactory cancellableFactory = new JdkClientHttpRequestFactory(
			HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		if (!AttemptGuard.isActive()) {
			return execution.execute(request, body);
		}
		ClientHttpRequest cancellable = this.cancellableFactory.createRequest(request.getURI(), request.getMethod());
		cancellable.getHeaders().putAll(request.getHeaders());
		if (body.length > 0) {
			cancellable.getBody().write(body);
		}
		return cancellable.execute();
	}

}
