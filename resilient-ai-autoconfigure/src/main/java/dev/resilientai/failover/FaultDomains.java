package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.resilientai.ErrorKind;

/**
 * The order of the providers left after a failure: those of a fault domain that has not
 * failed first, in priority order, then those of the failed domains, in priority order. A
 * provider without a {@code fault-domain} label is a domain of its own.
 */
final class FaultDomains {

	private FaultDomains() {
	}

	/**
	 * Whether a failure of this kind says the provider's infrastructure may be down
	 * (connection, timeout, 5xx, overload), so that the next attempt should go elsewhere.
	 * @param kind the failure's kind
	 * @return {@code true} for an infrastructure failure
	 */
	static boolean isInfrastructureFailure(ErrorKind kind) {
		return kind == ErrorKind.CONNECTION || kind == ErrorKind.TIMEOUT || kind == ErrorKind.SERVER_ERROR
				|| kind == ErrorKind.OVERLOADED;
	}

	/**
	 * Reorder the providers from a position on, those of the failed domains last.
	 * @param providers the providers in their current order
	 * @param from the first position to reorder (those before it were tried or skipped)
	 * @param failed the fault domains that failed
	 * @return the new order, or the given list if nothing moves
	 */
	static List<Provider> preferOthers(List<Provider> providers, int from, Set<String> failed) {
		boolean moves = false;
		boolean seenFailed = false;
		for (int i = from; i < providers.size(); i++) {
			boolean inFailed = failed.contains(providers.get(i).getFaultDomain());
			if (inFailed) {
				seenFailed = true;
			}
			else if (seenFailed) {
				moves = true;
				break;
			}
		}
		if (!moves) {
			return providers;
		}
		List<Provider> order = new ArrayList<>(providers.size());
		order.addAll(providers.subList(0, from));
		List<Provider> later = new ArrayList<>();
		for (int i = from; i < providers.size(); i++) {
			Provider provider = providers.get(i);
			if (failed.contains(provider.getFaultDomain())) {
				later.add(provider);
			}
			else {
				order.add(provider);
			}
		}
		order.addAll(later);
		return order;
	}

}
