package dev.resilientai.sample;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import dev.resilientai.actuate.Drills;
import dev.resilientai.failover.FailoverExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real headless Chromium: switch the primary to outage, send chats, see
 * them answered by the next provider and the primary's card show its breaker open; start a
 * drill on the primary from its card, see chats fail over without reaching it and the card
 * show the drill apart from the simulated fault, stop it and see the primary answer. Needs
 * Debian's {@code chromium} and {@code chromium-driver}; {@code .ci/run} installs them and sets
 * {@code REQUIRE_BROWSER_TESTS=true}, so there the test runs or fails, never skips.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DashboardBrowserTests {

	private static final String CHROMIUM = "/usr/bin/chromium";

	private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

	@LocalServerPort
	int port;

	@Autowired
	ProviderSimulator simulator;

	@Autowired
	CircuitBreakerRegistry circuitBreakerRegistry;

	@Autowired
	FailoverExecutor executor;

	@Autowired
	Drills drills;

	private WebDriver driver;

	@BeforeEach
	void startBrowser() throws Exception {
		boolean installed = new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute();
		if ("true".equals(System.getenv("REQUIRE_BROWSER_TESTS"))) {
			assertThat(installed).as("chromium and chromium-driver are installed").isTrue();
		}
		assumeTrue(installed, "chromium and chromium-driver are not installed");
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM);
		options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
				"--window-size=1400,1000", "--user-data-dir=" + Files.createTempDirectory("chromium"));
		this.driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
			.build(), options);
	}

	@AfterEach
	void stopBrowser() {
		if (this.driver != null) {
			this.driver.quit();
		}
		this.executor.getProviders().forEach((provider) -> this.drills.stop(provider, "test"));
		for (ProviderSimulator.Kind kind : ProviderSimulator.Kind.values()) {
			this.simulator.setMode(kind, ProviderSimulator.Mode.HEALTHY);
		}
		this.circuitBreakerRegistry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
	}

	@Test
	void anOutageOfThePrimaryMovesChatsToTheNextProviderAndOpensItsBreaker() throws Exception {
		WebDriverWait wait = new WebDriverWait(this.driver, Duration.ofSeconds(20));
		this.driver.get("http://127.0.0.1:" + this.port + "/");
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("breaker-openai"), "CLOSED"));

		new Select(this.driver.findElement(By.id("mode-openai"))).selectByValue("outage");
		wait.until((d) -> this.simulator.mode(ProviderSimulator.Kind.OPENAI) == ProviderSimulator.Mode.OUTAGE);
		for (int i = 0; i < 3; i++) {
			this.driver.findElement(By.id("chat-send")).click();
			wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("answer-provider"), "anthropic"));
			this.driver.findElement(By.id("chat-answer")).getText();
		}

		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("breaker-openai"), "OPEN"));
		assertThat(this.driver.findElement(By.id("card-openai")).getAttribute("class")).contains("open");
		assertThat(this.driver.findElement(By.id("chat-answer")).getText()).contains("anthropic answered in 2 attempt(s)");
		Path screenshot = Path.of("target", "dashboard-outage.png");
		Files.createDirectories(screenshot.getParent());
		Files.copy(((TakesScreenshot) this.driver).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
				StandardCopyOption.REPLACE_EXISTING);
		assertThat(Files.size(screenshot)).isPositive();
	}

	@Test
	void aDrillStartedFromTheDashboardFailsOverWithoutCallingThePrimaryUntilItIsStopped() throws Exception {
		WebDriverWait wait = new WebDriverWait(this.driver, Duration.ofSeconds(20));
		this.driver.get("http://127.0.0.1:" + this.port + "/");
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("breaker-openai"), "CLOSED"));
		assertThat(this.driver.findElement(By.id("drill-openai")).getText()).isEqualTo("none");
		assertThat(this.driver.findElement(By.id("fault-legend")).getText()).contains("never calls the provider");

		new Select(this.driver.findElement(By.id("drill-fault-openai"))).selectByValue("error");
		this.driver.findElement(By.id("drill-ratio-openai")).clear();
		this.driver.findElement(By.id("drill-ratio-openai")).sendKeys("1");
		this.driver.findElement(By.id("drill-duration-openai")).clear();
		this.driver.findElement(By.id("drill-duration-openai")).sendKeys("2m");
		this.driver.findElement(By.id("drill-start-openai")).click();
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("drill-openai"), "error on 100 %"));
		long openAiBefore = this.simulator.requests(ProviderSimulator.Kind.OPENAI);
		for (int i = 0; i < 2; i++) {
			this.driver.findElement(By.id("chat-send")).click();
			wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("answer-provider"), "anthropic"));
		}
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("drill-openai"), "2 injected"));

		assertThat(this.simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAiBefore);
		assertThat(this.driver.findElement(By.id("chat-answer")).getText()).contains("anthropic answered in 2 attempt(s)");
		assertThat(this.driver.findElement(By.id("drill-openai")).getText()).containsPattern("1m \\d\\ds left")
			.contains("not sent");
		assertThat(this.driver.findElement(By.id("card-openai")).getAttribute("class")).contains("drilling")
			.doesNotContain("simulated-fault");
		assertThat(this.driver.findElement(By.id("drill-badge-openai")).getText()).isEqualTo("drill: error");
		assertThat(this.driver.findElement(By.id("simulated-badge-openai")).isDisplayed()).isFalse();
		assertThat(new Select(this.driver.findElement(By.id("mode-openai"))).getFirstSelectedOption().getText())
			.isEqualTo("healthy");
		((JavascriptExecutor) this.driver).executeScript("window.scrollTo(0, 0)");
		Path screenshot = Path.of("target", "dashboard-drill.png");
		Files.createDirectories(screenshot.getParent());
		Files.copy(((TakesScreenshot) this.driver).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
				StandardCopyOption.REPLACE_EXISTING);

		this.driver.findElement(By.id("drill-stop-openai")).click();
		wait.until(ExpectedConditions.textToBe(By.id("drill-openai"), "none"));
		this.driver.findElement(By.id("chat-send")).click();
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("answer-provider"), "openai"));

		assertThat(this.simulator.requests(ProviderSimulator.Kind.OPENAI)).isEqualTo(openAiBefore + 1);
		assertThat(this.driver.findElement(By.id("card-openai")).getAttribute("class")).doesNotContain("drilling");
		assertThat(this.driver.findElement(By.id("drill-stop-openai")).isEnabled()).isFalse();
	}

	@Test
	void aBadDrillIsRefusedOnTheCardWithTheEndpointsReason() {
		WebDriverWait wait = new WebDriverWait(this.driver, Duration.ofSeconds(20));
		this.driver.get("http://127.0.0.1:" + this.port + "/");
		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("breaker-anthropic"), "CLOSED"));

		this.driver.findElement(By.id("drill-duration-anthropic")).clear();
		this.driver.findElement(By.id("drill-duration-anthropic")).sendKeys("2h");
		this.driver.findElement(By.id("drill-start-anthropic")).click();

		wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("drill-error-anthropic"), "400"));
		assertThat(this.driver.findElement(By.id("drill-error-anthropic")).getText()).contains("'duration'");
		assertThat(this.driver.findElement(By.id("drill-anthropic")).getText()).isEqualTo("none");
	}

}
