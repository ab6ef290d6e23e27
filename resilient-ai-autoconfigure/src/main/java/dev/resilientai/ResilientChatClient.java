package dev.resilientai;

import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.template.TemplateRenderer;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.ToolCallbackProvider;
import org.springframework.core.io.Resource;

/**
 * A Spring AI {@link ChatClient} that fails over across several providers, with a circuit
 * breaker per provider, one retry loop and deadlines. It is a drop-in {@code ChatClient}:
 * advisors, tools, {@code entity(...)} and streaming work as usual, and every request may
 * name its data class with {@link RequestSpec#dataClass(String)}.
 */
public interface ResilientChatClient extends ChatClient {

	/**
	 * Advisor-param key for the request's data class, for code that only sees a plain
	 * {@code ChatClient} spec: {@code .advisors(a -> a.param(DATA_CLASS, "pii"))}.
	 */
	String DATA_CLASS = "resilient-ai.data-class";

	/**
	 * Key in {@code ChatResponse.getMetadata()} naming the provider that served the response.
	 */
	String PROVIDER = "resilient-ai.provider";

	/**
	 * Key in {@code ChatResponse.getMetadata()}: how many provider attempts the request took
	 * (an {@link Integer}).
	 */
	String ATTEMPTS = "resilient-ai.attempts";

	@Override
	RequestSpec prompt();

	@Override
	RequestSpec prompt(String content);

	@Override
	RequestSpec prompt(Prompt prompt);

	/**
	 * Return a builder of a new {@code ResilientChatClient} over the same providers, with this
	 * client's defaults, to change them.
	 * @return the builder
	 */
	@Override
	Builder mutate();

	/**
	 * A {@link ChatClient.Builder} whose {@link #build()} returns a
	 * {@code ResilientChatClient}, and which also takes a default data class.
	 */
	interface Builder extends ChatClient.Builder {

		/**
		 * Set the data class of every request of the client (one of
		 * {@code resilient-ai.data-classes}); a request may name a more sensitive one, never
		 * a less sensitive one.
		 * @param dataClass the data class
		 * @return this builder
		 */
		Builder defaultDataClass(String dataClass);

		@Override
		Builder defaultAdvisors(Advisor... advisors);

		@Override
		Builder defaultAdvisors(Consumer<AdvisorSpec> advisorSpecConsumer);

		@Override
		Builder defaultAdvisors(List<Advisor> advisors);

		@Override
		Builder defaultOptions(ChatOptions.Builder chatOptions);

		@Override
		Builder defaultUser(String text);

		@Override
		Builder defaultUser(Resource text, Charset charset);

		@Override
		Builder defaultUser(Resource text);

		@Override
		Builder defaultUser(Consumer<PromptUserSpec> userSpecConsumer);

		@Override
		Builder defaultSystem(String text);

		@Override
		Builder defaultSystem(Resource text, Charset charset);

		@Override
		Builder defaultSystem(Resource text);

		@Override
		Builder defaultSystem(Consumer<PromptSystemSpec> systemSpecConsumer);

		@Override
		Builder defaultTemplateRenderer(TemplateRenderer templateRenderer);

		@Override
		Builder defaultTools(Object... tools);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		Builder defaultToolCallbacks(ToolCallback... toolCallbacks);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		Builder defaultToolCallbacks(List<ToolCallback> toolCallbacks);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		Builder defaultToolCallbacks(ToolCallbackProvider... toolCallbackProviders);

		@Override
		Builder defaultToolContext(Map<String, Object> toolContext);

		@Override
		Builder clone();

		@Override
		ResilientChatClient build();

	}

	/**
	 * A {@link ChatClientRequestSpec} that also takes the request's data class, and returns
	 * {@code RequestSpec} from every fluent method so {@link #dataClass(String)} may stand
	 * anywhere in the chain.
	 */
	interface RequestSpec extends ChatClientRequestSpec {

		/**
		 * Set the request's data class (one of {@code resilient-ai.data-classes}). Providers
		 * not allowed for it are never called.
		 * @param dataClass the data class
		 * @return this spec
		 */
		RequestSpec dataClass(String dataClass);

		/**
		 * Return a builder of a new {@code ResilientChatClient} over the same providers whose
		 * defaults are this request's settings (its data class included).
		 * @return the builder
		 */
		@Override
		Builder mutate();

		@Override
		RequestSpec advisors(Consumer<AdvisorSpec> consumer);

		@Override
		RequestSpec advisors(Advisor... advisors);

		@Override
		RequestSpec advisors(List<Advisor> advisors);

		@Override
		RequestSpec messages(Message... messages);

		@Override
		RequestSpec messages(List<Message> messages);

		@Override
		<B extends ChatOptions.Builder<?>> RequestSpec options(B customizer);

		@Override
		RequestSpec tools(Object... tools);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		RequestSpec toolCallbacks(ToolCallback... toolCallbacks);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		RequestSpec toolCallbacks(List<ToolCallback> toolCallbacks);

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		RequestSpec toolCallbacks(ToolCallbackProvider... toolCallbackProviders);

		@Override
		RequestSpec toolContext(Map<String, Object> toolContext);

		@Override
		RequestSpec system(String text);

		@Override
		RequestSpec system(Resource textResource, Charset charset);

		@Override
		RequestSpec system(Resource text);

		@Override
		RequestSpec system(Consumer<PromptSystemSpec> consumer);

		@Override
		RequestSpec user(String text);

		@Override
		RequestSpec user(Resource text, Charset charset);

		@Override
		RequestSpec user(Resource text);

		@Override
		RequestSpec user(Consumer<PromptUserSpec> consumer);

		@Override
		RequestSpec templateRenderer(TemplateRenderer templateRenderer);

	}

}
