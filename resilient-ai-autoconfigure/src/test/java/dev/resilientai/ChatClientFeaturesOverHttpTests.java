package dev.resilientai;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.resilientai.support.ThreeProviderHttpTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.util.context.Context;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.ResponseEntity;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.client.advisor.SimpleLoggerAdvisor;
import org.springframework.ai.chat.client.advisor.api.AdvisorChain;
import org.springframework.ai.chat.client.advisor.api.BaseAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.MessageType;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.converter.ListOutputConverter;
import org.springframework.ai.model.tool.internal.ToolCallReactiveContextHolder;
import org.springframework.ai.template.st.StTemplateRenderer;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.Ordered;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.Resource;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.notContaining;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.resilientai.support.ProviderStubs.ANTHROPIC_PATH;
import static dev.resilientai.support.ProviderStubs.OPENAI_PATH;
import static dev.resilientai.support.ProviderStubs.anthropic;
import static dev.resilientai.support.ProviderStubs.anthropicMessage;
import static dev.resilientai.support.ProviderStubs.anthropicRequests;
import static dev.resilientai.support.ProviderStubs.anthropicSse;
import static dev.resilientai.support.ProviderStubs.jsonResponse;
import static dev.resilientai.support.ProviderStubs.ollamaRequests;
import static dev.resilientai.support.ProviderStubs.openAi;
import static dev.resilientai.support.ProviderStubs.openAiCompletion;
import static dev.resilientai.support.ProviderStubs.openAiError;
import static dev.resilientai.support.ProviderStubs.openAiRequests;
import static dev.resilientai.support.ProviderStubs.openAiSse;
import static dev.resilientai.support.ProviderStubs.sseResponse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code ChatClient} API, family by family, through the auto-configured
 * {@link ResilientChatClient} and the real OpenAI, Anthropic and Ollama models of the Spring
 * AI starters over HTTP to WireMock stubs in each provider's wire format: defaults,
 * {@code mutate()}, advisors and their context (chat memory included), templates,
 * {@link SimpleLoggerAdvisor}, every way of reading a call's or a stream's answer, and tools
 * given per request or as defaults, on calls and on streams. Where a feature has to survive
 * a failover, OpenAI (first) answers 500 and the test asserts on what reached Anthropic
 * (second). Requests that name a data class ({@code confidential}, allowed Anthropic but not
 * OpenAI) go through {@code ResilientChatClient}'s own scoped response specs, so the families
 * are checked there too. Not covered here: native structured output and tools from a
 * provider model's own default options.
 */
@SpringBootTest(classes = ChatClientFeaturesOverHttpTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=sk-test", "spring.ai.anthropic.api-key=sk-ant-test",
				"spring.ai.openai.chat.options.model=gpt-4o-mini", "resilient-ai.failover.timeout=10s",
				"resilient-ai.failover.attempt-timeout=2s", "resilient-ai.data-classes=public,internal,confidential",
				"resilient-ai.default-data-class=internal",
				"resilient-ai.providers.openai.chat-model=openAiChatModel",
				"resilient-ai.providers.openai.priority=10",
				"resilient-ai.providers.openai.allowed-data-classes=public,internal",
				"resilient-ai.providers.anthropic.chat-model=anthropicChatModel",
				"resilient-ai.providers.anthropic.priority=20",
				"resilient-ai.providers.anthropic.allowed-data-classes=public,internal,confidential",
				"resilient-ai.providers.ollama.chat-model=ollamaChatModel",
				"resilient-ai.providers.ollama.priority=30",
				"resilient-ai.providers.ollama.allowed-data-classes=public,internal",
				// OpenAI fails in many tests: its breaker stays closed throughout
				"resilience4j.circuitbreaker.configs.resilient-ai.minimum-number-of-calls=1000",
				"logging.level.org.springframework.ai.chat.client.advisor.SimpleLoggerAdvisor=DEBUG" })
@ExtendWith(OutputCaptureExtension.class)
class ChatClientFeaturesOverHttpTests extends ThreeProviderHttpTests {

	private static final String TENANT = "test.tenant";

	private static final String TRACE = "test.trace";

	@Autowired
	ResilientChatClient chatClient;

	@BeforeEach
	void healthyProviders() {
		stubHealthyProviders();
	}

	// Defaults

	@Test
	void defaultSystemAndUserTemplatesAreRenderedWithTheirParamsOnACall() {
		ResilientChatClient client = this.chatClient.mutate()
			.defaultSystem((system) -> system.text("You answer in {language}").param("language", "French"))
			.defaultUser((user) -> user.text("Tell me about {topic}").param("topic", "circuit breakers"))
			.build();

		assertThat(client.prompt().call().content()).isEqualTo("from openai");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("You answer in French")
			.contains("Tell me about circuit breakers");
	}

	@Test
	void defaultSystemAndUserTemplatesReachTheSecondProviderOfAFailedOverStream() {
		openAiDown();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultSystem((system) -> system.text("You answer in {language}").param("language", "French"))
			.defaultUser((user) -> user.text("Tell me about {topic}").param("topic", "circuit breakers"))
			.build();

		assertThat(join(client.prompt().stream().content())).isEqualTo("from anthropic");
		assertThat(lastBody(anthropicServer, ANTHROPIC_PATH)).contains("You answer in French")
			.contains("Tell me about circuit breakers");
	}

