package dev.resilientai.routing;

import java.util.Collection;
import java.util.List;

import dev.resilientai.DataClassifier;
import dev.resilientai.UnknownDataClassException;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.util.Assert;

/**
 * The data classes a deployment knows, from least to most sensitive, and the class of
 * requests that name none. With no classes configured every request is
 * {@link #UNRESTRICTED} and naming any class is an error.
 */
public final class DataClassPolicy {

	/** The class of every request when no data classes are configured. */
	public static final String UNRESTRICTED = "unrestricted";

	private final List<String> classes;

	private final String defaultClass;

	private final List<DataClassifier> classifiers;

	/**
	 * Create a policy.
	 * @param classes the known classes, least sensitive first; empty to turn classes off
	 * @param defaultClass the class of requests that name none (one of {@code classes})
	 * @param classifiers classifiers that may raise a request's class
	 */
	public DataClassPolicy(List<String> classes, @Nullable String defaultClass, List<DataClassifier> classifiers) {
		this.classes = List.copyOf(classes);
		if (this.classes.isEmpty()) {
			this.defaultClass = UNRESTRICTED;
		}
		else {
			Assert.isTrue(defaultClass != null && this.classes.contains(defaultClass),
					"'defaultClass' must be one of the classes");
			this.defaultClass = defaultClass;
		}
		this.classifiers = List.copyOf(classifiers);
	}

	/**
	 * A policy with no data classes: every provider serves every request.
	 * @return the policy
	 */
	public static DataClassPolicy unrestricted() {
		return new DataClassPolicy(List.of(), null, List.of());
	}

	public List<String> getClasses() {
		return this.classes;
	}

	public String getDefaultClass() {
		return this.defaultClass;
	}

	/**
	 * Whether data classes are configured.
	 * @return {@code true} if providers are restricted by class
	 */
	public boolean isEnforced() {
		return !this.classes.isEmpty();
	}

	/**
	 * Resolve the class a request named.
	 * @param requested the class the caller named, or {@code null}
	 * @return the request's class
	 * @throws UnknownDataClassException if the class is not known
	 */
	public String resolve(@Nullable String requested) {
		if (requested == null) {
			return this.defaultClass;
		}
		if (!this.classes.contains(requested)) {
			throw new UnknownDataClassException(requested, this.classes);
		}
		return requested;
	}

	/**
	 * Resolve the class of a request from every class named for it: the most sensitive one,
	 * or the default when none was named.
	 * @param requested the classes named (by the request, its client, or an outer request)
	 * @return the request's class
	 * @throws UnknownDataClassException if any named class is not known
	 */
	public String resolve(Collection<String> requested) {
		String result = null;
		for (String dataClass : requested) {
			resolve(dataClass);
			if (result == null || rank(dataClass) > rank(result)) {
				result = dataClass;
			}
		}
		return (result != null) ? result : this.defaultClass;
	}

	/**
	 * Whether no class is more sensitive than the given one, so that no caller could have
	 * asked for stricter routing.
	 * @param dataClass a known class
	 * @return {@code true} for the most sensitive class, or when classes are off
	 */
	public boolean isMostSensitive(String dataClass) {
		return !isEnforced() || rank(dataClass) == this.classes.size() - 1;
	}

	/**
	 * Let the classifiers raise a request's class from the prompt's content.
	 * @param prompt the prompt
	 * @param dataClass the request's class so far
	 * @return the class after escalation (never less sensitive than {@code dataClass})
	 * @throws UnknownDataClassException if a classifier names an unknown class
	 */
	public String escalate(Prompt prompt, String dataClass) {
		if (!isEnforced()) {
			return dataClass;
		}
		String result = dataClass;
		for (DataClassifier classifier : this.classifiers) {
			String raised = classifier.classify(prompt, result);
			if (raised != null && rank(resolve(raised)) > rank(result)) {
				result = raised;
			}
		}
		return result;
	}

	private int rank(String dataClass) {
		return this.classes.indexOf(dataClass);
	}

}
