package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.resilientai.DataClassNotEnforceableException;
import dev.resilientai.NoEligibleProviderException;
import dev.resilientai.SkipReason;
import dev.resilientai.routing.DataClassPolicy;

import org.springframework.ai.chat.prompt.Prompt;

/**
 * Which providers a request may go to, and in which order: the request's data class is
 * settled first (the most sensitive class named for it, or the default, then raised by the
 * classifiers), then the providers allowed for it and enabled are kept, in priority order
 * (declaration order breaks ties). Nothing about health is looked at here, so nothing
 * downstream can reach a provider outside the set.
 */
final class ProviderOrder {

	private static final Comparator<Provider> PRIORITY = Comparator.comparingInt(Provider::getPriority);

	private final List<Provider> providers;

	private final DataClassPolicy policy;

	ProviderOrder(List<Provider> providers, DataClassPolicy policy) {
		List<Provider> ordered = new ArrayList<>(providers);
		ordered.sort(PRIORITY);
		this.providers = List.copyOf(ordered);
		this.policy = policy;
	}

	List<Provider> providers() {
		return this.providers;
	}

	/**
	 * Settle the request's class and return the providers it may go to.
	 * @param prompt the prompt, for the classifiers
	 * @param context what callers said about the request's class
	 * @param trace the request's trace, which records the class and each provider left out
	 * @return the eligible providers, in routing order, never empty
	 */
	List<Provider> eligible(Prompt prompt, RoutingContext context, RequestTrace trace) {
		String resolved = this.policy.resolve(context.dataClasses());
		trace.requested(context.dataClasses().isEmpty() ? null : resolved);
		String dataClass = this.policy.escalate(prompt, resolved);
		trace.classified(resolved, dataClass);
		if (context.advisorParamsUnread() && !this.policy.isMostSensitive(dataClass)) {
			throw new DataClassNotEnforceableException(dataClass);
		}
		List<Provider> eligible = new ArrayList<>(this.providers.size());
		boolean anyAllowed = false;
		for (Provider provider : this.providers) {
			if (!provider.isAllowed(dataClass)) {
				trace.skip(provider, SkipReason.NOT_ALLOWED);
			}
			else if (!provider.isEnabled()) {
				anyAllowed = true;
				trace.skip(provider, SkipReason.DISABLED);
			}
			else {
				anyAllowed = true;
				eligible.add(provider);
			}
		}
		if (eligible.isEmpty()) {
			throw new NoEligibleProviderException(dataClass,
					anyAllowed ? "every provider allowed for it is disabled" : "no provider is allowed for it");
		}
		return eligible;
	}

	/**
	 * What requests made inside a request inherit: its class, once settled.
	 * @param trace the request's trace
	 * @return the context to make current while the request runs
	 */
	RoutingContext inherited(RequestTrace trace) {
		return this.policy.isEnforced() ? RoutingContext.of(trace.dataClass()) : RoutingContext.DEFAULT;
	}

}
