package dev.resilientai.client;

import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.failover.FailoverChatOptions;
import dev.resilientai.failover.RoutingContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.DefaultChatClient;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.ResponseEntity;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.template.TemplateRenderer;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.converter.StructuredOutputConverter;
import org.springframework.ai.tool.ToolCallbackProvider;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.Resource;
import org.springframework.util.Assert;

/**
 * The default {@link ResilientChatClient}: a Spring AI {@code ChatClient} over the failover
 * model, whose request specs also take a data class.
 */
public class DefaultResilientChatClient implements ResilientChatClient {

	/** One instance for every request it joins: it holds no state. */
	private static final RoutingAdvisor BEFORE_MODEL = RoutingAdvisor.beforeModel();

	private final ChatClient delegate;

	/** The client's default classes: every request starts from them. */
	private final RoutingContext defaults;

	/**
	 * Whether the routing advisor joins the requests that need it, the delegate carrying
	 * none of its own (see {@link #overRoutedView(ChatClient)}).
	 */
	private final boolean joinsRoutingAdvisor;

	/**
	 * Create a client that delegates to a {@code ChatClient} built over the failover model
	 * with {@link RoutingAdvisor#beforeModel()} among its default advisors. The classes named
	 * on a request ({@code dataClass(...)} or the advisor param) are current from the
	 * request's entry, before any advisor runs.
	 * @param delegate the delegate client
	 */
	public DefaultResilientChatClient(ChatClient delegate) {
		this(delegate, RoutingContext.DEFAULT, false);
	}

	private DefaultResilientChatClient(ChatClient delegate, RoutingContext defaults, boolean joinsRoutingAdvisor) {
		Assert.notNull(delegate, "'delegate' must not be null");
		this.delegate = delegate;
		this.defaults = defaults;
		this.joinsRoutingAdvisor = joinsRoutingAdvisor;
	}

	/**
	 * Create a client that delegates to a {@code ChatClient} built over
	 * {@link dev.resilientai.failover.FailoverChatModel#routedView()} with no routing advisor
	 * among its default advisors. The classes named on a request are current from its entry,
	 * so its prompt's options carry them from the start; {@link RoutingAdvisor#beforeModel()}
	 * joins each request that has advisors, which could name a class in the request context
	 * on the way to the model, or a data-class advisor param, and stays out of the others,
	 * where it would change nothing (the cost of one more advisor in Spring AI's chain: its
	 * ordering, and an observation when observations are on).
	 * @param delegate the delegate client
	 * @return the client
	 */
	public static DefaultResilientChatClient overRoutedView(ChatClient delegate) {
		return new DefaultResilientChatClient(delegate, RoutingContext.DEFAULT, true);
	}

	@Override
	public RequestSpec prompt() {
		return new DefaultRequestSpec(this.delegate.prompt(), this.defaults, this.joinsRoutingAdvisor);
	}

	@Override
	public RequestSpec prompt(String content) {
		return new DefaultRequestSpec(this.delegate.prompt(content), this.defaults, this.joinsRoutingAdvisor);
	}

	@Override
	public RequestSpec prompt(Prompt prompt) {
		DefaultRequestSpec spec = new DefaultRequestSpec(this.delegate.prompt(prompt), this.defaults,
				this.joinsRoutingAdvisor);
		if (prompt.getOptions() instanceof FailoverChatOptions options) {
			options.getDataClasses().forEach(spec::named);
		}
		return spec;
	}

	@Override
	public Builder mutate() {
		return new DefaultBuilder(this.delegate.mutate(), this.defaults, this.joinsRoutingAdvisor);
	}

