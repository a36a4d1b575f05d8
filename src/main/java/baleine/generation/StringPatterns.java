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
            "date-time", "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})\\z",
            "date", "^\\d{4}-\\d{2}-\\d{2}\\z",
            "time", "^\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?\\z",
            "uuid", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z",
            "email", "^[^@\\s\"]+@[^@\\s\"]+\\.[^@\\s\"]+\\z",
            "ipv4", "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\z",
            "uri", "^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s\"]*\\z");

    static StringPatterns of(JsonNode schema, String path) {
        List<Pattern> patterns = new ArrayList<>();
        if (schema.has("pattern")) {
            try {
                patterns.add(Pattern.compile(endAnchored(schema.get("pattern").asText())));
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

    /**
     * The pattern with each {@code $} outside a character class written {@code \\z}: in JSON Schema's regular
     * expressions (ECMA-262) it is the end of the value, where Java's also matches before a last line terminator.
     */
    static String endAnchored(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length() + 4);
        boolean escaped = false;
        int inClass = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '[') {
                inClass++;
            } else if (c == ']' && inClass > 0) {
                inClass--;
            } else if (c == '$' && inClass == 0) {
                out.append("\\z");
                continue;
            }
            out.append(c);
        }
        return out.toString();
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
     * come next: every ASCII one among them, and the others all when they are few (a two-byte character's last
     * byte), else a spread of seventeen. A character begun that no pattern could take would leave no token to
     * continue with; one that some unsampled character would fit is only turned away (a u-escape, a rare letter).
     */
    boolean reachableWithAny(CharSequence value, int lo, int hi) {
        StringBuilder v = new StringBuilder(value);
        int at = v.length();
        for (int cp = lo; cp <= Math.min(hi, 0x7F); cp++) { // ASCII, what patterns mostly ask for, one by one
            if (reachableWith(v, at, cp)) {
                return true;
            }
        }
        int from = Math.max(lo, 0x80), step = hi - from < 64 ? 1 : (hi - from) / 16;
        for (long cp = from; cp <= hi; cp += step) {
            if (!(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) && cp <= Character.MAX_CODE_POINT
                    && reachableWith(v, at, (int) cp)) {
                return true;
            }
        }
        return false;
    }

    private boolean reachableWith(StringBuilder v, int at, int cp) {
        v.setLength(at);
        v.appendCodePoint(cp);
        return reachable(v);
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