	@Test
	void requestSystemAndUserTextReplaceTheDefaults() {
		ResilientChatClient client = this.chatClient.mutate()
			.defaultSystem("default system text")
			.defaultUser("default user text")
			.build();

		client.prompt().system("request system text").user("request user text").call().content();

		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("request system text")
			.contains("request user text")
			.doesNotContain("default system text")
			.doesNotContain("default user text");
	}

	@Test
	void defaultOptionsReachTheProviderThatServesAfterAFailover() {
		openAiDown();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultOptions(ChatOptions.builder().temperature(0.3))
			.build();

		ChatResponse response = client.prompt().user("hello").call().chatResponse();

		assertThat(provider(response)).isEqualTo("anthropic");
		assertThat(lastBody(anthropicServer, ANTHROPIC_PATH)).contains("\"temperature\":0.3");
	}

	@Test
	void defaultOptionsReachTheProviderOfAStream() {
		ResilientChatClient client = this.chatClient.mutate()
			.defaultOptions(ChatOptions.builder().temperature(0.3))
			.build();

		assertThat(join(client.prompt().user("hello").stream().content())).isEqualTo("from openai");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("\"stream\":true").contains("\"temperature\":0.3");
	}

	@Test
	void requestOptionsReplaceTheDefaultOptions() {
		ResilientChatClient client = this.chatClient.mutate()
			.defaultOptions(ChatOptions.builder().temperature(0.3))
			.build();

		client.prompt().user("hello").options(ChatOptions.builder().temperature(0.9)).call().content();

		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("\"temperature\":0.9")
			.doesNotContain("\"temperature\":0.3");
	}

	@Test
	void aPromptsMessagesAndOptionsReachTheProvider() {
		Prompt prompt = new Prompt(
				List.of(new SystemMessage("prompt system text"), new UserMessage("prompt user text")),
				ChatOptions.builder().temperature(0.2).build());

		assertThat(this.chatClient.prompt(prompt).call().content()).isEqualTo("from openai");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("prompt system text")
			.contains("prompt user text")
			.contains("\"temperature\":0.2");
	}

	@Test
	void messagesOfTheRequestGoBetweenTheSystemAndTheUserTextOfAFailedOverStream() {
		openAiDown();

		join(this.chatClient.prompt()
			.system("system text")
			.messages(new UserMessage("earlier question"), new AssistantMessage("earlier answer"))
			.user("next question")
			.stream()
			.content());

		String body = lastBody(anthropicServer, ANTHROPIC_PATH);
		assertThat(body).contains("system text");
		assertThat(body.indexOf("earlier question")).isPositive()
			.isLessThan(body.indexOf("earlier answer"))
			.isLessThan(body.indexOf("next question"));
	}

	@Test
	void defaultAdvisorsAndTheirParamsAdviseEveryCallAndStream() {
		ContextAdvisor context = new ContextAdvisor();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultAdvisors((advisors) -> advisors.advisors(new TaggingAdvisor("[tagged]"), context)
				.param(TENANT, "acme"))
			.build();

		ChatClientResponse call = client.prompt().user("hello").call().chatClientResponse();
		List<ChatClientResponse> stream = client.prompt()
			.user("hello")
			.stream()
			.chatClientResponse()
			.collectList()
			.block();

		assertThat(call.context()).containsEntry(ContextAdvisor.WRITTEN, "written for acme");
		assertThat(stream).isNotEmpty()
			.allSatisfy((chunk) -> assertThat(chunk.context()).containsEntry(ContextAdvisor.WRITTEN,
					"written for acme"));
		assertThat(bodies(openAiServer, OPENAI_PATH)).hasSize(2)
			.allSatisfy((body) -> assertThat(body).contains("hello [tagged]"));
	}

	@Test
	void defaultToolsRunWithTheDefaultToolContext() {
		stubOpenAiToolCall();
		LookupTools tools = new LookupTools();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultTools(tools)
			.defaultToolContext(Map.of(TENANT, "acme"))
			.build();

		assertThat(client.prompt().user("find record 42").call().content()).isEqualTo("found it");
		assertThat(tools.calls).containsExactly("42 of acme");
		assertThat(bodies(openAiServer, OPENAI_PATH)).hasSize(2).last().asString().contains("record 42 of acme");
	}

	@Test
	void requestToolContextOverridesTheDefaultToolContext() {
		stubOpenAiToolCall();
		LookupTools tools = new LookupTools();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultTools(tools)
			.defaultToolContext(Map.of(TENANT, "acme"))
			.build();

		client.prompt().user("find record 42").toolContext(Map.of(TENANT, "globex")).call().content();

		assertThat(tools.calls).containsExactly("42 of globex");
		assertThat(bodies(openAiServer, OPENAI_PATH)).last().asString().contains("record 42 of globex");
	}

	// mutate()

	@Test
	void aMutatedClientKeepsTheOriginalsDefaultsAndAddsItsOwnWhileTheOriginalIsUnchanged() {
		ResilientChatClient original = this.chatClient.mutate().defaultSystem("original system text").build();
		ResilientChatClient mutated = original.mutate().defaultAdvisors(new TaggingAdvisor("[mutated]")).build();

		mutated.prompt().user("first").call().content();
		original.prompt().user("second").call().content();
		this.chatClient.prompt().user("third").call().content();

		List<String> bodies = bodies(openAiServer, OPENAI_PATH);
		assertThat(bodies).hasSize(3);
		assertThat(bodies.get(0)).contains("original system text").contains("first [mutated]");
		assertThat(bodies.get(1)).contains("original system text").contains("second").doesNotContain("[mutated]");
		assertThat(bodies.get(2)).contains("third").doesNotContain("original system text").doesNotContain("[mutated]");
	}

