package dev.resilientai.autoconfigure;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import dev.resilientai.autoconfigure.ResilientAiProperties.ProviderType;

import org.springframework.core.convert.converter.Converter;

/**
 * Binds {@code resilient-ai.providers.<name>.type} as relaxed as Spring Boot binds enums
 * ({@code openai-compatible}, {@code OPENAI_COMPATIBLE}, {@code openaiCompatible}), and
 * refuses an unknown value with the list of the accepted ones, instead of the JDK's
 * "No enum constant".
 */
final class ProviderTypeConverter implements Converter<String, ProviderType> {

	/** The accepted values as users write them. */
	static final String ACCEPTED = Arrays.stream(ProviderType.values())
		.map(ProviderTypeConverter::toValue)
		.collect(Collectors.joining(", "));

	@Override
	public ProviderType convert(String source) {
		String wanted = canonical(source);
		for (ProviderType type : ProviderType.values()) {
			if (canonical(type.name()).equals(wanted)) {
				return type;
			}
		}
		throw new IllegalArgumentException(
				"Unknown provider type '" + source.trim() + "'. Accepted values: " + ACCEPTED + ".");
	}

	static String toValue(ProviderType type) {
		return type.name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	private static String canonical(String value) {
		StringBuilder canonical = new StringBuilder(value.length());
		for (char c : value.toCharArray()) {
			if (Character.isLetterOrDigit(c)) {
				canonical.append(Character.toLowerCase(c));
			}
		}
		return canonical.toString();
	}

}
