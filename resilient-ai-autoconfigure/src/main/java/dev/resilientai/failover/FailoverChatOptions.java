package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptionsBuilder;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.util.Assert;

/**
 * The options of a request to the failover model: portable options (temperature, max tokens,
 * top-p, stop sequences, tools...) that reach every provider, plus the provider-specific
 * options given on the request (such as {@code OpenAiChatOptions}), each of which reaches only
 * providers whose model takes options of that type.
 * <p>
 * The options also carry the request's data class, so that it travels with the
 * {@code Prompt} through every advisor and tool-calling round to the failover model:
 * {@link Builder#dataClass(String)} names one (any {@code ChatClient} over the failover model
 * may set it with {@code .options(FailoverChatOptions.builder().dataClass("pii"))}), and
 * resilient-ai's routing advisor adds the one named with the
 * {@code ResilientChatClient.DATA_CLASS} advisor param. Classes only add up when options are
 * combined: the failover model routes on the most sensitive one named.
 * <p>
 * The options are {@link StructuredOutputChatOptions}, so a {@code ChatClient} asked for
 * native structured output puts the output's JSON schema here; each attempt then sends the
 * schema natively to a provider whose model takes one and adds format instructions to the
 * prompt of a provider whose model does not.
 */
public final class FailoverChatOptions extends DefaultToolCallingChatOptions implements StructuredOutputChatOptions {

	private final List<ChatOptions> providerSpecific;

	private final Set<String> dataClasses;

	private final boolean routed;

	private final @Nullable String outputSchema;

	private FailoverChatOptions(@Nullable List<ToolCallback> toolCallbacks, @Nullable Map<String, Object> toolContext,
			@Nullable String model, @Nullable Double frequencyPenalty, @Nullable Integer maxTokens,
			@Nullable Double presencePenalty, @Nullable List<String> stopSequences, @Nullable Double temperature,
			@Nullable Integer topK, @Nullable Double topP, List<ChatOptions> providerSpecific, Set<String> dataClasses, boolean routed,
			@Nullable String outputSchema) {
		super(toolCallbacks, toolContext, model, frequencyPenalty, maxTokens, presencePenalty, stopSequences,
				temperature, topK, topP);
		this.providerSpecific = List.copyOf(providerSpecific);
		this.dataClasses = Set.copyOf(dataClasses);
		this.routed = routed;
		this.outputSchema = outputSchema;
	}

	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Return the provider-specific options given on the request, in the order given.
	 * @return the options
	 */
	public List<ChatOptions> getProviderSpecificOptions() {
		return this.providerSpecific;
	}

	/**
	 * Return the data classes named for the request.
	 * @return the classes, empty if none was named
	 */
	public Set<String> getDataClasses() {
		return this.dataClasses;
	}

	/**
	 * Return the JSON schema the answer must follow, if the request asks for native
	 * structured output.
	 * @return the schema, or {@code null}
	 */
	@Override
	public @Nullable String getOutputSchema() {
		return this.outputSchema;
	}

	/**
	 * Whether resilient-ai's routing advisor has read the request's advisor params into these
	 * options.
	 * @return {@code true} once a routing advisor has seen the request
	 */
	public boolean isRouted() {
		return this.routed;
	}

	/**
	 * Return these options marked as read by resilient-ai's routing advisor, with the given
	 * classes added; everything else is shared, not copied.
	 * @param added the classes the advisor read
	 * @return the routed options ({@code this} if nothing changes)
	 */
	public FailoverChatOptions routed(Set<String> added) {
		if (this.routed && this.dataClasses.containsAll(added)) {
			return this;
		}
		Set<String> classes = this.dataClasses;
		if (classes.isEmpty()) {
			classes = added;
		}
		else if (!classes.containsAll(added)) {
			Set<String> union = new LinkedHashSet<>(classes);
			union.addAll(added);
			classes = union;
		}
		return new FailoverChatOptions(getToolCallbacks(), getToolContext(), getModel(), getFrequencyPenalty(),
				getMaxTokens(), getPresencePenalty(), getStopSequences(), getTemperature(), getTopK(), getTopP(),
				this.providerSpecific, classes, true, this.outputSchema);
	}

	@Override
	public Builder mutate() {
		Builder builder = new Builder();
		builder.model(getModel())
			.frequencyPenalty(getFrequencyPenalty())
			.maxTokens(getMaxTokens())
			.presencePenalty(getPresencePenalty())
			.stopSequences(getStopSequences())
			.temperature(getTemperature())
			.topK(getTopK())
			.topP(getTopP())
			.toolCallbacks(getToolCallbacks())
			.toolContext(getToolContext());
		builder.providerSpecific.addAll(this.providerSpecific);
		if (!this.dataClasses.isEmpty()) {
			// shared until the builder adds a class (copy on write)
			builder.dataClasses = this.dataClasses;
		}
		builder.routed = this.routed;
		builder.outputSchema = this.outputSchema;
		return builder;
	}

