package dev.resilientai.provider;

import java.io.IOException;

import dev.resilientai.failover.AttemptGuard;
import dev.resilientai.failover.StreamCancellation;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Lets the failover loop cancel the OkHttp call of an attempt: a call that runs past its
 * timeout (found by its thread), or a stream that is cancelled or times out (found by the
 * {@link StreamCancellation#HEADER} tag, which is removed here so it never leaves). A hung
 * provider thus releases its connection and thread at once instead of at the SDK's own, much
 * longer, timeout, and a stream cancelled while its call still waited in OkHttp's dispatcher
 * queue never sends it. Used by the OpenAI and Anthropic SDK clients of Spring AI.
 */
public final class OkHttpAttemptInterceptor implements Interceptor {

	@Override
	public Response intercept(Chain chain) throws IOException {
		Request request = chain.request();
		String streamTag = request.header(StreamCancellation.HEADER);
		if (streamTag != null) {
			if (!StreamCancellation.claim(streamTag, chain.call()::cancel).mayProceed()) {
				chain.call().cancel();
				// OkHttp's own message for a cancelled call
				throw new IOException("Canceled");
			}
			return chain.proceed(request.newBuilder().removeHeader(StreamCancellation.HEADER).build());
		}
		AttemptGuard.registerCanceller(chain.call()::cancel);
		return chain.proceed(request);
	}

}
