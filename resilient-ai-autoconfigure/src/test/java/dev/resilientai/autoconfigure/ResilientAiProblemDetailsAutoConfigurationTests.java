package dev.resilientai.autoconfigure;

import java.lang.reflect.Method;
import java.time.Clock;
import java.util.Arrays;

import dev.resilientai.web.ResilientAiExceptionHandler;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.ProblemDetail;
import org.springframework.web.reactive.DispatcherHandler;
import org.springframework.web.servlet.DispatcherServlet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wiring of {@link ResilientAiProblemDetailsAutoConfiguration}: one handler per web stack,
 * none without one, off by property, replaceable.
 */
class ResilientAiProblemDetailsAutoConfigurationTests {

	private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations
		.of(ResilientAiProblemDetailsAutoConfiguration.class);

	@Test
	void aServletApplicationGetsTheHandler() {
		new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.run((context) -> assertThat(context).hasSingleBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void aReactiveApplicationGetsTheHandler() {
		new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.run((context) -> assertThat(context).hasSingleBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void anApplicationThatIsNotAWebApplicationGetsNone() {
		new ApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void aServletApplicationWithoutSpringMvcGetsNone() {
		new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void aReactiveApplicationWithoutWebFluxGetsNone() {
		new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withClassLoader(new FilteredClassLoader(DispatcherHandler.class))
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void withoutProblemDetailOnTheClasspathThereIsNone() {
		new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withClassLoader(new FilteredClassLoader(ProblemDetail.class))
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void thePropertyTurnsItOffOnBothStacks() {
		new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withPropertyValues("resilient-ai.web.problem-details.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
		new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withPropertyValues("resilient-ai.web.problem-details.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ResilientAiExceptionHandler.class));
	}

	@Test
	void anApplicationHandlerOfTheSameTypeReplacesIt() {
		new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withUserConfiguration(OwnHandler.class)
			.run((context) -> assertThat(context).getBean(ResilientAiExceptionHandler.class)
				.isSameAs(context.getBean("ownHandler")));
	}

	@Test
	void everyBeanMethodIsConditionalOnMissingBean() {
		for (Class<?> type : ResilientAiProblemDetailsAutoConfiguration.class.getDeclaredClasses()) {
			Arrays.stream(type.getDeclaredMethods())
				.filter((method) -> method.isAnnotationPresent(Bean.class))
				.forEach((Method method) -> assertThat(method.isAnnotationPresent(ConditionalOnMissingBean.class))
					.as(type.getSimpleName() + "." + method.getName())
					.isTrue());
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class OwnHandler {

		@Bean
		ResilientAiExceptionHandler ownHandler() {
			return new ResilientAiExceptionHandler(() -> null, Clock.systemUTC());
		}

	}

}