	@Override
	public boolean equals(@Nullable Object o) {
		return super.equals(o) && this.providerSpecific.equals(((FailoverChatOptions) o).providerSpecific)
				&& this.dataClasses.equals(((FailoverChatOptions) o).dataClasses)
				&& this.routed == ((FailoverChatOptions) o).routed
				&& java.util.Objects.equals(this.outputSchema, ((FailoverChatOptions) o).outputSchema);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * (31 * super.hashCode() + this.providerSpecific.hashCode()) + this.dataClasses.hashCode())
				+ java.util.Objects.hashCode(this.outputSchema);
	}

	/**
	 * Builder of {@link FailoverChatOptions}: combining it with a provider's options builder
	 * keeps their portable part and remembers the rest for that provider's kind.
	 */
	public static final class Builder extends DefaultToolCallingChatOptions.Builder<Builder>
			implements StructuredOutputChatOptions.Builder<Builder> {

		private List<ChatOptions> providerSpecific = new ArrayList<>();

		private @Nullable Set<String> dataClasses;

		private boolean routed;

		private @Nullable String outputSchema;

		/**
		 * Ask for an answer that follows a JSON schema: sent natively to providers whose
		 * model takes a schema, as format instructions in the prompt to the others.
		 * {@code ChatClient} sets it for {@code entity(...)} with native structured output.
		 * @param outputSchema the JSON schema, or {@code null} for none
		 * @return this builder
		 */
		@Override
		public Builder outputSchema(@Nullable String outputSchema) {
			this.outputSchema = outputSchema;
			return this;
		}

		/**
		 * Name a data class for the request (one of {@code resilient-ai.data-classes}).
		 * Classes add up: the request is routed as the most sensitive class named.
		 * @param dataClass the class
		 * @return this builder
		 */
		public Builder dataClass(String dataClass) {
			Assert.hasText(dataClass, "'dataClass' must not be empty");
			if (this.dataClasses == null || !this.dataClasses.contains(dataClass)) {
				Set<String> classes = (this.dataClasses != null) ? new LinkedHashSet<>(this.dataClasses)
						: new LinkedHashSet<>();
				classes.add(dataClass);
				this.dataClasses = classes;
			}
			return this;
		}

		/**
		 * Mark the options as read by resilient-ai's routing advisor, which has added the
		 * class named by the request's advisor param, if any. Set by the advisor, not by
		 * applications.
		 * @param routed whether the routing advisor has seen the request
		 * @return this builder
		 */
		Builder routed(boolean routed) {
			this.routed = routed;
			return this;
		}

		@Override
		public Builder clone() {
			Builder copy = super.clone();
			copy.providerSpecific = new ArrayList<>(this.providerSpecific);
			copy.dataClasses = this.dataClasses;
			return copy;
		}

		@Override
		public Builder combineWith(ChatOptions.Builder<?> other) {
			super.combineWith(other);
			if (other instanceof Builder failover) {
				this.providerSpecific.addAll(failover.providerSpecific);
				if (failover.dataClasses != null) {
					failover.dataClasses.forEach(this::dataClass);
				}
				this.routed |= failover.routed;
				if (failover.outputSchema != null) {
					this.outputSchema = failover.outputSchema;
				}
			}
			else if (other instanceof org.springframework.ai.model.tool.DefaultStructuredOutputChatOptions.Builder<?>) {
				// Spring AI's portable structured-output options: their schema is the request's
				ChatOptions portable = other.clone().build();
				if (portable instanceof StructuredOutputChatOptions structured && structured.getOutputSchema() != null) {
					this.outputSchema = structured.getOutputSchema();
				}
			}
			else if (other.getClass() != DefaultChatOptionsBuilder.class
					&& other.getClass() != DefaultToolCallingChatOptions.Builder.class) {
				// its portable part (tools included) is combined above; the copy keeps the rest
				ChatOptions.Builder<?> copy = other.clone();
				if (copy instanceof org.springframework.ai.model.tool.ToolCallingChatOptions.Builder<?> tools) {
					tools.toolCallbacks((List<ToolCallback>) null);
				}
				this.providerSpecific.add(copy.build());
			}
			return this;
		}

		@Override
		public FailoverChatOptions build() {
			return new FailoverChatOptions(this.toolCallbacks, this.toolContext, this.model, this.frequencyPenalty,
					this.maxTokens, this.presencePenalty, this.stopSequences, this.temperature, this.topK, this.topP,
					this.providerSpecific, (this.dataClasses != null) ? this.dataClasses : Set.of(), this.routed,
					this.outputSchema);
		}

	}

}
