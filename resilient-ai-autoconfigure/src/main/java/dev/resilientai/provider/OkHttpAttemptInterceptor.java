package dev.resilientai.provider;

import java.io.IOException;

import dev.resilientai.failover.AttemptGuard;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * Lets the failover loop cancel the OkHttp call of an attempt that runs past its timeout, so
 * a hung provider releases its connection and thread at the timeout instead of at the SDK's
 * own (much longer) one. Used by the OpenAI and Anthropic SDK clients of Spring AI.
 */
public final class OkHttpAttemptInterceptor implements Interceptor {

	@Override
	public Response intercept(Chain chain) throws IOException {
		AttemptGuard.registerCanceller(chain.call()::cancel);
		return chain.proceed(chain.request());
	}

}
