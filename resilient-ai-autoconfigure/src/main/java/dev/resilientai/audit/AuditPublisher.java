package dev.resilientai.audit;

import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes each {@link AuditRecord} as a {@link ResilientAiAuditEvent} and, when enabled,
 * logs it at INFO on the {@value #LOGGER_NAME} logger.
 */
public class AuditPublisher implements Consumer<AuditRecord> {

	/** The logger audit records are written to. */
	public static final String LOGGER_NAME = "dev.resilientai.audit";

	private static final Log logger = LogFactory.getLog(LOGGER_NAME);

	private final ApplicationEventPublisher publisher;

	private final boolean logEnabled;

	public AuditPublisher(ApplicationEventPublisher publisher, boolean logEnabled) {
		this.publisher = publisher;
		this.logEnabled = logEnabled;
	}

	@Override
	public void accept(AuditRecord record) {
		if (this.logEnabled && logger.isInfoEnabled()) {
			logger.info(record);
		}
		this.publisher.publishEvent(new ResilientAiAuditEvent(this, record));
	}

}
