package dev.resilientai.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptionsBuilder;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

/**
 * The options of a request to the failover model: portable options (temperature, max tokens,
 * top-p, stop sequences, tools...) that reach every provider, plus the provider-specific
 * options given on the request (such as {@code OpenAiChatOptions}), each of which reaches only
 * providers whose model takes options of that type.
 */
public final class FailoverChatOptions extends DefaultToolCallingChatOptions {

	private final List<ChatOptions> providerSpecific;

	private FailoverChatOptions(@Nullable List<ToolCallback> toolCallbacks, @Nullable Map<String, Object> toolContext,
			@Nullable String model, @Nullable Double frequencyPenalty, @Nullable Integer maxTokens,
			@Nullable Double presencePenalty, @Nullable List<String> stopSequences, @Nullable Double temperature,
			@Nullable Integer topK, @Nullable Double topP, List<ChatOptions> providerSpecific) {
		super(toolCallbacks, toolContext, model, frequencyPenalty, maxTokens, presencePenalty, stopSequences,
				temperature, topK, topP);
		this.providerSpecific = List.copyOf(providerSpecific);
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
		return builder;
	}

	@Override
	public boolean equals(@Nullable Object o) {
		return super.equals(o) && this.providerSpecific.equals(((FailoverChatOptions) o).providerSpecific);
	}

	@Override
	public int hashCode() {
		return 31 * super.hashCode() + this.providerSpecific.hashCode();
	}

	/**
	 * Builder of {@link FailoverChatOptions}: combining it with a provider's options builder
	 * keeps their portable part and remembers the rest for that provider's kind.
	 */
	public static final class Builder extends DefaultToolCallingChatOptions.Builder<Builder> {

		private List<ChatOptions> providerSpecific = new ArrayList<>();

		@Override
		public Builder clone() {
			Builder copy = super.clone();
			copy.providerSpecific = new ArrayList<>(this.providerSpecific);
			return copy;
		}

		@Override
		public Builder combineWith(ChatOptions.Builder<?> other) {
			super.combineWith(other);
			if (other instanceof Builder failover) {
				this.providerSpecific.addAll(failover.providerSpecific);
			}
			else if (other.getClass() != DefaultChatOptionsBuilder.class
					&& other.getClass() != DefaultToolCallingChatOptions.Builder.class) {
				this.providerSpecific.add(other.clone().build());
			}
			return this;
		}

		@Override
		public FailoverChatOptions build() {
			return new FailoverChatOptions(this.toolCallbacks, this.toolContext, this.model, this.frequencyPenalty,
					this.maxTokens, this.presencePenalty, this.stopSequences, this.temperature, this.topK, this.topP,
					this.providerSpecific);
		}

	}

}