	/**
	 * Whether a request needs the routing advisor before its model call: unless it is
	 * Spring AI's own request spec with no advisor (the tool-calling advisor Spring AI adds
	 * at the call is its own) and no data-class advisor param other than one of the classes
	 * current from its entry, nothing can name a class on the way to the model that its entry
	 * did not make current.
	 * @param spec the request
	 * @param named the classes current from the request's entry
	 */
	static boolean needsRoutingAdvisor(ChatClientRequestSpec spec, RoutingContext named) {
		if (!(spec instanceof DefaultChatClient.DefaultChatClientRequestSpec request)) {
			return true;
		}
		List<Advisor> advisors = request.getAdvisors();
		for (Advisor advisor : advisors) {
			if (advisor instanceof RoutingAdvisor) {
				// joined already (call() or stream() again on the same spec), or the delegate's own
				return false;
			}
		}
		if (!advisors.isEmpty()) {
			return true;
		}
		Object param = request.getAdvisorParams().get(DATA_CLASS);
		// a param set where it was not noted (a customizer of the raw builder), or not a
		// class name at all (the advisor refuses it)
		return param != null && !named.dataClasses().contains(param);
	}

	static final class DefaultRequestSpec implements RequestSpec {

		private final ChatClientRequestSpec delegate;

		/** The classes named on this spec: current while the request runs, from its entry. */
		private RoutingContext routing;

		private final boolean joinsRoutingAdvisor;

		DefaultRequestSpec(ChatClientRequestSpec delegate, RoutingContext defaults, boolean joinsRoutingAdvisor) {
			this.delegate = delegate;
			this.routing = defaults;
			this.joinsRoutingAdvisor = joinsRoutingAdvisor;
		}

		private void joinRoutingAdvisorIfNeeded() {
			if (this.joinsRoutingAdvisor && needsRoutingAdvisor(this.delegate, this.routing)) {
				this.delegate.advisors(BEFORE_MODEL);
			}
		}

		@Override
		public RequestSpec dataClass(String dataClass) {
			Assert.hasText(dataClass, "'dataClass' must not be empty");
			this.delegate.advisors((advisor) -> advisor.param(DATA_CLASS, dataClass));
			this.routing = this.routing.with(RoutingContext.of(dataClass));
			return this;
		}

		private void named(@Nullable Object dataClass) {
			if (dataClass instanceof String name && !name.isBlank()) {
				this.routing = this.routing.with(RoutingContext.of(name));
			}
		}

		@Override
		public Builder mutate() {
			return new DefaultBuilder(this.delegate.mutate(), this.routing, this.joinsRoutingAdvisor);
		}

		@Override
		public RequestSpec advisors(Consumer<AdvisorSpec> consumer) {
			Assert.notNull(consumer, "consumer cannot be null");
			this.delegate.advisors((spec) -> consumer.accept(new RecordingAdvisorSpec(spec, this::named)));
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
			if (customizer instanceof FailoverChatOptions.Builder failover) {
				failover.clone().build().getDataClasses().forEach(this::named);
			}
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
			joinRoutingAdvisorIfNeeded();
			if (this.routing.dataClasses().isEmpty()) {
				return this.delegate.call();
			}
			// current while Spring AI builds the prompt, so the prompt's options carry the class
			RoutingContext previous = this.routing.enter();
			try {
				return new ScopedCallResponseSpec(this.delegate.call(), this.routing);
			}
			finally {
				RoutingContext.restore(previous);
			}
		}

		@Override
		public StreamResponseSpec stream() {
			joinRoutingAdvisorIfNeeded();
			if (this.routing.dataClasses().isEmpty()) {
				return this.delegate.stream();
			}
			RoutingContext previous = this.routing.enter();
			try {
				return new ScopedStreamResponseSpec(this.delegate.stream(), this.routing);
			}
			finally {
				RoutingContext.restore(previous);
			}
		}

	}

	/**
	 * Builds a new {@code ResilientChatClient} over the same failover model: a Spring AI
	 * {@code ChatClient.Builder} whose settings carry over, plus the default data classes.
	 */
	static final class DefaultBuilder implements Builder {

		private final ChatClient.Builder delegate;

		private RoutingContext defaults;

		private final boolean joinsRoutingAdvisor;

		DefaultBuilder(ChatClient.Builder delegate, RoutingContext defaults, boolean joinsRoutingAdvisor) {
			this.delegate = delegate;
			this.defaults = defaults;
			this.joinsRoutingAdvisor = joinsRoutingAdvisor;
		}

