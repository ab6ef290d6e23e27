package dev.resilientai.autoconfigure;

import dev.resilientai.failover.FailoverExecutor;
import dev.resilientai.failover.Provider;
import dev.resilientai.routing.DataClassPolicy;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Startup validation of the data-class configuration: each mistake fails the context and
 * names the property.
 */
class DataClassValidationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
		.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
		.withPropertyValues("resilient-ai.data-classes=public,pii,phi", "resilient-ai.default-data-class=public",
				"resilient-ai.providers.cloud.chat-model=openAiChatModel",
				"resilient-ai.providers.cloud.allowed-data-classes=public",
				"resilient-ai.providers.dpa.chat-model=anthropicChatModel",
				"resilient-ai.providers.dpa.allowed-data-classes=public,pii",
				"resilient-ai.providers.local.chat-model=ollamaChatModel",
				"resilient-ai.providers.local.allowed-data-classes=public,pii,phi");

	@Test
	void aValidConfigurationStartsWithTheAllowedSetsOnTheProviders() {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(DataClassPolicy.class).getDefaultClass()).isEqualTo("public");
			assertThat(context.getBean(FailoverExecutor.class).getProviders())
				.extracting(Provider::getName, (provider) -> provider.isAllowed("phi"))
				.containsExactly(org.assertj.core.groups.Tuple.tuple("cloud", false),
						org.assertj.core.groups.Tuple.tuple("dpa", false),
						org.assertj.core.groups.Tuple.tuple("local", true));
		});
	}

	@Test
	void anUnknownClassInAnAllowedListFails() {
		this.runner.withPropertyValues("resilient-ai.providers.dpa.allowed-data-classes=public,pii,secret")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.dpa.allowed-data-classes[2]",
					"secret"));
	}

	@Test
	void aDefaultClassThatIsNotKnownFails() {
		this.runner.withPropertyValues("resilient-ai.default-data-class=internal")
			.run((context) -> assertFailsNaming(context, "resilient-ai.default-data-class", "internal"));
	}

	@Test
	void aMissingDefaultClassFails() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
			.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.withPropertyValues("resilient-ai.data-classes=public", "resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.a.allowed-data-classes=public")
			.run((context) -> assertFailsNaming(context, "resilient-ai.default-data-class", "required"));
	}

	@Test
	void aClassThatNoProviderListsFails() {
		this.runner.withPropertyValues("resilient-ai.providers.local.allowed-data-classes=public,pii")
			.run((context) -> assertFailsNaming(context, "resilient-ai.data-classes[2]", "phi"));
	}

	@Test
	void aProviderWithoutAllowedClassesFailsWhenClassesAreOn() {
		this.runner.withPropertyValues("resilient-ai.providers.extra.chat-model=openAiChatModel")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.extra.allowed-data-classes",
					"every provider"));
	}

	@Test
	void discoveredProvidersCannotServeDataClasses() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
			.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.withPropertyValues("resilient-ai.data-classes=public", "resilient-ai.default-data-class=public")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers", "allowed-data-classes"));
	}

	@Test
	void allowedClassesWithoutDataClassesFail() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ResilientAiAutoConfiguration.class))
			.withUserConfiguration(ResilientAiAutoConfigurationTests.ThreeModels.class)
			.withPropertyValues("resilient-ai.providers.a.chat-model=openAiChatModel",
					"resilient-ai.providers.a.allowed-data-classes=pii")
			.run((context) -> assertFailsNaming(context, "resilient-ai.providers.a.allowed-data-classes[0]", "pii"));
	}

	@Test
	void duplicateClassesFail() {
		this.runner.withPropertyValues("resilient-ai.data-classes=public,pii,public,phi")
			.run((context) -> assertFailsNaming(context, "resilient-ai.data-classes[2]", "unique"));
	}

	@Test
	void theClassifierMustRaiseToAKnownClass() {
		this.runner
			.withPropertyValues("resilient-ai.classifier.personal-data.enabled=true",
					"resilient-ai.classifier.personal-data.raise-to=personal")
			.run((context) -> assertFailsNaming(context, "resilient-ai.classifier.personal-data.raise-to",
					"personal"));
	}

	@Test
	void theClassifierIsOffByDefaultAndOnByProperty() {
		this.runner.run((context) -> assertThat(context)
			.doesNotHaveBean(dev.resilientai.routing.PersonalDataClassifier.class));
		this.runner
			.withPropertyValues("resilient-ai.classifier.personal-data.enabled=true",
					"resilient-ai.classifier.personal-data.raise-to=pii")
			.run((context) -> assertThat(context).hasSingleBean(dev.resilientai.routing.PersonalDataClassifier.class));
	}

	private static void assertFailsNaming(
			org.springframework.boot.test.context.assertj.AssertableApplicationContext context, String property,
			String detail) {
		assertThat(context).getFailure()
			.rootCause()
			.isInstanceOf(InvalidConfigurationPropertyValueException.class)
			.hasMessageContaining(property)
			.hasMessageContaining(detail);
	}

}
