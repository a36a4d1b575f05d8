package baleine.generation;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A string schema's {@code pattern} and {@code format}, as regular expressions its value must contain a match of
 * (JSON Schema's search semantics; the formats are anchored), and which typed beginnings of a value can still
 * grow into one that does: a beginning with no match yet can only while the regex engine, looking for one, ran
 * into its end ({@link Matcher#hitEnd}) — more characters could still complete a match there.
 */
record StringPatterns(List<Pattern> patterns) {
    static final StringPatterns NONE = new StringPatterns(List.of());

    /** The formats Baleine can hold a value to, as regular expressions (RFC 3339 dates and times, RFC 4122 UUIDs, ...). */
    private static final Map<String, String> FORMATS = Map.of(
            "date-time", "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$",
            "date", "^\\d{4}-\\d{2}-\\d{2}$",
            "time", "^\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?$",
            "uuid", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            "email", "^[^@\\s\"]+@[^@\\s\"]+\\.[^@\\s\"]+$",
            "ipv4", "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$",
            "uri", "^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s\"]*$");

    static StringPatterns of(JsonNode schema, String path) {
        List<Pattern> patterns = new ArrayList<>();
        if (schema.has("pattern")) {
            try {
                patterns.add(Pattern.compile(schema.get("pattern").asText()));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(path + ": pattern is not a regular expression Baleine can read: " + e.getDescription());
            }
        }
        if (schema.has("format")) {
            String format = schema.get("format").asText();
            String regex = FORMATS.get(format);
            if (regex == null) {
                throw new IllegalArgumentException(path + ": format '" + format + "' is not supported for constrained output (supported: "
                        + String.join(", ", FORMATS.keySet().stream().sorted().toList()) + ")");
            }
            patterns.add(Pattern.compile(regex));
        }
        return patterns.isEmpty() ? NONE : new StringPatterns(List.copyOf(patterns));
    }

    boolean none() {
        return patterns.isEmpty();
    }

    /** Whether every pattern has a match in {@code value}. */
    boolean satisfied(CharSequence value) {
        for (Pattern p : patterns) {
            if (!p.matcher(new Budgeted(value, p)).find()) {
                return false;
            }
        }
        return true;
    }

    /** Whether more characters could still give every pattern a match. */
    boolean reachable(CharSequence value) {
        for (Pattern p : patterns) {
            Matcher m = p.matcher(new Budgeted(value, p));
            if (!m.find() && !m.hitEnd()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether some character from {@code lo} to {@code hi} (the ones a character's first bytes still allow) could
     * come next: all of them when they are few (a two-byte character's last byte), else a spread of seventeen. A
     * beginning of a character no pattern could take would leave no token to continue with.
     */
    boolean reachableWithAny(CharSequence value, int lo, int hi) {
        StringBuilder v = new StringBuilder(value);
        int at = v.length(), step = hi - lo < 64 ? 1 : (hi - lo) / 16;
        for (long cp = lo; cp <= hi; cp += step) {
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE || cp > Character.MAX_CODE_POINT) {
                continue;
            }
            v.setLength(at);
            v.appendCodePoint((int) cp);
            if (reachable(v)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The value as the regex engine reads it, a bounded number of times per search: a pattern that backtracks
     * without end ({@code (a+)+$}) would otherwise hold the scheduler, and every request with it, for good.
     */
    private static final class Budgeted implements CharSequence {
        static final int READS = 200_000;
        private final CharSequence value;
        private final Pattern pattern;
        private int reads;

        Budgeted(CharSequence value, Pattern pattern) {
            this.value = value;
            this.pattern = pattern;
        }

        @Override
        public char charAt(int index) {
            if (++reads > READS) {
                throw new IllegalArgumentException("the pattern " + pattern + " takes too many steps to match (over " + READS
                        + " reads of a " + value.length() + "-character value); simplify it");
            }
            return value.charAt(index);
        }

        @Override
        public int length() {
            return value.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return value.subSequence(start, end);
        }

        @Override
        public String toString() {
            return value.toString();
        }
    }
}
