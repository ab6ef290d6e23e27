package dev.resilientai.audit;

import org.springframework.context.ApplicationEvent;
import org.springframework.core.ResolvableType;
import org.springframework.core.ResolvableTypeProvider;

/**
 * Published once per request with its {@link AuditRecord}.
 */
public class ResilientAiAuditEvent extends ApplicationEvent implements ResolvableTypeProvider {

	private static final long serialVersionUID = 1L;

	private static final ResolvableType TYPE = ResolvableType.forClass(ResilientAiAuditEvent.class);

	private final transient AuditRecord record;

	public ResilientAiAuditEvent(Object source, AuditRecord record) {
		super(source);
		this.record = record;
	}

	public AuditRecord getRecord() {
		return this.record;
	}

	/**
	 * The event's type, for Spring's event multicaster: one instance for every event of this
	 * class, instead of one resolved per published event.
	 * @return the event's type
	 */
	@Override
	public ResolvableType getResolvableType() {
		return (getClass() == ResilientAiAuditEvent.class) ? TYPE : ResolvableType.forClass(getClass());
	}

}
