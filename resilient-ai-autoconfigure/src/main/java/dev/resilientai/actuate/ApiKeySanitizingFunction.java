package dev.resilientai.actuate;

import java.util.Locale;

import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;

/**
 * Masks API keys in {@code /actuator/env} and {@code /actuator/configprops}, even with
 * {@code show-values: always}: any property whose last segment is {@code api-key}
 * ({@code spring.ai.openai.api-key}, {@code resilient-ai.providers.x.api-key}...), in any of
 * Spring Boot's relaxed spellings.
 */
public class ApiKeySanitizingFunction implements SanitizingFunction {

	@Override
	public SanitizableData apply(SanitizableData data) {
		String key = data.getLowerCaseKey();
		int dot = key.lastIndexOf('.');
		String last = key.substring(dot + 1).replace("-", "").replace("_", "");
		return (last.equals("apikey") || last.endsWith("apikey")) ? data.withSanitizedValue() : data;
	}

}
