package dev.resilientai.client;

import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.resilientai.ResilientChatClient;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.template.TemplateRenderer;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.ToolCallbackProvider;
import org.springframework.core.io.Resource;
import org.springframework.util.Assert;

/**
 * The default {@link ResilientChatClient}: a Spring AI {@code ChatClient} over the failover
 * model, whose request specs also take a data class.
 */
public class DefaultResilientChatClient implements ResilientChatClient {

	private final ChatClient delegate;

	/**
	 * Create a client that delegates to a {@code ChatClient} built over the failover model
	 * with a {@link RoutingAdvisor} among its default advisors.
	 * @param delegate the delegate client
	 */
	public DefaultResilientChatClient(ChatClient delegate) {
		Assert.notNull(delegate, "'delegate' must not be null");
		this.delegate = delegate;
	}

	@Override
	public RequestSpec prompt() {
		return new DefaultRequestSpec(this.delegate.prompt());
	}

	@Override
	public RequestSpec prompt(String content) {
		return new DefaultRequestSpec(this.delegate.prompt(content));
	}

	@Override
	public RequestSpec prompt(Prompt prompt) {
		return new DefaultRequestSpec(this.delegate.prompt(prompt));
	}

	@Override
	public Builder mutate() {
		return this.delegate.mutate();
	}

	static final class DefaultRequestSpec implements RequestSpec {

		private final ChatClientRequestSpec delegate;

		DefaultRequestSpec(ChatClientRequestSpec delegate) {
			this.delegate = delegate;
		}

		@Override
		public RequestSpec dataClass(String dataClass) {
			Assert.hasText(dataClass, "'dataClass' must not be empty");
			this.delegate.advisors((advisor) -> advisor.param(DATA_CLASS, dataClass));
			return this;
		}

		@Override
		public Builder mutate() {
			return this.delegate.mutate();
		}

		@Override
		public RequestSpec advisors(Consumer<AdvisorSpec> consumer) {
			this.delegate.advisors(consumer);
			return this;
		}

		@Override
		public RequestSpec advisors(Advisor... advisors) {
			this.delegate.advisors(advisors);
			return this;
		}

		@Override
		public RequestSpec advisors(List<Advisor> advisors) {
			this.delegate.advisors(advisors);
			return this;
		}

		@Override
		public RequestSpec messages(Message... messages) {
			this.delegate.messages(messages);
			return this;
		}

		@Override
		public RequestSpec messages(List<Message> messages) {
			this.delegate.messages(messages);
			return this;
		}

		@Override
		public <B extends ChatOptions.Builder<?>> RequestSpec options(B customizer) {
			this.delegate.options(customizer);
			return this;
		}

		@Override
		public RequestSpec tools(Object... tools) {
			this.delegate.tools(tools);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public RequestSpec toolCallbacks(ToolCallback... toolCallbacks) {
			this.delegate.tools((Object[]) toolCallbacks);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public RequestSpec toolCallbacks(List<ToolCallback> toolCallbacks) {
			this.delegate.tools(toolCallbacks);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public RequestSpec toolCallbacks(ToolCallbackProvider... toolCallbackProviders) {
			this.delegate.tools((Object[]) toolCallbackProviders);
			return this;
		}

		@Override
		public RequestSpec toolContext(Map<String, Object> toolContext) {
			this.delegate.toolContext(toolContext);
			return this;
		}

		@Override
		public RequestSpec system(String text) {
			this.delegate.system(text);
			return this;
		}

		@Override
		public RequestSpec system(Resource textResource, Charset charset) {
			this.delegate.system(textResource, charset);
			return this;
		}

		@Override
		public RequestSpec system(Resource text) {
			this.delegate.system(text);
			return this;
		}

		@Override
		public RequestSpec system(Consumer<PromptSystemSpec> consumer) {
			this.delegate.system(consumer);
			return this;
		}

		@Override
		public RequestSpec user(String text) {
			this.delegate.user(text);
			return this;
		}

		@Override
		public RequestSpec user(Resource text, Charset charset) {
			this.delegate.user(text, charset);
			return this;
		}

		@Override
		public RequestSpec user(Resource text) {
			this.delegate.user(text);
			return this;
		}

		@Override
		public RequestSpec user(Consumer<PromptUserSpec> consumer) {
			this.delegate.user(consumer);
			return this;
		}

		@Override
		public RequestSpec templateRenderer(TemplateRenderer templateRenderer) {
			this.delegate.templateRenderer(templateRenderer);
			return this;
		}

		@Override
		public CallResponseSpec call() {
			return this.delegate.call();
		}

		@Override
		public StreamResponseSpec stream() {
			return this.delegate.stream();
		}

	}

}
