package dev.resilientai.failover;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.util.Assert;
import org.springframework.util.ClassUtils;

/**
 * One provider the failover loop can route to: a Spring AI {@link ChatModel}, its circuit
 * breaker and bulkhead, its attempt timeout, and its run-time state (enabled, resting after a
 * 429 or a 503 with {@code Retry-After}).
 */
public final class Provider {

	private static final boolean OPENAI_PRESENT = ClassUtils.isPresent("org.springframework.ai.openai.OpenAiChatOptions",
			Provider.class.getClassLoader());

	private final String name;

	private final int priority;

	private final Duration timeout;

	private final ChatModel model;

	private final CircuitBreaker circuitBreaker;

	private final Bulkhead bulkhead;

	private final @Nullable Set<String> allowedDataClasses;

	private volatile boolean enabled;

	/** Spring AI models whose wire formats always end a stream with an end marker. */
	private static final String ANTHROPIC_OPTIONS = "org.springframework.ai.anthropic.AnthropicChatOptions$Builder";

	private static final Set<String> END_MARKED_MODELS = Set.of("org.springframework.ai.openai.OpenAiChatModel",
			"org.springframework.ai.anthropic.AnthropicChatModel", "org.springframework.ai.ollama.OllamaChatModel");

	private volatile boolean endMarkerRequired;

	private volatile boolean nativeStructuredOutput;

	private static final String FORMAT_INSTRUCTIONS = """
			Answer with JSON only: one RFC 8259 JSON value, with no explanation before or after it \
			and no markdown code fence around it. It must be valid against this JSON Schema:
			%s""";

	/** Whether the provider answered since its last failure: true until its first failure. */
	private volatile boolean answered = true;

	private final AtomicReference<@Nullable Instant> rateLimitedUntil = new AtomicReference<>();

	private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

	/** The provider whose probe's answer the breaker hears on this thread, if any. */
	private static final ThreadLocal<@Nullable Provider> JUDGING = new ThreadLocal<>();

	private final Object drillLock = new Object();

	private volatile @Nullable String fleetOrigin;

	private volatile @Nullable String faultDomain;

	private volatile @Nullable Drill drill;

	private final java.util.concurrent.atomic.AtomicBoolean comebackProbe = new java.util.concurrent.atomic.AtomicBoolean();

	private final java.util.concurrent.atomic.LongAdder probesSent = new java.util.concurrent.atomic.LongAdder();

	private final java.util.concurrent.atomic.LongAdder probesAnswered = new java.util.concurrent.atomic.LongAdder();

	/** {@link System#nanoTime()} of the first answered probe of a half-open spell; 0 for none. */
	private final java.util.concurrent.atomic.AtomicLong firstProbeAnswer = new java.util.concurrent.atomic.AtomicLong();

	private final java.util.Map<Drill.Fault, java.util.concurrent.atomic.LongAdder> drillInjections = new java.util.EnumMap<>(
			Map.of(Drill.Fault.ERROR, new java.util.concurrent.atomic.LongAdder(), Drill.Fault.LATENCY,
					new java.util.concurrent.atomic.LongAdder(), Drill.Fault.HANG,
					new java.util.concurrent.atomic.LongAdder()));

	public Provider(String name, int priority, Duration timeout, boolean enabled, ChatModel model,
			CircuitBreaker circuitBreaker) {
		this(name, priority, timeout, enabled, model, circuitBreaker, null);
	}

	/**
	 * Create a provider.
	 * @param name the provider name (also its breaker's name)
	 * @param priority lower is tried first
	 * @param timeout the timeout of one attempt
	 * @param enabled whether it takes traffic
	 * @param model the model it calls
	 * @param circuitBreaker its breaker
	 * @param allowedDataClasses the data classes it may serve (in this order), or {@code null} for every class
	 */
	public Provider(String name, int priority, Duration timeout, boolean enabled, ChatModel model,
			CircuitBreaker circuitBreaker, @Nullable Set<String> allowedDataClasses) {
		this(name, priority, timeout, enabled, model, circuitBreaker,
				Bulkhead.of(name, BulkheadConfig.custom().maxWaitDuration(Duration.ZERO).build()), allowedDataClasses);
	}

