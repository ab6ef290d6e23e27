package dev.resilientai.autoconfigure;

import java.time.Clock;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.web.ResilientAiExceptionHandler;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.ProblemDetail;

/**
 * The starter's exceptions as RFC 9457 problem details in Spring MVC and WebFlux
 * applications ({@link ResilientAiExceptionHandler}). Off with
 * {@code resilient-ai.web.problem-details.enabled=false}.
 */
@AutoConfiguration(after = ResilientAiAutoConfiguration.class)
@ConditionalOnClass(ProblemDetail.class)
@ConditionalOnBooleanProperty(name = "resilient-ai.web.problem-details.enabled", matchIfMissing = true)
public final class ResilientAiProblemDetailsAutoConfiguration {

	static ResilientAiExceptionHandler handler(ObjectProvider<FailoverExecutor> executor, Environment environment) {
		// the executor times Retry-After rests with the system clock
		return new ResilientAiExceptionHandler(executor::getIfAvailable, Clock.systemUTC(), environment
			.getProperty("resilient-ai.web.problem-details.include-provider-details", Boolean.class, false));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
	@ConditionalOnClass(name = "org.springframework.web.servlet.DispatcherServlet")
	static class Servlet {

		@Bean
		@ConditionalOnMissingBean
		ResilientAiExceptionHandler resilientAiExceptionHandler(ObjectProvider<FailoverExecutor> executor,
				Environment environment) {
			return handler(executor, environment);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
	@ConditionalOnClass(name = "org.springframework.web.reactive.DispatcherHandler")
	static class Reactive {

		@Bean
		@ConditionalOnMissingBean
		ResilientAiExceptionHandler resilientAiExceptionHandler(ObjectProvider<FailoverExecutor> executor,
				Environment environment) {
			return handler(executor, environment);
		}

	}

}
