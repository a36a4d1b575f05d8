package baleine.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsTest {
    @Test
    void rowsGivenBackAreReusedZeroedByMatricesOfAnyHeightOfTheirWidth() {
        float[][] first;
        try (Activations.Scope pass = Activations.open()) {
            try (Activations.Scope layer = Activations.open()) {
                first = Activations.take(3, 5);
                first[2][4] = 7f;
            }
            float[][] again = Activations.take(2, 5); // another expert's token count: the same rows
            assertThat(distinct(first, again)).hasSize(3); // (compared by identity)
            for (float[] row : again) {
                assertThat(row).containsOnly(0f);
            }
            float[][] more = Activations.take(3, 5); // one row left, two new
            assertThat(distinct(again, more)).hasSize(5);
            assertThat(Activations.take(3, 6)).hasDimensions(3, 6);
        }
    }

    private static Set<float[]> distinct(float[][]... matrices) {
        Set<float[]> rows = Collections.newSetFromMap(new IdentityHashMap<>());
        for (float[][] m : matrices) {
            rows.addAll(Arrays.asList(m));
        }
        return rows;
    }

    @Test
    void outsideAScopeEveryTakeIsFresh() {
        float[][] a = Activations.take(2, 2), b = Activations.take(2, 2);
        assertThat(a).isNotSameAs(b).hasDimensions(2, 2);
    }

    @Test
    void aPassForgetsTheWidthsItDidNotUse() {
        float[][] big;
        try (Activations.Scope pass = Activations.open()) {
            big = Activations.take(4, 4);
        }
        try (Activations.Scope pass = Activations.open()) {
            Activations.take(1, 3); // a pass of other widths: the rows of width 4 are dropped at its end
        }
        try (Activations.Scope pass = Activations.open()) {
            assertThat(distinct(big, Activations.take(1, 4))).hasSize(5);
        }
    }
}
