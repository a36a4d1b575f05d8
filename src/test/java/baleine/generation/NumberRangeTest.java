package baleine.generation;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NumberRangeTest {
    static NumberRange range(String schema, boolean integer) throws Exception {
        return NumberRange.of(new ObjectMapper().readTree(schema), integer, "$");
    }

    /** Numbers written without exponent: integer parts 0..199 with either sign, fractions of up to {@code places} digits. */
    static List<String> numbers(int places, boolean integer) {
        List<String> out = new ArrayList<>();
        for (int i = -199; i <= 199; i++) {
            String whole = i == 0 ? "0" : String.valueOf(i);
            out.add(whole);
            if (!integer) {
                for (int p = 1; p <= places; p++) {
                    for (int f = 0; f < Math.pow(10, p); f++) {
                        out.add(whole + "." + String.format("%0" + p + "d", f));
                    }
                }
            }
        }
        out.add("-0");
        return out;
    }

    /**
     * Against enumeration: a beginning is reachable exactly when some number that starts with it lies in the range
     * (bounds with at most one decimal, beginnings with at most one fraction digit, witnesses with up to two).
     */
    @Test
    void aBeginningIsReachableExactlyWhenSomeNumberStartingWithItLiesInside() throws Exception {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 24; trial++) {
            boolean integer = trial % 3 == 0;
            // both bounds within the enumerated numbers, so that every witness is among them
            BigDecimal a = BigDecimal.valueOf(rnd.nextInt(3000) - 1500, 1), b = a.add(BigDecimal.valueOf(5 + rnd.nextInt(400), 1));
            String schema = "{" + (rnd.nextBoolean() ? "\"minimum\":" : "\"exclusiveMinimum\":") + a.toPlainString() + ","
                    + (rnd.nextBoolean() ? "\"maximum\":" : "\"exclusiveMaximum\":") + b.toPlainString() + "}";
            NumberRange r = range(schema, integer);
            Set<String> reachable = new HashSet<>();
            for (String n : numbers(2, integer)) {
                if (r.contains(new BigDecimal(n))) {
                    for (int k = 1; k <= n.length(); k++) {
                        reachable.add(n.substring(0, k));
                    }
                }
            }
            for (String n : numbers(1, integer)) {
                for (int k = 1; k <= n.length(); k++) {
                    String prefix = n.substring(0, k);
                    assertThat(r.reachable(prefix, integer)).as("%s %s under %s", integer ? "integer" : "number", prefix, schema)
                            .isEqualTo(reachable.contains(prefix));
                }
            }
        }
    }

    @Test
    void oneBoundLeavesTheOtherSideOpen() throws Exception {
        NumberRange atMost = range("{\"exclusiveMaximum\": -30.6}", true); // integers up to -31
        assertThat(atMost.reachable("-30", true)).as("-300 and below").isTrue();
        assertThat(atMost.reachable("-3", true)).isTrue();
        assertThat(atMost.reachable("0", true)).isFalse();
        assertThat(atMost.reachable("5", true)).isFalse();
        NumberRange atLeast = range("{\"minimum\": 1000}", false);
        assertThat(atLeast.reachable("9", false)).as("9000").isTrue();
        assertThat(atLeast.reachable("9.", false)).isFalse();
        assertThat(atLeast.reachable("-", false)).isFalse();
        assertThat(atLeast.reachable("0", false)).isFalse();
    }

    @Test
    void integerBoundsBecomeTheClosedRangeOfIntegersTheyLeaveAndAnEmptyRangeIsRefused() throws Exception {
        NumberRange r = range("{\"exclusiveMinimum\": 0.5, \"maximum\": 3.7}", true);
        assertThat(r.min()).isEqualByComparingTo("1");
        assertThat(r.max()).isEqualByComparingTo("3");
        assertThat(range("{\"minimum\": 2, \"exclusiveMinimum\": true}", true).min()).isEqualByComparingTo("3"); // draft 4
        assertThatThrownBy(() -> range("{\"minimum\": 0.2, \"maximum\": 0.8}", true)).hasMessageContaining("no integer lies within");
        assertThatThrownBy(() -> range("{\"exclusiveMinimum\": 1, \"maximum\": 1}", false)).hasMessageContaining("no number lies within");
        assertThatThrownBy(() -> range("{\"minimum\": \"1\"}", false)).hasMessageContaining("minimum must be a number");
    }
}