		@Override
		public Builder defaultDataClass(String dataClass) {
			Assert.hasText(dataClass, "'dataClass' must not be empty");
			this.defaults = this.defaults.with(RoutingContext.of(dataClass));
			return this;
		}

		@Override
		public Builder defaultAdvisors(Advisor... advisors) {
			this.delegate.defaultAdvisors(advisors);
			return this;
		}

		@Override
		public Builder defaultAdvisors(Consumer<AdvisorSpec> advisorSpecConsumer) {
			Assert.notNull(advisorSpecConsumer, "advisorSpecConsumer cannot be null");
			// a data-class param among the defaults is a default class of the client's requests
			this.delegate.defaultAdvisors(
					(spec) -> advisorSpecConsumer.accept(new RecordingAdvisorSpec(spec, this::namedDefault)));
			return this;
		}

		private void namedDefault(@Nullable Object dataClass) {
			if (dataClass instanceof String name && !name.isBlank()) {
				this.defaults = this.defaults.with(RoutingContext.of(name));
			}
		}

		@Override
		public Builder defaultAdvisors(List<Advisor> advisors) {
			this.delegate.defaultAdvisors(advisors);
			return this;
		}

		@Override
		public Builder defaultOptions(ChatOptions.Builder chatOptions) {
			this.delegate.defaultOptions(chatOptions);
			if (chatOptions instanceof FailoverChatOptions.Builder failover) {
				failover.clone().build().getDataClasses().forEach(this::namedDefault);
			}
			return this;
		}

		@Override
		public Builder defaultUser(String text) {
			this.delegate.defaultUser(text);
			return this;
		}

		@Override
		public Builder defaultUser(Resource text, Charset charset) {
			this.delegate.defaultUser(text, charset);
			return this;
		}

		@Override
		public Builder defaultUser(Resource text) {
			this.delegate.defaultUser(text);
			return this;
		}

		@Override
		public Builder defaultUser(Consumer<PromptUserSpec> userSpecConsumer) {
			this.delegate.defaultUser(userSpecConsumer);
			return this;
		}

		@Override
		public Builder defaultSystem(String text) {
			this.delegate.defaultSystem(text);
			return this;
		}

		@Override
		public Builder defaultSystem(Resource text, Charset charset) {
			this.delegate.defaultSystem(text, charset);
			return this;
		}

		@Override
		public Builder defaultSystem(Resource text) {
			this.delegate.defaultSystem(text);
			return this;
		}

		@Override
		public Builder defaultSystem(Consumer<PromptSystemSpec> systemSpecConsumer) {
			this.delegate.defaultSystem(systemSpecConsumer);
			return this;
		}

		@Override
		public Builder defaultTemplateRenderer(TemplateRenderer templateRenderer) {
			this.delegate.defaultTemplateRenderer(templateRenderer);
			return this;
		}

