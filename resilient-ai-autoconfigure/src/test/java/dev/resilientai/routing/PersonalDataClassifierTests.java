package dev.resilientai.routing;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.prompt.Prompt;

import static org.assertj.core.api.Assertions.assertThat;

class PersonalDataClassifierTests {

	private final PersonalDataClassifier classifier = new PersonalDataClassifier("pii");

	@ParameterizedTest
	@ValueSource(strings = { "write to jane.doe@example.com today", "call +44 20 7946 0958 please",
			"US office: (415) 555-0132", "fax 415-555-0132", "card 4111 1111 1111 1111 exp 12/29",
			"card 5500-0000-0000-0004", "IBAN DE89 3704 0044 0532 0130 00", "pay to GB82WEST12345698765432",
			"ssn 123-45-6789" })
	void obviousPersonalDataIsCaught(String text) {
		assertThat(PersonalDataClassifier.containsPersonalData(text)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "order 4111 1111 1111 1112 shipped", "IBAN DE89 3704 0044 0532 0130 01",
			"ssn 000-45-6789", "version 1.2.3 released on 2026-11-21", "the meeting is at 10:30",
			"summarize the quarterly report", "ticket #123456 reopened", "Jane Doe lives on Main Street" })
	void ordinaryTextAndNearMissesAreNot(String text) {
		assertThat(PersonalDataClassifier.containsPersonalData(text)).isFalse();
	}

	@Test
	void everyMessageIsReadToolResultsIncluded() {
		Prompt inSystem = new Prompt(List.of(new SystemMessage("Reply to jane@example.com"), new UserMessage("hi")));
		Prompt inToolResult = new Prompt(List.of(new UserMessage("look up the customer"),
				ToolResponseMessage.builder()
					.responses(List.of(new ToolResponseMessage.ToolResponse("1", "crm", "{\"email\":\"j@example.org\"}")))
					.build()));
		Prompt clean = new Prompt(List.of(new UserMessage("hello")));

		assertThat(this.classifier.classify(inSystem, "internal")).isEqualTo("pii");
		assertThat(this.classifier.classify(inToolResult, "internal")).isEqualTo("pii");
		assertThat(this.classifier.classify(clean, "internal")).isNull();
	}

	@Test
	void thePolicyOnlyEverRaises() {
		DataClassPolicy policy = new DataClassPolicy(List.of("public", "internal", "pii", "phi"), "internal",
				List.of(this.classifier, (prompt, current) -> "public"));
		Prompt withEmail = new Prompt("mail jane@example.com");

		assertThat(policy.escalate(withEmail, "internal")).isEqualTo("pii");
		assertThat(policy.escalate(withEmail, "phi")).isEqualTo("phi");
		assertThat(policy.escalate(new Prompt("hello"), "internal")).isEqualTo("internal");
	}

	@Test
	void aClassifierNamingAnUnknownClassFailsClosed() {
		DataClassPolicy policy = new DataClassPolicy(List.of("public", "pii"), "public",
				List.of((prompt, current) -> "top-secret"));

		org.assertj.core.api.Assertions
			.assertThatExceptionOfType(dev.resilientai.UnknownDataClassException.class)
			.isThrownBy(() -> policy.escalate(new Prompt("hello"), "public"));
	}

}
