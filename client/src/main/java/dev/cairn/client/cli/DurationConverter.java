package dev.cairn.client.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code 30d}, {@code 12h}, {@code 90m}, {@code 45s}, {@code 2w}, combinations ({@code 1d12h}) and ISO-8601 ({@code PT1H}). */
final class DurationConverter implements ITypeConverter<Duration> {

  private static final Pattern PART = Pattern.compile("(\\d+)([wdhms])");

  @Override
  public Duration convert(String value) {
    String text = value.strip().toLowerCase(Locale.ROOT);
    if (text.startsWith("p")) {
      try {
        return positive(value, Duration.parse(text.toUpperCase(Locale.ROOT)));
      } catch (java.time.format.DateTimeParseException e) {
        throw invalid(value);
      }
    }
    Matcher matcher = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (matcher.find() && matcher.start() == end) {
      long amount;
      try {
        amount = Long.parseLong(matcher.group(1));
      } catch (NumberFormatException e) {
        throw invalid(value);
      }
      total = total.plus(switch (matcher.group(2)) {
        case "w" -> Duration.ofDays(7 * amount);
        case "d" -> Duration.ofDays(amount);
        case "h" -> Duration.ofHours(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofSeconds(amount);
      });
      end = matcher.end();
    }
    if (end == 0 || end != text.length()) {
      throw invalid(value);
    }
    return positive(value, total);
  }

  private static Duration positive(String value, Duration duration) {
    if (duration.isZero() || duration.isNegative()) {
      throw new TypeConversionException("'" + value + "' (expected: a positive duration)");
    }
    return duration;
  }

  private static TypeConversionException invalid(String value) {
    return new TypeConversionException(
        "'" + value + "' is not a duration (expected: e.g. 30d, 12h, 90m, 45s, 1d12h or ISO-8601 PT1H)");
  }
}
