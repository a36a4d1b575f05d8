package baleine.generation;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A JSON schema's bounds on a number ({@code minimum}, {@code maximum} and their exclusive forms, as numbers or,
 * draft 4, as flags), and which typed beginnings of a number can still end inside them: a beginning stands for
 * every number it can grow into (more digits, a fraction), so that constrained decoding never writes itself
 * into a corner. Bounded numbers are written without an exponent (with one, any beginning could still end inside).
 */
record NumberRange(BigDecimal min, boolean minExclusive, BigDecimal max, boolean maxExclusive) {
    static final NumberRange ALL = new NumberRange(null, false, null, false);

    /** The bounds of {@code schema}; for integers, as the closed range of integers they leave. */
    static NumberRange of(JsonNode schema, boolean integer, String path) {
        BigDecimal min = bound(schema, "minimum", path), max = bound(schema, "maximum", path);
        boolean minExclusive = false, maxExclusive = false;
        JsonNode exMin = schema.path("exclusiveMinimum"), exMax = schema.path("exclusiveMaximum");
        if (exMin.isBoolean()) {
            minExclusive = exMin.asBoolean();
        } else if (exMin.isNumber()) {
            BigDecimal v = exMin.decimalValue();
            if (min == null || v.compareTo(min) >= 0) {
                min = v;
                minExclusive = true;
            }
        }
        if (exMax.isBoolean()) {
            maxExclusive = exMax.asBoolean();
        } else if (exMax.isNumber()) {
            BigDecimal v = exMax.decimalValue();
            if (max == null || v.compareTo(max) <= 0) {
                max = v;
                maxExclusive = true;
            }
        }
        if (integer) {
            if (min != null) {
                min = minExclusive ? min.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE) : min.setScale(0, RoundingMode.CEILING);
            }
            if (max != null) {
                max = maxExclusive ? max.setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE) : max.setScale(0, RoundingMode.FLOOR);
            }
            minExclusive = maxExclusive = false;
        }
        NumberRange r = new NumberRange(min, minExclusive, max, maxExclusive);
        if (min != null && max != null && !r.meets(min, !minExclusive, max, !maxExclusive)) {
            throw new IllegalArgumentException(path + ": no " + (integer ? "integer" : "number") + " lies within its minimum and maximum");
        }
        return r;
    }

    private static BigDecimal bound(JsonNode schema, String keyword, String path) {
        JsonNode v = schema.path(keyword);
        if (v.isMissingNode()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(path + ": " + keyword + " must be a number");
        }
        return v.decimalValue();
    }

    boolean bounded() {
        return min != null || max != null;
    }

    boolean contains(BigDecimal v) {
        return (min == null || v.compareTo(min) > 0 || (v.compareTo(min) == 0 && !minExclusive))
                && (max == null || v.compareTo(max) < 0 || (v.compareTo(max) == 0 && !maxExclusive));
    }

    /** Whether a number that begins with {@code prefix} (a sign, digits, a point, fraction digits) can end inside. */
    boolean reachable(String prefix, boolean integer) {
        boolean negative = prefix.startsWith("-");
        String m = negative ? prefix.substring(1) : prefix;
        if (m.isEmpty()) {
            return meets(negative, BigDecimal.ZERO, true, null, false); // any magnitude
        }
        int dot = m.indexOf('.');
        if (dot >= 0) { // the fraction's next digits: [m, m + one unit of its last place)
            int places = m.length() - dot - 1;
            BigDecimal low = new BigDecimal(places == 0 ? m.substring(0, dot) : m);
            return meets(negative, low, true, low.add(BigDecimal.ONE.movePointLeft(places)), false);
        }
        if (m.equals("0")) { // no digit can follow a leading zero
            return integer ? meets(negative, BigDecimal.ZERO, true, BigDecimal.ZERO, true) : meets(negative, BigDecimal.ZERO, true, BigDecimal.ONE, false);
        }
        BigDecimal largest = negative ? (min == null ? null : min.negate()) : max; // the largest magnitude allowed on this side
        if (largest == null) {
            return true; // magnitudes grow without end on this side: some are inside
        }
        BigDecimal whole = new BigDecimal(m);
        for (BigDecimal scale = BigDecimal.ONE; ; scale = scale.movePointRight(1)) { // j more digits: [whole 10^j, (whole + 1) 10^j)
            BigDecimal low = whole.multiply(scale), high = whole.add(BigDecimal.ONE).multiply(scale);
            if (integer ? meets(negative, low, true, high.subtract(BigDecimal.ONE), true) : meets(negative, low, true, high, false)) {
                return true;
            }
            if (low.compareTo(largest) > 0) {
                return false;
            }
        }
    }

    /** Whether magnitudes from {@code low} to {@code high} (null: no end), with that sign, meet the range. */
    private boolean meets(boolean negative, BigDecimal low, boolean lowIn, BigDecimal high, boolean highIn) {
        return negative ? meets(high == null ? null : high.negate(), highIn, low.negate(), lowIn) : meets(low, lowIn, high, highIn);
    }

    /** Whether the values from {@code a} to {@code b} (null: no end) meet the range. */
    private boolean meets(BigDecimal a, boolean aIn, BigDecimal b, boolean bIn) {
        BigDecimal lo = a;
        boolean loIn = aIn;
        if (min != null && (lo == null || min.compareTo(lo) > 0 || (min.compareTo(lo) == 0 && minExclusive))) {
            lo = min;
            loIn = !minExclusive;
        }
        BigDecimal hi = b;
        boolean hiIn = bIn;
        if (max != null && (hi == null || max.compareTo(hi) < 0 || (max.compareTo(hi) == 0 && maxExclusive))) {
            hi = max;
            hiIn = !maxExclusive;
        }
        return lo == null || hi == null || lo.compareTo(hi) < 0 || (lo.compareTo(hi) == 0 && loIn && hiIn);
    }
}
