package dev.resilientai.client;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.resilientai.ResilientChatClient;
import dev.resilientai.failover.ErrorClassifier;
import dev.resilientai.failover.FailoverChatModel;
import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.FailoverSettings;
import dev.resilientai.failover.Provider;
import dev.resilientai.routing.DataClassPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.client.advisor.observation.AdvisorObservationContext;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing advisor before the model joins a {@code ResilientChatClient} request over the
 * routed view when something could name a class on the way to the model (an advisor, a
 * data-class advisor param), and stays out of the others, whose class is in their prompt's
 * options from their entry.
 */
class RoutingAdvisorJoinTests {

	private final List<String> advisorsObserved = new CopyOnWriteArrayList<>();

	private final List<String> servedBy = new CopyOnWriteArrayList<>();

	private final FailoverExecutor executor = new FailoverExecutor(
			List.of(provider("cloud", Set.of("public")), provider("local", Set.of("public", "phi"))),
			FailoverSettings.of(Duration.ofSeconds(10)), new ErrorClassifier(),
			new DataClassPolicy(List.of("public", "phi"), "public", List.of()), (record) -> {
			}, null, Clock.systemUTC());

	@AfterEach
	void close() {
		this.executor.close();
	}

	@Test
	void aRequestWithNoAdvisorRunsWithoutIt() {
		ResilientChatClient client = client();

		client.prompt().user("hello").call().content();
		client.prompt().user("hello").dataClass("phi").call().content();

		assertThat(this.advisorsObserved).doesNotContain("routing");
		assertThat(this.servedBy).containsExactly("cloud", "local");
	}

	@Test
	void aRequestWithAnAdvisorHasItAndAClassTheAdvisorNamesIsEnforced() {
		ResilientChatClient client = client();

		client.prompt().user("hello").advisors(classifying("phi")).call().content();

		assertThat(this.advisorsObserved).containsSubsequence("classifier", "routing");
		assertThat(this.servedBy).containsExactly("local");
	}

	@Test
	void aClientWithADefaultAdvisorHasItOnEveryRequestOnce() {
		ResilientChatClient client = client().mutate().defaultAdvisors(classifying("phi")).build();

		ChatClient.ChatClientRequestSpec spec = client.prompt().user("hello");
		spec.call().content();
		spec.call().content();

		assertThat(this.advisorsObserved.stream().filter("routing"::equals)).hasSize(2);
		assertThat(this.servedBy).containsExactly("local", "local");
	}

	@Test
	void aRequestWhoseDataClassParamIsNotedRunsWithoutIt() {
		ResilientChatClient client = client();

		client.prompt().user("hello").advisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"))
			.call()
			.content();

		assertThat(this.advisorsObserved).doesNotContain("routing");
		assertThat(this.servedBy).containsExactly("local");
	}

	@Test
	void aRequestWithADataClassParamSetOnTheRawBuilderHasIt() {
		ChatClient.Builder raw = ChatClient.builder(new FailoverChatModel(this.executor).routedView(), observations(),
				null, null, null);
		// as a ChatClientCustomizer of the application does, on the builder the auto-configuration passes it
		raw.defaultAdvisors((advisors) -> advisors.param(ResilientChatClient.DATA_CLASS, "phi"));
		ResilientChatClient client = DefaultResilientChatClient.overRoutedView(raw.build());

		client.prompt().user("hello").call().content();

		assertThat(this.advisorsObserved).contains("routing");
		assertThat(this.servedBy).containsExactly("local");
	}

	@Test
	void aStreamWithAnAdvisorHasIt() {
		ResilientChatClient client = client();

		client.prompt().user("hello").advisors(classifying("phi")).stream().content().blockLast();

		assertThat(this.servedBy).containsExactly("local");
	}

	@Test
	void aDelegateThatCarriesTheAdvisorGetsNoSecondOne() {
		ChatClient delegate = ChatClient
			.builder(new FailoverChatModel(this.executor).routedView(), observations(), null, null, null)
			.defaultAdvisors(RoutingAdvisor.beforeModel())
			.build();
		ResilientChatClient client = new DefaultResilientChatClient(delegate);

		client.prompt().user("hello").advisors(classifying("phi")).call().content();

		assertThat(this.advisorsObserved.stream().filter("routing"::equals)).hasSize(1);
		assertThat(this.servedBy).containsExactly("local");
	}

	private ResilientChatClient client() {
		return DefaultResilientChatClient.overRoutedView(ChatClient
			.builder(new FailoverChatModel(this.executor).routedView(), observations(), null, null, null)
			.build());
	}

	private ObservationRegistry observations() {
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(new ObservationHandler<AdvisorObservationContext>() {

			@Override
			public void onStart(AdvisorObservationContext context) {
				RoutingAdvisorJoinTests.this.advisorsObserved.add(context.getAdvisorName());
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return context instanceof AdvisorObservationContext;
			}

		});
		return registry;
	}

	private static Classifier classifying(String dataClass) {
		return new Classifier() {

			@Override
			public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
				return chain.nextCall(request.mutate().context(ResilientChatClient.DATA_CLASS, dataClass).build());
			}

			@Override
			public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
				return chain.nextStream(request.mutate().context(ResilientChatClient.DATA_CLASS, dataClass).build());
			}

			@Override
			public String getName() {
				return "classifier";
			}

			@Override
			public int getOrder() {
				return 0;
			}

		};
	}

	interface Classifier extends CallAdvisor, StreamAdvisor {

	}

	private Provider provider(String name, Set<String> allowed) {
		ChatModel model = new ChatModel() {

			@Override
			public ChatResponse call(Prompt prompt) {
				RoutingAdvisorJoinTests.this.servedBy.add(name);
				return new ChatResponse(List.of(new Generation(new AssistantMessage("from " + name))));
			}

			@Override
			public Flux<ChatResponse> stream(Prompt prompt) {
				return Flux.defer(() -> Flux.just(call(prompt)));
			}

		};
		return new Provider(name, 0, Duration.ofSeconds(5), true, model, CircuitBreaker.ofDefaults(name), allowed);
	}

}
