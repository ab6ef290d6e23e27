package dev.resilientai.autoconfigure;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.StringUtils;

/**
 * Checks the data-class configuration at startup, naming the offending property: compliance
 * routing must fail at startup, not on the first request that carries personal data.
 */
final class DataClassValidator {

	private DataClassValidator() {
	}

	static void validate(ResilientAiProperties properties) {
		List<String> classes = properties.getDataClasses();
		Set<String> known = new LinkedHashSet<>();
		for (int i = 0; i < classes.size(); i++) {
			String dataClass = classes.get(i);
			if (!StringUtils.hasText(dataClass) || !known.add(dataClass)) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.data-classes[" + i + "]", dataClass,
						"Data classes must be non-empty and unique.");
			}
		}
		String defaultClass = properties.getDefaultDataClass();
		if (known.isEmpty()) {
			validateWithoutClasses(properties, defaultClass);
			return;
		}
		if (defaultClass == null) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.default-data-class", null,
					"A default data class is required when resilient-ai.data-classes is set: it is the class of "
							+ "requests that name none. One of " + known + ".");
		}
		requireKnown("resilient-ai.default-data-class", defaultClass, known);
		PersonalDataClassifierCheck.validate(properties, known);
		if (properties.getProviders().isEmpty()) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.providers", "(none)",
					"resilient-ai.data-classes is set, so the providers must be declared with their "
							+ "allowed-data-classes under resilient-ai.providers.");
		}
		Set<String> listed = new HashSet<>();
		for (Map.Entry<String, ResilientAiProperties.Provider> entry : properties.getProviders().entrySet()) {
			String property = "resilient-ai.providers." + entry.getKey() + ".allowed-data-classes";
			List<String> allowed = entry.getValue().getAllowedDataClasses();
			if (allowed == null) {
				throw new InvalidConfigurationPropertyValueException(property, null,
						"resilient-ai.data-classes is set, so every provider must say which classes it may serve.");
			}
			for (int i = 0; i < allowed.size(); i++) {
				requireKnown(property + "[" + i + "]", allowed.get(i), known);
			}
			listed.addAll(allowed);
		}
		for (int i = 0; i < classes.size(); i++) {
			if (!listed.contains(classes.get(i))) {
				throw new InvalidConfigurationPropertyValueException("resilient-ai.data-classes[" + i + "]",
						classes.get(i), "No provider lists this data class in its allowed-data-classes, so no "
								+ "request of this class could ever be served.");
			}
		}
	}

	private static void validateWithoutClasses(ResilientAiProperties properties, @Nullable String defaultClass) {
		if (defaultClass != null) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.default-data-class", defaultClass,
					"The class is not in resilient-ai.data-classes, which is empty.");
		}
		for (Map.Entry<String, ResilientAiProperties.Provider> entry : properties.getProviders().entrySet()) {
			List<String> allowed = entry.getValue().getAllowedDataClasses();
			if (allowed != null && !allowed.isEmpty()) {
				throw new InvalidConfigurationPropertyValueException(
						"resilient-ai.providers." + entry.getKey() + ".allowed-data-classes[0]", allowed.get(0),
						"The class is not in resilient-ai.data-classes, which is empty.");
			}
		}
		if (properties.getClassifier().getPersonalData().isEnabled()) {
			throw new InvalidConfigurationPropertyValueException("resilient-ai.classifier.personal-data.enabled",
					true, "The classifier raises requests to a data class, but resilient-ai.data-classes is empty.");
		}
	}

	private static void requireKnown(String property, @Nullable String dataClass, Set<String> known) {
		if (dataClass == null || !known.contains(dataClass)) {
			throw new InvalidConfigurationPropertyValueException(property, dataClass,
					"Unknown data class; resilient-ai.data-classes are " + known + ".");
		}
	}

	private static final class PersonalDataClassifierCheck {

		static void validate(ResilientAiProperties properties, Set<String> known) {
			ResilientAiProperties.PersonalData personalData = properties.getClassifier().getPersonalData();
			if (personalData.isEnabled()) {
				requireKnown("resilient-ai.classifier.personal-data.raise-to", personalData.getRaiseTo(), known);
			}
		}

	}

}
