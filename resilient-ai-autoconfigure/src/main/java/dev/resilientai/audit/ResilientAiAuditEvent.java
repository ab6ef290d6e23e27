package dev.resilientai.audit;

import org.springframework.context.ApplicationEvent;

/**
 * Published once per request with its {@link AuditRecord}.
 */
public class ResilientAiAuditEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient AuditRecord record;

	public ResilientAiAuditEvent(Object source, AuditRecord record) {
		super(source);
		this.record = record;
	}

	public AuditRecord getRecord() {
		return this.record;
	}

}