	@Test
	void aMutatedClientStillFailsOverOnCallsAndStreams() {
		openAiDown();
		ResilientChatClient mutated = this.chatClient.mutate().defaultSystem("mutated system text").build();

		ChatResponse call = mutated.prompt().user("hello").call().chatResponse();
		List<ChatResponse> stream = mutated.prompt().user("hello").stream().chatResponse().collectList().block();

		assertThat(call.getResult().getOutput().getText()).isEqualTo("from anthropic");
		assertThat(stream).allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("anthropic"));
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).hasSize(2)
			.allSatisfy((body) -> assertThat(body).contains("mutated system text"));
	}

	@Test
	void aMutatedRequestSpecBuildsAResilientClientWithThatRequestsSettings() {
		openAiDown();
		ResilientChatClient.RequestSpec spec = this.chatClient.prompt()
			.system("system text of the spec")
			.advisors(new TaggingAdvisor("[spec]"));

		ResilientChatClient client = spec.mutate().defaultDataClass("internal").build();

		ChatResponse response = client.prompt().user("hello").call().chatResponse();
		assertThat(provider(response)).isEqualTo("anthropic");
		assertThat(lastBody(anthropicServer, ANTHROPIC_PATH)).contains("system text of the spec")
			.contains("hello [spec]");
	}

	// Advisors

	@Test
	void whatAnAdvisorPutsInTheContextComesBackWithTheResponseOfAFailedOverCall() {
		openAiDown();
		ContextAdvisor context = new ContextAdvisor();
		ContextReader reader = new ContextReader();

		ChatClientResponse response = this.chatClient.prompt()
			.user("hello")
			.advisors(context, reader)
			.advisors((advisors) -> advisors.param(TENANT, "acme"))
			.call()
			.chatClientResponse();

		assertThat(reader.seen).containsExactly("written for acme");
		assertThat(response.context()).containsEntry(TENANT, "acme")
			.containsEntry(ContextAdvisor.WRITTEN, "written for acme")
			.containsEntry(ContextAdvisor.AFTER, "after call");
		assertThat(response.chatResponse().getResult().getOutput().getText()).isEqualTo("from anthropic");
		assertThat(provider(response.chatResponse()))
			.isEqualTo("anthropic");
	}

	@Test
	void whatAnAdvisorPutsInTheContextComesBackWithEveryChunkOfAFailedOverStream() {
		openAiDown();
		ContextAdvisor context = new ContextAdvisor();
		ContextReader reader = new ContextReader();

		List<ChatClientResponse> chunks = this.chatClient.prompt()
			.user("hello")
			.advisors(context, reader)
			.advisors((advisors) -> advisors.param(TENANT, "acme"))
			.stream()
			.chatClientResponse()
			.collectList()
			.block();

		assertThat(reader.seen).containsExactly("written for acme");
		assertThat(chunks).isNotEmpty().allSatisfy((chunk) -> assertThat(chunk.context()).containsEntry(TENANT, "acme")
			.containsEntry(ContextAdvisor.WRITTEN, "written for acme")
			.containsEntry(ContextAdvisor.AFTER, "after stream"));
		assertThat(text(chunks.stream().map(ChatClientResponse::chatResponse).toList())).isEqualTo("from anthropic");
	}

	@Test
	void chatMemoryCarriesTheFirstExchangeIntoTheSecondCall() {
		ChatMemory memory = MessageWindowChatMemory.builder().build();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
			.build();

		client.prompt().user("My name is Ada").advisors(conversation("call")).call().content();
		client.prompt().user("What is my name?").advisors(conversation("call")).call().content();

		assertThat(bodies(openAiServer, OPENAI_PATH)).hasSize(2)
			.last()
			.asString()
			.contains("My name is Ada")
			.contains("from openai")
			.contains("What is my name?");
		assertThat(texts(memory.get("call"))).containsExactly("My name is Ada", "from openai", "What is my name?",
				"from openai");
	}

	@Test
	void chatMemoryCarriesTheFirstExchangeIntoTheSecondStream() {
		ChatMemory memory = MessageWindowChatMemory.builder().build();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
			.build();

		join(client.prompt().user("My name is Ada").advisors(conversation("stream")).stream().content());
		join(client.prompt().user("What is my name?").advisors(conversation("stream")).stream().content());

		assertThat(bodies(openAiServer, OPENAI_PATH)).hasSize(2)
			.last()
			.asString()
			.contains("\"stream\":true")
			.contains("My name is Ada")
			.contains("from openai")
			.contains("What is my name?");
	}

	@Test
	void aStreamWithChatMemoryRemembersTheAnswerOfTheProviderThatServedIt() {
		openAiDown();
		ChatMemory memory = MessageWindowChatMemory.builder().build();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
			.build();

		String first = join(client.prompt()
			.user("My name is Ada")
			.advisors(conversation("failover"))
			.stream()
			.content());

		assertThat(first).isEqualTo("from anthropic");
		// one user message and one answer: the failed attempt left nothing in the memory
		assertThat(texts(memory.get("failover"))).containsExactly("My name is Ada", "from anthropic");
		assertThat(memory.get("failover")).extracting(Message::getMessageType)
			.containsExactly(MessageType.USER, MessageType.ASSISTANT);

		join(client.prompt()
			.user("What is my name?")
			.advisors(conversation("failover"))
			.stream()
			.content());

		assertThat(openAiRequests(openAiServer)).isEqualTo(2);
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).hasSize(2)
			.last()
			.asString()
			.contains("My name is Ada")
			.contains("from anthropic")
			.contains("What is my name?");
		assertThat(texts(memory.get("failover"))).containsExactly("My name is Ada", "from anthropic",
				"What is my name?", "from anthropic");
	}

	// Templates

	@Test
	void userAndSystemTemplatesAreRenderedWithTheirParams() {
		this.chatClient.prompt()
			.system((system) -> system.text("You are a {role}").param("role", "librarian"))
			.user((user) -> user.text("Find books about {subject} from {year}")
				.params(Map.of("subject", "failover", "year", 1999)))
			.call()
			.content();

		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("You are a librarian")
			.contains("Find books about failover from 1999");
	}

	@Test
	void aRequestTemplateRendererRendersItsOwnDelimitersOnAStream() {
		List<String> chunks = this.chatClient.prompt()
			.templateRenderer(angleBrackets())
			.user((user) -> user.text("Explain <topic> in {braces}").param("topic", "retries"))
			.stream()
			.content()
			.collectList()
			.block();

		assertThat(String.join("", chunks)).isEqualTo("from openai");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("Explain retries in {braces}");
	}

	@Test
	void aDefaultTemplateRendererAppliesToEveryRequestOfTheClient() {
		ResilientChatClient client = this.chatClient.mutate()
			.defaultTemplateRenderer(angleBrackets())
			.build();

		client.prompt()
			.user((user) -> user.text("Explain <topic> in {braces}").param("topic", "breakers"))
			.call()
			.content();

		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("Explain breakers in {braces}");
	}

	@Test
	void resourceTemplatesAreReadAndRendered() {
		Resource system = new ByteArrayResource("You write {style} prose".getBytes(StandardCharsets.UTF_8));
		Resource user = new ByteArrayResource("Summarize {document}".getBytes(StandardCharsets.UTF_8));

		this.chatClient.prompt()
			.system((spec) -> spec.text(system, StandardCharsets.UTF_8).param("style", "terse"))
			.user((spec) -> spec.text(user).param("document", "the runbook"))
			.call()
			.content();

		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("You write terse prose")
			.contains("Summarize the runbook");
	}

	// SimpleLoggerAdvisor

	@Test
	void simpleLoggerAdvisorLogsTheRequestAndTheResponseOfACall(CapturedOutput output) {
		int before = output.getOut().length();

		this.chatClient.prompt().user("log this call").advisors(new SimpleLoggerAdvisor()).call().content();

		String logged = output.getOut().substring(before);
		assertThat(logged).contains("request: ").contains("log this call");
		assertThat(logged.substring(logged.indexOf("response: "))).contains("from openai");
	}

	@Test
	void simpleLoggerAdvisorLogsTheRequestAndTheWholeAnswerOfAFailedOverStreamOnce(CapturedOutput output) {
		openAiDown();
		int before = output.getOut().length();

		join(this.chatClient.prompt().user("log this stream").advisors(new SimpleLoggerAdvisor()).stream().content());

		String logged = output.getOut().substring(before);
		assertThat(logged).contains("request: ").contains("log this stream");
		assertThat(count(logged, "response: ")).isEqualTo(1);
		assertThat(logged.substring(logged.indexOf("response: "))).contains("from anthropic");
	}

	// Response specs

	@Test
	void contentAndChatResponseOfACallComeFromTheProviderThatServedIt() {
		openAiDown();

		String content = this.chatClient.prompt().user("hello").call().content();
		ChatResponse response = this.chatClient.prompt().user("hello").call().chatResponse();

		assertThat(content).isEqualTo("from anthropic");
		assertThat(response.getResult().getOutput().getText()).isEqualTo("from anthropic");
		assertThat(provider(response)).isEqualTo("anthropic");
		assertThat((Integer) response.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
	}

	@Test
	void responseEntityOfAClassHoldsTheChatResponseAndTheEntity() {
		stubOpenAiAnswer("{\"name\":\"Ada Lovelace\",\"born\":1815}");

		ResponseEntity<ChatResponse, Person> entity = this.chatClient.prompt()
			.user("Who wrote the first program?")
			.call()
			.responseEntity(Person.class);

		assertThat(entity.entity()).isEqualTo(new Person("Ada Lovelace", 1815));
		assertThat(provider(entity.response())).isEqualTo("openai");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("Your response should be in JSON format");
	}

	@Test
	void responseEntityOfATypeReferenceConvertsTheAnswerOfTheSecondProvider() {
		openAiDown();
		stubAnthropicAnswer("[{\"name\":\"Ada Lovelace\",\"born\":1815},{\"name\":\"Alan Turing\",\"born\":1912}]");

		ResponseEntity<ChatResponse, List<Person>> entity = this.chatClient.prompt()
			.user("Name two pioneers")
			.call()
			.responseEntity(new ParameterizedTypeReference<List<Person>>() {
			});

		assertThat(entity.entity()).containsExactly(new Person("Ada Lovelace", 1815), new Person("Alan Turing", 1912));
		assertThat(provider(entity.response())).isEqualTo("anthropic");
		assertThat((Integer) entity.response().getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		assertThat(lastBody(anthropicServer, ANTHROPIC_PATH)).contains("Your response should be in JSON format");
	}

	@Test
	void entityOfAClassIsConvertedFromTheAnswerOfTheSecondProvider() {
		openAiDown();
		stubAnthropicAnswer("{\"name\":\"Grace Hopper\",\"born\":1906}");

		Person person = this.chatClient.prompt().user("Who wrote the first compiler?").call().entity(Person.class);

		assertThat(person).isEqualTo(new Person("Grace Hopper", 1906));
		assertThat(lastBody(anthropicServer, ANTHROPIC_PATH)).contains("Your response should be in JSON format");
	}

	@Test
	void entityOfAParameterizedTypeReferenceConvertsAList() {
		stubOpenAiAnswer("[{\"name\":\"Ada Lovelace\",\"born\":1815},{\"name\":\"Grace Hopper\",\"born\":1906}]");

		List<Person> people = this.chatClient.prompt()
			.user("Name two pioneers")
			.call()
			.entity(new ParameterizedTypeReference<List<Person>>() {
			});

		assertThat(people).extracting(Person::name).containsExactly("Ada Lovelace", "Grace Hopper");
	}

	@Test
	void entityOfAStructuredOutputConverterSendsItsFormatAndConvertsTheAnswer() {
		stubOpenAiAnswer("red, green, blue");

		List<String> colours = this.chatClient.prompt()
			.user("Name three colours")
			.call()
			.entity(new ListOutputConverter());

		assertThat(colours).containsExactly("red", "green", "blue");
		assertThat(lastBody(openAiServer, OPENAI_PATH)).contains("comma-separated values");
	}

	@Test
	void everyWayOfReadingAFailedOverStreamGivesTheSecondProvidersAnswer() {
		openAiDown();

		List<String> content = this.chatClient.prompt().user("hello").stream().content().collectList().block();
		List<ChatResponse> responses = this.chatClient.prompt()
			.user("hello")
			.stream()
			.chatResponse()
			.collectList()
			.block();
		List<ChatClientResponse> clientResponses = this.chatClient.prompt()
			.user("hello")
			.advisors((advisors) -> advisors.param(TENANT, "acme"))
			.stream()
			.chatClientResponse()
			.collectList()
			.block();

		assertThat(String.join("", content)).isEqualTo("from anthropic");
		assertThat(text(responses)).isEqualTo("from anthropic");
		assertThat(responses).allSatisfy((chunk) -> {
			assertThat(provider(chunk)).isEqualTo("anthropic");
			assertThat((Integer) chunk.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(2);
		});
		assertThat(text(clientResponses.stream().map(ChatClientResponse::chatResponse).toList()))
			.isEqualTo("from anthropic");
		assertThat(clientResponses).allSatisfy((chunk) -> assertThat(chunk.context()).containsEntry(TENANT, "acme"));
		assertThat(ollamaRequests(ollamaServer)).isZero();
	}

	// Tools per request

	@Test
	void aToolCallOfACallRunsTheToolAndSendsItsResultInTheNextRequest() {
		stubOpenAiToolCall();
		LookupTools tools = new LookupTools();

		String answer = this.chatClient.prompt()
			.user("find record 42")
			.tools(tools)
			.toolContext(Map.of(TENANT, "acme"))
			.call()
			.content();

		assertThat(answer).isEqualTo("found it");
		assertThat(tools.calls).containsExactly("42 of acme");
		List<String> bodies = bodies(openAiServer, OPENAI_PATH);
		assertThat(bodies).hasSize(2);
		assertThat(bodies.get(0)).contains("\"name\":\"lookup\"").doesNotContain("\"role\":\"tool\"");
		assertThat(bodies.get(1)).contains("\"role\":\"tool\"").contains("call_1").contains("record 42 of acme");
	}

	@Test
	void aToolCallOfAStreamRunsTheToolAndStreamsTheFinalAnswer() {
		stubOpenAiToolCall();
		LookupTools tools = new LookupTools();

		String answer = join(this.chatClient.prompt()
			.user("find record 42")
			.tools(tools)
			.toolContext(Map.of(TENANT, "acme"))
			.stream()
			.content());

		assertThat(answer).isEqualTo("found it");
		assertThat(tools.calls).containsExactly("42 of acme");
		List<String> bodies = bodies(openAiServer, OPENAI_PATH);
		assertThat(bodies).hasSize(2).allSatisfy((body) -> assertThat(body).contains("\"stream\":true"));
		assertThat(bodies.get(1)).contains("\"role\":\"tool\"").contains("call_1").contains("record 42 of acme");
	}

	@Test
	void whenOpenAiFailsTheFirstRoundTheToolCallOfAnthropicRunsAndItsResultReachesTheRecoveredOpenAi() {
		// OpenAI fails the first round only; the second, with the tool result, it answers
		openAiServer.resetMappings();
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
		openAiServer.stubFor(openAi().withRequestBody(containing("\"role\":\"tool\""))
			.atPriority(1)
			.willReturn(jsonResponse(200, openAiCompletion("found it", "stop"))));
		anthropicServer.resetMappings();
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicToolUse())));
		LookupTools tools = new LookupTools();

		ChatResponse response = this.chatClient.prompt()
			.user("find record 42")
			.tools(tools)
			.toolContext(Map.of(TENANT, "acme"))
			.call()
			.chatResponse();

		assertThat(response.getResult().getOutput().getText()).isEqualTo("found it");
		assertThat(provider(response)).isEqualTo("openai");
		assertThat(tools.calls).containsExactly("42 of acme");
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).singleElement()
			.asString()
			.contains("\"name\":\"lookup\"")
			.doesNotContain("tool_result");
		List<String> openAiBodies = bodies(openAiServer, OPENAI_PATH);
		assertThat(openAiBodies).hasSize(2);
		assertThat(openAiBodies.get(1)).contains("\"role\":\"tool\"").contains("toolu_1").contains("record 42 of acme");
	}

	@Test
	void whenOpenAiIsDownAStreamedToolUseOfAnthropicRunsTheToolAndAnthropicStreamsTheAnswer() {
		openAiDown();
		stubAnthropicToolUseStream();
		LookupTools tools = new LookupTools();

		List<ChatResponse> chunks = this.chatClient.prompt()
			.user("find record 42")
			.tools(tools)
			.toolContext(Map.of(TENANT, "acme"))
			.stream()
			.chatResponse()
			.collectList()
			.block();

		assertThat(text(chunks)).isEqualTo("found it");
		assertThat(chunks).allSatisfy((chunk) -> assertThat(provider(chunk)).isEqualTo("anthropic"));
		assertThat(tools.calls).containsExactly("42 of acme");
		List<String> bodies = bodies(anthropicServer, ANTHROPIC_PATH);
		assertThat(bodies).hasSize(2);
		assertThat(bodies.get(0)).contains("\"name\":\"lookup\"").doesNotContain("tool_result");
		assertThat(bodies.get(1)).contains("tool_result").contains("toolu_1").contains("record 42 of acme");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(2);
	}

	@Test
	void theSubscribersReactorContextReachesStreamAdvisorsAndTheToolsOfAFailedOverStream() {
		openAiDown();
		stubAnthropicToolUseStream();
		ReactorContextReader reader = new ReactorContextReader();
		ReactorContextTools tools = new ReactorContextTools();

		String answer = String.join("", this.chatClient.prompt()
			.user("find record 42")
			.advisors(reader)
			.tools(tools)
			.stream()
			.content()
			.contextWrite(Context.of(TRACE, "trace-7"))
			.collectList()
			.block());

		assertThat(answer).isEqualTo("found it");
		// the reader sits below the tool-calling advisor: it sees both rounds
		assertThat(reader.seen).containsExactly("trace-7", "trace-7");
		assertThat(tools.seen).containsExactly("trace-7");
		assertThat(anthropicRequests(anthropicServer)).isEqualTo(2);
	}

	// Requests that name a data class

	@Test
	void aStreamNamingADataClassKeepsItsChatMemoryAndAdvisorContextAndGoesOnlyWhereTheClassIsAllowed() {
		ChatMemory memory = MessageWindowChatMemory.builder().build();
		ResilientChatClient client = this.chatClient.mutate()
			.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), new ContextAdvisor())
			.build();

		join(client.prompt()
			.user("My name is Ada")
			.dataClass("confidential")
			.advisors(conversation("confidential"))
			.advisors((advisors) -> advisors.param(TENANT, "acme"))
			.stream()
			.content());
		List<ChatClientResponse> second = client.prompt()
			.user("What is my name?")
			.dataClass("confidential")
			.advisors(conversation("confidential"))
			.advisors((advisors) -> advisors.param(TENANT, "acme"))
			.stream()
			.chatClientResponse()
			.collectList()
			.block();

		assertThat(openAiRequests(openAiServer)).isZero();
		assertThat(second).isNotEmpty()
			.allSatisfy((chunk) -> assertThat(chunk.context()).containsEntry(ContextAdvisor.WRITTEN, "written for acme")
				.containsEntry(ResilientChatClient.DATA_CLASS, "confidential"));
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).hasSize(2)
			.last()
			.asString()
			.contains("My name is Ada")
			.contains("from anthropic")
			.contains("What is my name?");
		assertThat(texts(memory.get("confidential"))).containsExactly("My name is Ada", "from anthropic",
				"What is my name?", "from anthropic");
	}

	@Test
	void everyWayOfReadingACallNamingADataClassGoesOnlyWhereTheClassIsAllowed() {
		stubAnthropicAnswer("{\"name\":\"Ada Lovelace\",\"born\":1815}");

		String content = this.chatClient.prompt().user("who?").dataClass("confidential").call().content();
		ChatResponse chatResponse = this.chatClient.prompt()
			.user("who?")
			.dataClass("confidential")
			.call()
			.chatResponse();
		ChatClientResponse chatClientResponse = this.chatClient.prompt()
			.user("who?")
			.dataClass("confidential")
			.call()
			.chatClientResponse();
		Person entity = this.chatClient.prompt().user("who?").dataClass("confidential").call().entity(Person.class);
		stubAnthropicAnswer("[{\"name\":\"Ada Lovelace\",\"born\":1815},{\"name\":\"Alan Turing\",\"born\":1912}]");
		ResponseEntity<ChatResponse, List<Person>> entities = this.chatClient.prompt()
			.user("who?")
			.dataClass("confidential")
			.call()
			.responseEntity(new ParameterizedTypeReference<List<Person>>() {
			});

		assertThat(openAiRequests(openAiServer)).isZero();
		assertThat(content).isEqualTo("{\"name\":\"Ada Lovelace\",\"born\":1815}");
		assertThat(provider(chatResponse)).isEqualTo("anthropic");
		assertThat((Integer) chatResponse.getMetadata().get(ResilientChatClient.ATTEMPTS)).isEqualTo(1);
		assertThat(chatClientResponse.context()).containsEntry(ResilientChatClient.DATA_CLASS, "confidential");
		assertThat(entity).isEqualTo(new Person("Ada Lovelace", 1815));
		assertThat(entities.entity()).extracting(Person::name).containsExactly("Ada Lovelace", "Alan Turing");
		assertThat(provider(entities.response())).isEqualTo("anthropic");
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).hasSize(5)
			.allSatisfy((body) -> assertThat(body).contains("who?"));
	}

	@Test
	void aMutatedClientOrRequestSpecKeepsTheDataClassItWasGiven() {
		ResilientChatClient byDefault = this.chatClient.mutate()
			.defaultDataClass("confidential")
			.defaultSystem("mutated system text")
			.build();
		ChatClient fromSpec = this.chatClient.prompt()
			.dataClass("confidential")
			.system("spec system text")
			.mutate()
			.build();

		String call = byDefault.prompt().user("hello").call().content();
		String stream = join(byDefault.prompt().user("hello").stream().content());
		String fromSpecCall = fromSpec.prompt().user("hello").call().content();

		assertThat(List.of(call, stream, fromSpecCall)).containsOnly("from anthropic");
		assertThat(openAiRequests(openAiServer)).isZero();
		assertThat(bodies(anthropicServer, ANTHROPIC_PATH)).hasSize(3)
			.satisfies((bodies) -> assertThat(bodies.get(0)).contains("mutated system text"))
			.satisfies((bodies) -> assertThat(bodies.get(2)).contains("spec system text"));
	}

	// Stubs and helpers

	private static void openAiDown() {
		openAiServer.resetMappings();
		openAiServer.stubFor(openAi().willReturn(jsonResponse(500, openAiError("server_error", null, "down"))));
	}

	private static void stubOpenAiAnswer(String text) {
		openAiServer.resetMappings();
		openAiServer.stubFor(openAi().willReturn(jsonResponse(200, openAiCompletion(text, "stop"))));
		openAiServer.stubFor(openAi().withRequestBody(containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(sseResponse(openAiSse(text))));
	}

	private static void stubAnthropicAnswer(String text) {
		anthropicServer.resetMappings();
		anthropicServer.stubFor(anthropic().willReturn(jsonResponse(200, anthropicMessage(text, "end_turn"))));
		anthropicServer.stubFor(anthropic().withRequestBody(containing("\"stream\":true"))
			.atPriority(1)
			.willReturn(sseResponse(anthropicSse(text))));
	}

	/**
	 * OpenAI asks for {@code lookup(42)} until a request carries a tool result, then
	 * answers "found it", on calls and on streams.
	 */
	private static void stubOpenAiToolCall() {
		openAiServer.resetMappings();
		openAiServer.stubFor(openAi().withRequestBody(notContaining("\"role\":\"tool\""))
			.atPriority(4)
			.willReturn(jsonResponse(200, openAiToolCall())));
		openAiServer.stubFor(openAi().withRequestBody(containing("\"role\":\"tool\""))
			.atPriority(3)
			.willReturn(jsonResponse(200, openAiCompletion("found it", "stop"))));
		openAiServer.stubFor(openAi().withRequestBody(containing("\"stream\":true"))
			.withRequestBody(notContaining("\"role\":\"tool\""))
			.atPriority(2)
			.willReturn(sseResponse(openAiToolCallSse())));
		openAiServer.stubFor(openAi().withRequestBody(containing("\"stream\":true"))
			.withRequestBody(containing("\"role\":\"tool\""))
			.atPriority(1)
			.willReturn(sseResponse(openAiSse("found ", "it"))));
	}

	/**
	 * Anthropic streams a {@code tool_use} of {@code lookup(42)} until a request carries a
	 * tool result, then streams "found it".
	 */
	private static void stubAnthropicToolUseStream() {
		anthropicServer.resetMappings();
		anthropicServer.stubFor(anthropic().withRequestBody(containing("\"stream\":true"))
			.atPriority(2)
			.willReturn(sseResponse(anthropicToolUseSse())));
		anthropicServer.stubFor(anthropic().withRequestBody(containing("\"stream\":true"))
			.withRequestBody(containing("tool_result"))
			.atPriority(1)
			.willReturn(sseResponse(anthropicSse("found ", "it"))));
	}

	private static String openAiToolCall() {
		return """
				{"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
				 "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,
				  "tool_calls":[{"id":"call_1","type":"function",
				   "function":{"name":"lookup","arguments":"{\\"id\\":\\"42\\"}"}}]},
				 "logprobs":null,"finish_reason":"tool_calls"}],
				 "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}
				""";
	}

	private static String openAiToolCallSse() {
		String prefix = "data: {\"id\":\"chatcmpl-3\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
				+ "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,";
		return prefix + "\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
				+ "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]},"
				+ "\"finish_reason\":null}]}\n\n" + prefix
				+ "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"id\\\":\\\"42\\\"}\"}}]},"
				+ "\"finish_reason\":null}]}\n\n" + prefix + "\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
				+ "data: [DONE]\n\n";
	}

	private static String anthropicToolUse() {
		return """
				{"id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4-5",
				 "content":[{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"id":"42"}}],
				 "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}
				""";
	}

	private static String anthropicToolUseSse() {
		return event("message_start",
				"{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\","
						+ "\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
						+ "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}")
				+ event("content_block_start",
						"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\","
								+ "\"id\":\"toolu_1\",\"name\":\"lookup\",\"input\":{}}}")
				+ event("content_block_delta",
						"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
								+ "\"partial_json\":\"{\\\"id\\\":\\\"42\\\"}\"}}")
				+ event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
				+ event("message_delta",
						"{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
								+ "\"usage\":{\"output_tokens\":3}}")
				+ event("message_stop", "{\"type\":\"message_stop\"}");
	}

	private static String event(String name, String data) {
		return "event: " + name + "\ndata: " + data + "\n\n";
	}

	/** The bodies of the requests a stub received, oldest first. */
	private static List<String> bodies(WireMockExtension server, String path) {
		return server.findAll(postRequestedFor(urlPathEqualTo(path)))
			.stream()
			.map(LoggedRequest::getBodyAsString)
			.toList();
	}

	private static String lastBody(WireMockExtension server, String path) {
		List<String> bodies = bodies(server, path);
		assertThat(bodies).as("requests to %s", path).isNotEmpty();
		return bodies.get(bodies.size() - 1);
	}

	private static Consumer<ChatClient.AdvisorSpec> conversation(String id) {
		return (advisors) -> advisors.param(ChatMemory.CONVERSATION_ID, id);
	}

	private static StTemplateRenderer angleBrackets() {
		return StTemplateRenderer.builder().startDelimiterToken('<').endDelimiterToken('>').build();
	}

	private static String provider(ChatResponse response) {
		return response.getMetadata().get(ResilientChatClient.PROVIDER);
	}

	private static String join(Flux<String> content) {
		return String.join("", content.collectList().block());
	}

	private static String text(List<ChatResponse> chunks) {
		StringBuilder text = new StringBuilder();
		for (ChatResponse chunk : chunks) {
			if (chunk != null && chunk.getResult() != null && chunk.getResult().getOutput().getText() != null) {
				text.append(chunk.getResult().getOutput().getText());
			}
		}
		return text.toString();
	}

	private static List<String> texts(List<Message> messages) {
		return messages.stream().map(Message::getText).toList();
	}

	private static int count(String text, String part) {
		int count = 0;
		for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
			count++;
		}
		return count;
	}

	record Person(String name, int born) {
	}

	/**
	 * A tool that looks a record up for the tenant in its tool context, and remembers each
	 * call.
	 */
	static class LookupTools {

		final List<String> calls = new CopyOnWriteArrayList<>();

		@Tool(description = "Look up a record by its id")
		String lookup(@ToolParam(description = "the record's id") String id, ToolContext toolContext) {
			Object tenant = toolContext.getContext().get(TENANT);
			this.calls.add(id + " of " + tenant);
			return "record " + id + " of " + tenant;
		}

	}

	/**
	 * A tool that reads the {@link #TRACE} entry of the Reactor context of the stream it is
	 * called in.
	 */
	static class ReactorContextTools {

		final List<Object> seen = new CopyOnWriteArrayList<>();

		@Tool(description = "Look up a record by its id")
		String lookup(@ToolParam(description = "the record's id") String id) {
			this.seen.add(ToolCallReactiveContextHolder.getContext().getOrDefault(TRACE, "none"));
			return "record " + id;
		}

	}

	/**
	 * Reads the {@link #TRACE} entry of the subscriber's Reactor context, as the last advisor
	 * before the model call.
	 */
	static final class ReactorContextReader implements StreamAdvisor {

		final List<Object> seen = new CopyOnWriteArrayList<>();

		@Override
		public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
			return Flux.deferContextual((context) -> {
				this.seen.add(context.getOrDefault(TRACE, "none"));
				return chain.nextStream(request);
			});
		}

		@Override
		public String getName() {
			return "test-reactor-context-reader";
		}

		@Override
		public int getOrder() {
			return Ordered.LOWEST_PRECEDENCE - 1;
		}

	}

	/**
	 * Appends a tag to the user message, on calls and on streams.
	 */
	record TaggingAdvisor(String tag) implements BaseAdvisor {

		@Override
		public ChatClientRequest before(ChatClientRequest request, AdvisorChain chain) {
			return request.mutate()
				.prompt(request.prompt()
					.augmentUserMessage((user) -> user.mutate().text(user.getText() + " " + this.tag).build()))
				.build();
		}

		@Override
		public ChatClientResponse after(ChatClientResponse response, AdvisorChain chain) {
			return response;
		}

		@Override
		public int getOrder() {
			return 0;
		}

	}

	/**
	 * Writes into the advisor context before the model call, from the tenant advisor param,
	 * and into the response's context after it.
	 */
	static final class ContextAdvisor implements CallAdvisor, StreamAdvisor {

		static final String WRITTEN = "test.written-before";

		static final String AFTER = "test.written-after";

		@Override
		public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
			return chain.nextCall(before(request)).mutate().context(AFTER, "after call").build();
		}

		@Override
		public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
			return chain.nextStream(before(request))
				.map((chunk) -> chunk.mutate().context(AFTER, "after stream").build());
		}

		private ChatClientRequest before(ChatClientRequest request) {
			return request.mutate().context(WRITTEN, "written for " + request.context().get(TENANT)).build();
		}

		@Override
		public String getName() {
			return "test-context-writer";
		}

		@Override
		public int getOrder() {
			return 0;
		}

	}

	/**
	 * Reads what {@link ContextAdvisor} wrote, as the last advisor before the model call
	 * (after resilient-ai's routing advisor).
	 */
	static final class ContextReader implements CallAdvisor, StreamAdvisor {

		final List<Object> seen = new CopyOnWriteArrayList<>();

		@Override
		public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
			this.seen.add(request.context().get(ContextAdvisor.WRITTEN));
			return chain.nextCall(request);
		}

		@Override
		public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
			this.seen.add(request.context().get(ContextAdvisor.WRITTEN));
			return chain.nextStream(request);
		}

		@Override
		public String getName() {
			return "test-context-reader";
		}

		@Override
		public int getOrder() {
			return Ordered.LOWEST_PRECEDENCE - 1;
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
