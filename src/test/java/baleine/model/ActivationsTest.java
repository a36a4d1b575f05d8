package baleine.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsTest {
    @Test
    void aMatrixGivenBackIsReusedZeroedAndOnlyForItsShape() {
        float[][] first;
        try (Activations.Scope pass = Activations.open()) {
            try (Activations.Scope layer = Activations.open()) {
                first = Activations.take(3, 5);
                first[2][4] = 7f;
            }
            float[][] again = Activations.take(3, 5);
            assertThat(again).isSameAs(first);
            assertThat(again[2][4]).isZero();
            float[][] other = Activations.take(3, 5); // the first is taken: a new one
            assertThat(other).isNotSameAs(first);
            assertThat(Activations.take(3, 6)).hasDimensions(3, 6);
        }
    }

    @Test
    void outsideAScopeEveryTakeIsFresh() {
        float[][] a = Activations.take(2, 2), b = Activations.take(2, 2);
        assertThat(a).isNotSameAs(b).hasDimensions(2, 2);
    }

    @Test
    void aPassForgetsTheShapesItDidNotUse() {
        float[][] big;
        try (Activations.Scope pass = Activations.open()) {
            big = Activations.take(4, 4);
        }
        try (Activations.Scope pass = Activations.open()) {
            Activations.take(1, 4); // a pass of other shapes: the 4 x 4 matrix is dropped at its end
        }
        try (Activations.Scope pass = Activations.open()) {
            assertThat(Activations.take(4, 4)).isNotSameAs(big);
        }
    }
}