		@Override
		public Builder defaultTools(Object... tools) {
			this.delegate.defaultTools(tools);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public Builder defaultToolCallbacks(ToolCallback... toolCallbacks) {
			this.delegate.defaultTools((Object[]) toolCallbacks);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public Builder defaultToolCallbacks(List<ToolCallback> toolCallbacks) {
			this.delegate.defaultTools(toolCallbacks);
			return this;
		}

		@Override
		@Deprecated(since = "2.0.0", forRemoval = true)
		public Builder defaultToolCallbacks(ToolCallbackProvider... toolCallbackProviders) {
			this.delegate.defaultTools((Object[]) toolCallbackProviders);
			return this;
		}

		@Override
		public Builder defaultToolContext(Map<String, Object> toolContext) {
			this.delegate.defaultToolContext(toolContext);
			return this;
		}

		@Override
		public Builder clone() {
			return new DefaultBuilder(this.delegate.clone(), this.defaults, this.joinsRoutingAdvisor);
		}

		@Override
		public ResilientChatClient build() {
			return new DefaultResilientChatClient(this.delegate.build(), this.defaults, this.joinsRoutingAdvisor);
		}

	}

	/**
	 * Notes the data class a caller sets as an advisor param, so that it is current from the
	 * request's entry, before any advisor runs.
	 */
	private record RecordingAdvisorSpec(AdvisorSpec delegate, Consumer<@Nullable Object> named)
			implements AdvisorSpec {

		@Override
		public AdvisorSpec param(String key, Object value) {
			this.delegate.param(key, value);
			if (DATA_CLASS.equals(key)) {
				this.named.accept(value);
			}
			return this;
		}

		@Override
		public AdvisorSpec params(Map<String, Object> params) {
			this.delegate.params(params);
			this.named.accept(params.get(DATA_CLASS));
			return this;
		}

		@Override
		public AdvisorSpec advisors(Advisor... advisors) {
			this.delegate.advisors(advisors);
			return this;
		}

		@Override
		public AdvisorSpec advisors(List<Advisor> advisors) {
			this.delegate.advisors(advisors);
			return this;
		}

	}

	/**
	 * Runs each way of reading a call's answer with the request's classes current, so that
	 * every advisor (whatever its order), tool callback and model call of the request sees
	 * them, and requests they make inherit them.
	 */
	private record ScopedCallResponseSpec(CallResponseSpec delegate, RoutingContext routing)
			implements CallResponseSpec {

		@Override
		public <T> @Nullable T entity(ParameterizedTypeReference<T> type, Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.entity(type, consumer));
		}

		@Override
		public <T> @Nullable T entity(ParameterizedTypeReference<T> type) {
			return this.routing.apply(() -> this.delegate.entity(type));
		}

		@Override
		public <T> @Nullable T entity(StructuredOutputConverter<T> converter, Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.entity(converter, consumer));
		}

		@Override
		public <T> @Nullable T entity(StructuredOutputConverter<T> converter) {
			return this.routing.apply(() -> this.delegate.entity(converter));
		}

		@Override
		public <T> @Nullable T entity(Class<T> type, Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.entity(type, consumer));
		}

		@Override
		public <T> @Nullable T entity(Class<T> type) {
			return this.routing.apply(() -> this.delegate.entity(type));
		}

		@Override
		public ChatClientResponse chatClientResponse() {
			RoutingContext previous = this.routing.enter();
			try {
				return this.delegate.chatClientResponse();
			}
			finally {
				RoutingContext.restore(previous);
			}
		}

		@Override
		public @Nullable ChatResponse chatResponse() {
			RoutingContext previous = this.routing.enter();
			try {
				return this.delegate.chatResponse();
			}
			finally {
				RoutingContext.restore(previous);
			}
		}

		@Override
		public @Nullable String content() {
			RoutingContext previous = this.routing.enter();
			try {
				return this.delegate.content();
			}
			finally {
				RoutingContext.restore(previous);
			}
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(Class<T> type, Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.responseEntity(type, consumer));
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(Class<T> type) {
			return this.routing.apply(() -> this.delegate.responseEntity(type));
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(ParameterizedTypeReference<T> type,
				Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.responseEntity(type, consumer));
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(ParameterizedTypeReference<T> type) {
			return this.routing.apply(() -> this.delegate.responseEntity(type));
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(StructuredOutputConverter<T> converter,
				Consumer<EntityParamSpec> consumer) {
			return this.routing.apply(() -> this.delegate.responseEntity(converter, consumer));
		}

		@Override
		public <T> ResponseEntity<ChatResponse, T> responseEntity(StructuredOutputConverter<T> converter) {
			return this.routing.apply(() -> this.delegate.responseEntity(converter));
		}

	}

	/**
	 * Subscribes to a stream with the request's classes current and in its Reactor context.
	 */
	private record ScopedStreamResponseSpec(StreamResponseSpec delegate, RoutingContext routing)
			implements StreamResponseSpec {

		@Override
		public Flux<ChatClientResponse> chatClientResponse() {
			return this.routing.within(Flux.defer(this.delegate::chatClientResponse));
		}

		@Override
		public Flux<ChatResponse> chatResponse() {
			return this.routing.within(Flux.defer(this.delegate::chatResponse));
		}

		@Override
		public Flux<String> content() {
			return this.routing.within(Flux.defer(this.delegate::content));
		}

	}

}
