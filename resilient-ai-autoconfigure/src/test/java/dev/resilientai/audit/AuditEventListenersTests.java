package dev.resilientai.audit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.resilientai.audit.AuditRecord.AuditOutcome;
import org.junit.jupiter.api.Test;

import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of listener an application may write receives each audit event once, with the
 * event's type given by the event itself ({@code ResolvableTypeProvider}): an
 * {@code ApplicationListener} of the event, an {@code @EventListener} method of it or of
 * {@code ApplicationEvent}; a subclass's listener gets the subclass's events only.
 */
class AuditEventListenersTests {

	@Test
	void everyListenerOfTheEventReceivesItOnce() {
		try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext(Listeners.class)) {
			Listeners listeners = context.getBean(Listeners.class);
			AuditPublisher publisher = new AuditPublisher(context, false);

			publisher.accept(record("r1"));
			context.publishEvent(new SubclassEvent(this, record("r2")));

			assertThat(listeners.typed).extracting((event) -> event.getRecord().requestId()).containsExactly("r1", "r2");
			assertThat(listeners.annotated).extracting((event) -> event.getRecord().requestId())
				.containsExactly("r1", "r2");
			assertThat(listeners.any).filteredOn(ResilientAiAuditEvent.class::isInstance).hasSize(2);
			assertThat(listeners.any).noneMatch(PayloadApplicationEvent.class::isInstance);
			assertThat(listeners.subclass).extracting((event) -> event.getRecord().requestId()).containsExactly("r2");
		}
	}

	private static AuditRecord record(String id) {
		return new AuditRecord(id, "internal", null, false, false, List.of("p"), List.of(), AuditOutcome.SUCCESS, "p",
				Duration.ofMillis(1));
	}

	static class SubclassEvent extends ResilientAiAuditEvent {

		private static final long serialVersionUID = 1L;

		SubclassEvent(Object source, AuditRecord record) {
			super(source, record);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Listeners {

		final List<ResilientAiAuditEvent> typed = new CopyOnWriteArrayList<>();

		final List<ResilientAiAuditEvent> annotated = new CopyOnWriteArrayList<>();

		final List<ApplicationEvent> any = new CopyOnWriteArrayList<>();

		final List<SubclassEvent> subclass = new CopyOnWriteArrayList<>();

		@Bean
		ApplicationListener<ResilientAiAuditEvent> typedListener() {
			return this.typed::add;
		}

		@Bean
		ApplicationListener<SubclassEvent> subclassListener() {
			return this.subclass::add;
		}

		@EventListener
		void onAudit(ResilientAiAuditEvent event) {
			this.annotated.add(event);
		}

		@EventListener
		void onAny(ApplicationEvent event) {
			this.any.add(event);
		}

	}

}
