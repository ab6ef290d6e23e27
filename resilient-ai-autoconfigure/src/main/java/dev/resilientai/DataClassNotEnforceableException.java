package dev.resilientai;

/**
 * A request reached the failover model in a way that could hide its data class, and it would
 * have been routed as a less sensitive class than it might carry: it came through a Spring AI
 * {@code ChatClient} that has no resilient-ai routing advisor, so a class set with
 * {@code .advisors(a -> a.param(ResilientChatClient.DATA_CLASS, ...))} cannot reach the
 * failover model. Thrown before any network call. Use {@code ResilientChatClient}, build the
 * client from Spring AI's auto-configured {@code ChatClient.Builder}, add
 * {@code dev.resilientai.client.RoutingAdvisor} to the client's default advisors, or name the
 * class in the request's options with {@code FailoverChatOptions.builder().dataClass(...)}.
 */
public class DataClassNotEnforceableException extends ResilientAiException {

	private static final long serialVersionUID = 1L;

	private final String dataClass;

	public DataClassNotEnforceableException(String dataClass) {
		super("This request came through a ChatClient without resilient-ai's routing advisor, so a data class set "
				+ "with the '" + ResilientChatClient.DATA_CLASS + "' advisor param cannot be read, and the request "
				+ "would have been routed as '" + dataClass + "'. Use ResilientChatClient, build the ChatClient "
				+ "from the auto-configured ChatClient.Builder, add dev.resilientai.client.RoutingAdvisor to its "
				+ "default advisors, or name the class with FailoverChatOptions.builder().dataClass(...)");
		this.dataClass = dataClass;
	}

	/**
	 * Return the class the request would have been routed as.
	 * @return the data class
	 */
	public String getDataClass() {
		return this.dataClass;
	}

}