	/**
	 * Create a provider.
	 * @param name the provider name (also its breaker's and bulkhead's name)
	 * @param priority lower is tried first
	 * @param timeout the timeout of one attempt
	 * @param enabled whether it takes traffic
	 * @param model the model it calls
	 * @param circuitBreaker its breaker
	 * @param bulkhead its bulkhead, which bounds the requests waiting on it at once
	 * @param allowedDataClasses the data classes it may serve (in this order), or {@code null} for every class
	 */
	public Provider(String name, int priority, Duration timeout, boolean enabled, ChatModel model,
			CircuitBreaker circuitBreaker, Bulkhead bulkhead, @Nullable Set<String> allowedDataClasses) {
		Assert.hasText(name, "'name' must not be empty");
		Assert.isTrue((timeout.compareTo(Duration.ZERO) > 0), "'timeout' must be positive");
		this.name = name;
		this.priority = priority;
		this.timeout = timeout;
		this.enabled = enabled;
		this.model = model;
		this.circuitBreaker = circuitBreaker;
		this.bulkhead = bulkhead;
		this.endMarkerRequired = isEndMarked(model.getClass());
		this.nativeStructuredOutput = supportsOutputSchema(model);
		this.allowedDataClasses = (allowedDataClasses != null)
				? java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(allowedDataClasses)) : null;
	}

	/**
	 * Whether the provider may serve a request of the given data class.
	 * @param dataClass the request's class
	 * @return {@code true} if allowed
	 */
	public boolean isAllowed(String dataClass) {
		return this.allowedDataClasses == null || this.allowedDataClasses.contains(dataClass);
	}

	/**
	 * Return the data classes the provider may serve.
	 * @return the classes, or {@code null} when it may serve every class
	 */
	public @Nullable Set<String> getAllowedDataClasses() {
		return this.allowedDataClasses;
	}

	public String getName() {
		return this.name;
	}

	public int getPriority() {
		return this.priority;
	}

	/**
	 * Return the timeout of one attempt on this provider.
	 * @return the attempt timeout
	 */
	public Duration getTimeout() {
		return this.timeout;
	}

	public ChatModel getModel() {
		return this.model;
	}

	/**
	 * Adapt a prompt to this provider. Spring AI 2.0 models expect fully resolved options of
	 * their own type, so the request's portable options (temperature, max tokens, stop
	 * sequences, tools...) are laid over the model's own defaults, then the request's options
	 * of this model's own type, if any (see {@link FailoverChatOptions}). The request's model
	 * name is dropped: each provider answers with its own model. Tools named on the request
	 * replace the model's default tools. An output schema on the request is sent natively if
	 * the provider {@linkplain #isNativeStructuredOutput() takes one}, and as format
	 * instructions at the end of the user message if not.
	 * @param prompt the prompt as the failover model received it
	 * @return the prompt to send to this provider's model
	 */
	public Prompt promptFor(Prompt prompt) {
		return promptFor(prompt, null);
	}

	/**
	 * Adapt a prompt to this provider for a stream attempt whose HTTP call must carry a
	 * cancellation tag (see {@link StreamCancellation}).
	 * @param prompt the prompt as the failover model received it
	 * @param streamTag the attempt's tag, or {@code null}
	 * @return the prompt to send to this provider's model
	 */
	Prompt promptFor(Prompt prompt, @Nullable String streamTag) {
		ChatOptions requested = prompt.getOptions();
		if (requested == null && streamTag == null) {
			return prompt;
		}
		ChatOptions own = this.model.getOptions();
		ChatOptions.Builder<?> options = (own instanceof ToolCallingChatOptions) ? own.mutate()
				: (own != null) ? ToolCallingChatOptions.builder().combineWith(own.mutate())
						: ToolCallingChatOptions.builder();
		String outputSchema = null;
		if (requested != null) {
			ChatOptions.Builder<?> portable = requested.mutate().model(null);
			if (requested instanceof ToolCallingChatOptions tools && tools.getToolCallbacks() != null
					&& options instanceof ToolCallingChatOptions.Builder<?> toolOptions
					&& portable instanceof ToolCallingChatOptions.Builder<?> requestTools) {
				// the request's tools replace the model's defaults, as a ChatClient's do; of the
				// other providers' default tools (in the failover model's defaults, so that the
				// tool loop knows them) this provider gets none: only its own model's
				toolOptions.toolCallbacks((List<ToolCallback>) null);
				requestTools.toolCallbacks(withoutOthersDefaults(tools.getToolCallbacks(), own));
			}
			// portable options, and options of this provider's own type given directly
			options.combineWith(portable);
			if (requested instanceof FailoverChatOptions failover && own != null) {
				for (ChatOptions specific : failover.getProviderSpecificOptions()) {
					if (specific.getClass() == own.getClass()) {
						options.combineWith(specific.mutate().model(null));
					}
				}
			}
			if (requested instanceof FailoverChatOptions failover) {
				// only the failover options' own schema: another kind's field (Ollama's "json"
				// format, say) is not a schema for every provider
				outputSchema = failover.getOutputSchema();
			}
		}
		boolean formatInstructions = false;
		if (outputSchema != null) {
			if (this.nativeStructuredOutput && options instanceof StructuredOutputChatOptions.Builder<?> structured
					&& !(ANTHROPIC_OPTIONS.equals(options.getClass().getName()) && outputSchema.contains("\"$ref\""))) {
				structured.outputSchema(outputSchema);
			}
			else {
				// Spring AI's Anthropic options drop a schema's $defs but keep its $refs: a schema
				// with references goes to Anthropic as format instructions
				formatInstructions = true;
			}
		}
		ChatOptions resolved = withoutDuplicateTools(options.build());
		if (streamTag != null && OPENAI_PRESENT) {
			resolved = OpenAiStreamTag.tag(resolved, streamTag);
		}
		// the request's own messages, not copies (Prompt.mutate() copies each one): models
		// read messages and never change them, and format instructions replace the user
		// message in a copy of the list
		Prompt adapted = new Prompt(prompt.getInstructions(), resolved);
		if (formatInstructions) {
			return withFormatInstructions(adapted, outputSchema);
		}
		return adapted;
	}

	/**
	 * Whether this provider's request for the given prompt carries the request's output
	 * schema natively: if the provider rejects it as a bad request, the request is not the
	 * caller's fault, and moves on.
	 * @param prompt the prompt as the failover model received it
	 * @return {@code true} if a schema was sent natively
	 */
	boolean sendsSchemaNatively(Prompt prompt) {
		return this.nativeStructuredOutput && prompt.getOptions() instanceof FailoverChatOptions failover
				&& failover.getOutputSchema() != null;
	}

	/** The default tools of every provider's model, by identity (see {@link FailoverChatModel}). */
	private volatile Set<ToolCallback> sharedDefaultTools = Set.of();

	void setSharedDefaultTools(Set<ToolCallback> tools) {
		this.sharedDefaultTools = tools;
	}

	/**
	 * The request's tools without the default tools of other providers' models: a provider
	 * is offered its own model's defaults and the tools the request or client named.
	 */
	private List<ToolCallback> withoutOthersDefaults(List<ToolCallback> tools, @Nullable ChatOptions own) {
		Set<ToolCallback> shared = this.sharedDefaultTools;
		if (shared.isEmpty()) {
			return tools;
		}
		Set<String> ownNames = new java.util.HashSet<>();
		if (own instanceof ToolCallingChatOptions ownTools && ownTools.getToolCallbacks() != null) {
			ownTools.getToolCallbacks().forEach((tool) -> ownNames.add(tool.getToolDefinition().name()));
		}
		List<ToolCallback> offered = new ArrayList<>(tools.size());
		for (ToolCallback tool : tools) {
			if (!shared.contains(tool) || ownNames.contains(tool.getToolDefinition().name())) {
				offered.add(tool);
			}
		}
		return offered;
	}

	/**
	 * Keep the first tool of each name (the request's before those of provider-specific
	 * options): a model refuses two tools of one name.
	 */
	private static ChatOptions withoutDuplicateTools(ChatOptions options) {
		if (!(options instanceof ToolCallingChatOptions tools) || tools.getToolCallbacks() == null
				|| tools.getToolCallbacks().size() < 2) {
			return options;
		}
		List<ToolCallback> callbacks = tools.getToolCallbacks();
		Map<String, ToolCallback> byName = new LinkedHashMap<>();
		for (ToolCallback callback : callbacks) {
			byName.putIfAbsent(callback.getToolDefinition().name(), callback);
		}
		if (byName.size() == callbacks.size()) {
			return options;
		}
		return tools.mutate().toolCallbacks(new ArrayList<>(byName.values())).build();
	}

	/**
	 * Ask a provider whose model takes no schema for the schema's format in the prompt, as
	 * Spring AI's {@code ChatClient} does without native structured output.
	 */
	private static Prompt withFormatInstructions(Prompt prompt, String outputSchema) {
		String instructions = FORMAT_INSTRUCTIONS.formatted(outputSchema);
		return prompt.augmentUserMessage((message) -> message.mutate()
			.text(((message.getText() != null) ? message.getText() : "") + System.lineSeparator() + instructions)
			.build());
	}

	/**
	 * Whether the provider receives a request's output schema natively (as its model's
	 * {@code outputSchema} option: OpenAI's {@code response_format}, Anthropic's
	 * {@code output_config}, Ollama's {@code format}) rather than as format instructions
	 * in the prompt.
	 * @return {@code true} if the schema is sent natively
	 */
	public boolean isNativeStructuredOutput() {
		return this.nativeStructuredOutput;
	}

	/**
	 * Say whether the provider receives a request's output schema natively; only models
	 * whose options take a schema can.
	 * @param nativeStructuredOutput {@code false} to send format instructions instead
	 */
	public void setNativeStructuredOutput(boolean nativeStructuredOutput) {
		this.nativeStructuredOutput = nativeStructuredOutput && supportsOutputSchema(this.model);
	}

	/** Spring AI's OpenAI, Anthropic or Ollama model, or a subclass or proxy of one. */
	private static boolean isEndMarked(Class<?> modelClass) {
		for (Class<?> type = modelClass; type != null && type != Object.class; type = type.getSuperclass()) {
			if (END_MARKED_MODELS.contains(type.getName())) {
				return true;
			}
		}
		return false;
	}

	private static boolean supportsOutputSchema(ChatModel model) {
		return model.getOptions() instanceof StructuredOutputChatOptions;
	}

	public CircuitBreaker getCircuitBreaker() {
		return this.circuitBreaker;
	}

	/**
	 * Whether a stream of this provider must end with its end marker to count as complete:
	 * by default for Spring AI's OpenAI, Anthropic and Ollama models, whose wire formats
	 * always send one, not for other models, whose streams may simply complete.
	 * @return {@code true} if a stream without its end marker is truncated
	 */
	public boolean isEndMarkerRequired() {
		return this.endMarkerRequired;
	}

	/**
	 * Say whether a stream of this provider must end with its end marker.
	 * @param endMarkerRequired whether a stream without one is truncated
	 */
	public void setEndMarkerRequired(boolean endMarkerRequired) {
		this.endMarkerRequired = endMarkerRequired;
	}

	/**
	 * Note an answer of the provider (cheap: writes only when the provider had failed).
	 */
	void noteAnswer() {
		if (!this.answered) {
			this.answered = true;
		}
	}

	/**
	 * Note a failure of the provider.
	 * @return {@code true} if the provider had answered since its previous failure (or it is
	 * its first failure): the failure is news
	 */
	public boolean noteFailure() {
		if (!this.answered) {
			return false;
		}
		this.answered = false;
		return true;
	}

	public Bulkhead getBulkhead() {
		return this.bulkhead;
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Take the provider out of rotation or put it back (the kill switch); listeners hear of a
	 * change.
	 * @param enabled whether it takes traffic
	 */
	public void setEnabled(boolean enabled) {
		boolean changed = this.enabled != enabled;
		this.enabled = enabled;
		if (changed && enabled) {
			// back from the kill switch: the first request after it is a probe
			this.comebackProbe.set(true);
		}
		if (changed) {
			for (Listener listener : this.listeners) {
				listener.enabledChanged(this, enabled);
			}
		}
	}

	/**
	 * Add a listener of the provider's kill switch and rests.
	 * @param listener the listener
	 */
	public void addListener(Listener listener) {
		this.listeners.add(listener);
	}

	/**
	 * Return the provider's drill, if one runs now.
	 * @param now the instant
	 * @return the drill, or {@code null}
	 */
	public @Nullable Drill getDrill(Instant now) {
		Drill current = this.drill;
		return (current != null && current.isActive(now)) ? current : null;
	}

	/**
	 * Start a drill on the provider (replacing a running one), or stop it; listeners hear of
	 * it.
	 * @param drill the drill, or {@code null} to stop it
	 */
	public void setDrill(@Nullable Drill drill) {
		synchronized (this.drillLock) {
			Drill previous = this.drill;
			this.drill = drill;
			// under the lock: listeners hear of changes in the order they were made
			for (Listener listener : this.listeners) {
				listener.drillChanged(this, previous, drill);
			}
		}
	}

	/**
	 * Stop the given drill if it is still the provider's (it ended by itself); listeners hear
	 * of it.
	 * @param drill the drill that ended
	 */
	public void clearDrill(Drill drill) {
		synchronized (this.drillLock) {
			if (this.drill != drill) {
				return;
			}
			this.drill = null;
			for (Listener listener : this.listeners) {
				listener.drillChanged(this, drill, null);
			}
		}
	}

	/**
	 * Roll the drill's dice for one attempt.
	 * @param now the instant
	 * @return the fault the attempt meets, or {@code null} if none
	 */
	@Nullable Drill drillFault(Instant now) {
		Drill current = this.drill;
		if (current == null || !current.isActive(now)
				|| java.util.concurrent.ThreadLocalRandom.current().nextDouble() >= current.ratio()) {
			return null;
		}
		this.drillInjections.get(current.fault()).increment();
		return current;
	}

	/**
	 * Return how many attempts met an injected fault of the given kind.
	 * @param fault the fault
	 * @return the count
	 */
	public long drillInjections(Drill.Fault fault) {
		return this.drillInjections.get(fault).sum();
	}

	/**
	 * Return the fault domain the provider runs in: its {@code fault-domain} label, or its
	 * own name when it has none (a domain of its own).
	 * @return the fault domain
	 */
	public String getFaultDomain() {
		String domain = this.faultDomain;
		return (domain != null) ? domain : this.name;
	}

	/**
	 * Return the provider's fault-domain label, if it has one.
	 * @return the label, or {@code null}
	 */
	public @Nullable String getFaultDomainLabel() {
		return this.faultDomain;
	}

	/**
	 * Label the infrastructure the provider runs on ({@code aws-us-east-1}, {@code on-prem}):
	 * after a provider fails, the next attempt prefers providers of another fault domain.
	 * @param faultDomain the label, or {@code null} for a domain of its own
	 */
	public void setFaultDomain(@Nullable String faultDomain) {
		this.faultDomain = (faultDomain != null && !faultDomain.isBlank()) ? faultDomain.trim() : null;
	}

	/**
	 * Return the fleet instance whose shared event set the provider's state last, if the
	 * state came from the fleet rather than from this instance.
	 * @return the instance id, or {@code null} when the state is local
	 */
	public @Nullable String getFleetOrigin() {
		return this.fleetOrigin;
	}

	/**
	 * Say which fleet instance's event set the provider's state last.
	 * @param fleetOrigin the instance id, or {@code null} for local state
	 */
	public void setFleetOrigin(@Nullable String fleetOrigin) {
		this.fleetOrigin = fleetOrigin;
	}

	/**
	 * Hears of changes of a provider's kill switch and rests, on the thread that makes them.
	 * Implementations must be quick.
	 */
	public interface Listener {

		/**
		 * The provider was taken out of rotation or put back.
		 * @param provider the provider
		 * @param enabled whether it takes traffic now
		 */
		default void enabledChanged(Provider provider, boolean enabled) {
		}

		/**
		 * The provider rests until the given instant (after a {@code Retry-After}).
		 * @param provider the provider
		 * @param until the end of the rest
		 */
		default void restingUntil(Provider provider, Instant until) {
		}

		/**
		 * A drill started on the provider, or stopped.
		 * @param provider the provider
		 * @param drill the drill, or {@code null} when stopped
		 */
		default void drillChanged(Provider provider, @Nullable Drill drill) {
		}

		/**
		 * A drill started on the provider, replacing another or none, or stopped. Called
		 * while the change is made (changes of one provider are heard in their order); by
		 * default calls {@link #drillChanged(Provider, Drill)}.
		 * @param provider the provider
		 * @param previous the drill that ran before the change, or {@code null}
		 * @param drill the drill, or {@code null} when stopped
		 */
		default void drillChanged(Provider provider, @Nullable Drill previous, @Nullable Drill drill) {
			drillChanged(provider, drill);
		}

	}

	/**
	 * Return until when the provider rests after a 429 or 503 with {@code Retry-After}, if it does.
	 * @return the instant the rest ends, or {@code null}
	 */
	public @Nullable Instant getRateLimitedUntil() {
		return this.rateLimitedUntil.get();
	}

	/**
	 * Whether the provider is resting after a {@code Retry-After} at the clock's current time.
	 * @param clock the clock to read
	 * @return {@code true} while the provider must not be called
	 */
	public boolean isRateLimited(Clock clock) {
		Instant until = this.rateLimitedUntil.get();
		if (until == null) {
			return false;
		}
		if (clock.instant().isBefore(until)) {
			return true;
		}
		if (this.rateLimitedUntil.compareAndSet(until, null)) {
			// back from a Retry-After rest: the first request after it is a probe
			this.comebackProbe.set(true);
		}
		return false;
	}

	/**
	 * Whether the provider's breaker is half-open: its calls are probes.
	 * @return {@code true} if half-open
	 */
	boolean isHalfOpen() {
		return this.circuitBreaker.getState() == CircuitBreaker.State.HALF_OPEN;
	}

	/**
	 * Whether an attempt about to run on this provider is a probe: its breaker is half-open,
	 * or it is the first attempt after a rest or the kill switch.
	 * @return {@code true} for a probe (taking the come-back probe, if it was one)
	 */
	boolean takeProbe() {
		if (this.circuitBreaker.getState() == CircuitBreaker.State.HALF_OPEN) {
			return true;
		}
		// one request takes a come-back probe, however many arrive at once
		return this.comebackProbe.get() && this.comebackProbe.compareAndSet(true, false);
	}

	/**
	 * Forget a pending come-back probe (after a rest or the kill switch): the next request is
	 * an ordinary attempt.
	 */
	public void clearComebackProbe() {
		this.comebackProbe.set(false);
	}

	/**
	 * A probe was sent to the provider.
	 */
	void probeSent() {
		this.probesSent.increment();
	}

	/**
	 * A probe of the provider answered.
	 */
	void probeAnswered() {
		this.probesAnswered.increment();
	}

	/**
	 * Tell the breaker of a probe's outcome, an answer or a failure: a transition the breaker's
	 * listeners hear meanwhile (on this thread) is the probe's doing (see
	 * {@link #isClosingOnProbeAnswer()}); Resilience4j decides a half-open spell when its last
	 * permitted call is recorded, so a spell whose earlier probes answered may close on its
	 * last probe's failure. The recovery's time starts with the first answer of a spell.
	 * @param record tells the breaker
	 * @param answered whether the probe answered
	 */
	void judgeProbeOutcome(Runnable record, boolean answered) {
		if (answered && this.firstProbeAnswer.get() == 0) {
			this.firstProbeAnswer.compareAndSet(0, System.nanoTime());
		}
		Provider previous = JUDGING.get();
		JUDGING.set(this);
		try {
			record.run();
		}
		finally {
			JUDGING.set(previous);
		}
	}

	/**
	 * Whether the breaker is being told of a probe's answer on this thread: a transition
	 * heard now (by the breaker's listeners, on this thread) is that answer's doing, not an
	 * operator's or the fleet's.
	 * @return {@code true} while a probe's answer is being judged
	 */
	public boolean isClosingOnProbeAnswer() {
		return JUDGING.get() == this;
	}

	/**
	 * Return how many probes were sent to the provider.
	 * @return the count
	 */
	public long getProbesSent() {
		return this.probesSent.sum();
	}

	/**
	 * Return how many probes of the provider answered.
	 * @return the count
	 */
	public long getProbesAnswered() {
		return this.probesAnswered.sum();
	}

	/**
	 * Take how long ago the first probe of the provider's current half-open spell answered,
	 * and end the spell: call it when the breaker closes (the time is the recovery's) or opens
	 * again (the spell failed).
	 * @return the time since that answer, or {@code null} if no probe answered in the spell
	 */
	public @Nullable Duration takeRecoveryTime() {
		long first = this.firstProbeAnswer.getAndSet(0);
		return (first != 0) ? Duration.ofNanos(System.nanoTime() - first) : null;
	}

	/**
	 * Keep the provider out of rotation until the given instant (a later rest never shortens).
	 * @param until the end of the rest
	 */
	public void rateLimitUntil(Instant until) {
		Instant previous = this.rateLimitedUntil.getAndAccumulate(until,
				(current, next) -> (current == null || next.isAfter(current)) ? next : current);
		if (previous == null || until.isAfter(previous)) {
			for (Listener listener : this.listeners) {
				listener.restingUntil(this, until);
			}
		}
	}

	/**
	 * End a rest after a {@code Retry-After} early.
	 */
	public void clearRateLimit() {
		this.rateLimitedUntil.set(null);
	}

	/**
	 * Tags an OpenAI request through the per-request custom headers Spring AI's OpenAI model
	 * sends.
	 */
	private static final class OpenAiStreamTag {

		static ChatOptions tag(ChatOptions options, String streamTag) {
			if (!(options instanceof org.springframework.ai.openai.OpenAiChatOptions openAi)) {
				return options;
			}
			java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
			if (openAi.getCustomHeaders() != null) {
				headers.putAll(openAi.getCustomHeaders());
			}
			headers.put(StreamCancellation.HEADER, streamTag);
			return openAi.mutate().customHeaders(headers).build();
		}

	}

	@Override
	public String toString() {
		return "Provider[" + this.name + ", priority=" + this.priority + ", timeout=" + this.timeout + "]";
	}

}
