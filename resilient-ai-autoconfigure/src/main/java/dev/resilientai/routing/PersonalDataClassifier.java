package dev.resilientai.routing;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.resilientai.DataClassifier;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * A built-in {@link DataClassifier} that raises a request to a configured class when its
 * messages contain obvious personal data: an e-mail address, a phone number in international
 * or common national notation, a payment card number that passes the Luhn check, an IBAN that
 * passes its mod-97 check, or a US social security number. It is a safety net for mistakes,
 * not a data-loss-prevention system: names, postal addresses, dates of birth, health terms,
 * national IDs other than the SSN, and data that is obfuscated, split across messages or
 * inside images and files are not detected.
 */
public class PersonalDataClassifier implements DataClassifier {

	private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");

	/** +CC followed by 7-14 digits, or (NNN) NNN-NNNN and NNN-NNN-NNNN, separators allowed. */
	private static final Pattern PHONE = Pattern.compile(
			"(?<![\\w+])(?:\\+\\d{1,3}[\\s.-]?(?:\\(?\\d{1,4}\\)?[\\s.-]?){2,5}\\d{2,4}|\\(\\d{3}\\)\\s?\\d{3}[\\s.-]\\d{4}|\\d{3}[.-]\\d{3}[.-]\\d{4})(?![\\w])");

	private static final Pattern CARD = Pattern.compile("(?<!\\d)(?:\\d[ -]?){12,18}\\d(?!\\d)");

	private static final Pattern IBAN = Pattern.compile("\\b[A-Z]{2}\\d{2}(?:[ ]?[A-Z0-9]){11,30}\\b");

	private static final Pattern SSN = Pattern
		.compile("(?<!\\d)(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}(?!\\d)");

	private static final BigInteger NINETY_SEVEN = BigInteger.valueOf(97);

	private final String raiseTo;

	/**
	 * Create a classifier.
	 * @param raiseTo the class to raise requests with personal data to
	 */
	public PersonalDataClassifier(String raiseTo) {
		this.raiseTo = raiseTo;
	}

	@Override
	public @Nullable String classify(Prompt prompt, String currentClass) {
		for (Message message : prompt.getInstructions()) {
			if (containsPersonalData(message.getText())) {
				return this.raiseTo;
			}
			if (message instanceof ToolResponseMessage toolResponse) {
				for (ToolResponseMessage.ToolResponse response : toolResponse.getResponses()) {
					if (containsPersonalData(response.responseData())) {
						return this.raiseTo;
					}
				}
			}
		}
		return null;
	}

	/**
	 * Whether a text contains personal data this classifier recognises.
	 * @param text the text
	 * @return {@code true} if it does
	 */
	public static boolean containsPersonalData(@Nullable String text) {
		if (text == null || text.isEmpty()) {
			return false;
		}
		return EMAIL.matcher(text).find() || PHONE.matcher(text).find() || SSN.matcher(text).find()
				|| hasCardNumber(text) || hasIban(text);
	}

	private static boolean hasCardNumber(String text) {
		Matcher matcher = CARD.matcher(text);
		while (matcher.find()) {
			String digits = matcher.group().replaceAll("[ -]", "");
			if (digits.length() >= 13 && digits.length() <= 19 && luhn(digits)) {
				return true;
			}
		}
		return false;
	}

	static boolean luhn(String digits) {
		int sum = 0;
		boolean doubleIt = false;
		for (int i = digits.length() - 1; i >= 0; i--) {
			int digit = digits.charAt(i) - '0';
			if (doubleIt) {
				digit *= 2;
				if (digit > 9) {
					digit -= 9;
				}
			}
			sum += digit;
			doubleIt = !doubleIt;
		}
		return sum % 10 == 0;
	}

	private static boolean hasIban(String text) {
		Matcher matcher = IBAN.matcher(text.toUpperCase(Locale.ROOT));
		while (matcher.find()) {
			String iban = matcher.group().replace(" ", "");
			if (iban.length() >= 15 && iban.length() <= 34 && ibanChecksum(iban)) {
				return true;
			}
		}
		return false;
	}

	static boolean ibanChecksum(String iban) {
		String rearranged = iban.substring(4) + iban.substring(0, 4);
		StringBuilder numeric = new StringBuilder();
		for (char c : rearranged.toCharArray()) {
			if (Character.isDigit(c)) {
				numeric.append(c);
			}
			else if (c >= 'A' && c <= 'Z') {
				numeric.append(c - 'A' + 10);
			}
			else {
				return false;
			}
		}
		return new BigInteger(numeric.toString()).mod(NINETY_SEVEN).intValue() == 1;
	}

}
