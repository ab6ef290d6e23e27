package dev.resilientai.autoconfigure;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.core.Ordered;

/**
 * Makes the failover model the primary {@link ChatModel} unless the application declares a
 * primary {@code ChatModel} of its own, which then stays the one injected by type: two
 * primary beans would break every injection of {@code ChatModel}, Spring AI's
 * {@code ChatClient.Builder} included.
 * <p>
 * It runs once every bean definition is registered and reads their declared types only:
 * no bean is created, and factory-method beans are typed from their method's return type.
 */
final class PrimaryChatModelPostProcessor implements BeanFactoryPostProcessor, Ordered {

	private static final Log logger = LogFactory.getLog(PrimaryChatModelPostProcessor.class);

	private final String failoverModel;

	PrimaryChatModelPostProcessor(String failoverModel) {
		this.failoverModel = failoverModel;
	}

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
		if (!beanFactory.containsBeanDefinition(this.failoverModel)) {
			// the application replaced the failover model: its own definition says what it is
			return;
		}
		// allowEagerInit false: never create a factory bean to learn what its product is
		for (String name : beanFactory.getBeanNamesForType(ChatModel.class, true, false)) {
			if (!name.equals(this.failoverModel) && beanFactory.containsBeanDefinition(name)
					&& beanFactory.getMergedBeanDefinition(name).isPrimary()) {
				logger.info("The application's primary ChatModel '" + name + "' stays primary; inject the failover "
						+ "model as '" + this.failoverModel + "', FailoverChatModel or ResilientChatClient.");
				return;
			}
		}
		if (beanFactory.getBeanDefinition(this.failoverModel) instanceof AbstractBeanDefinition definition) {
			definition.setPrimary(true);
		}
	}

	@Override
	public int getOrder() {
		// after other post-processors that may register or mark ChatModel beans
		return Ordered.LOWEST_PRECEDENCE;
	}

}
