package dev.resilientai;

import java.util.Collection;

/**
 * The request's data class is not one of {@code resilient-ai.data-classes}. Thrown before any
 * network call.
 */
public class UnknownDataClassException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final String dataClass;

	public UnknownDataClassException(String dataClass, Collection<String> knownClasses) {
		super("Unknown data class '" + dataClass + "'; known classes are " + knownClasses
				+ " (resilient-ai.data-classes)");
		this.dataClass = dataClass;
	}

	/**
	 * Return the data class the request named.
	 * @return the unknown data class
	 */
	public String getDataClass() {
		return this.dataClass;
	}

}
