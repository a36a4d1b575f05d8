package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each Vector API kernel against its scalar twin on random data, at lengths that exercise the tails. */
class VectorMathTest {
    private final Random rnd = new Random(42);

    private float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    @RepeatedTest(20)
    void dotMatchesScalar() {
        int n = 1 + rnd.nextInt(700), off = rnd.nextInt(5);
        float[] a = random(n + off), b = random(n + 3);
        assertThat(VectorMath.dot(a, off, b, 3, n)).isCloseTo(VectorMath.dotScalar(a, off, b, 3, n), within(1e-4f * (float) Math.sqrt(n)));
    }

    @RepeatedTest(3)
    void lanesSummedInPlaceGiveTheVectorTreesBits() {
        for (int results = 1; results <= 16; results++) { // 4, 8 and 16 take the vector folds
            float[] lanes = new float[results * VectorMath.LANES];
            for (int i = 0; i < lanes.length; i++) { // magnitudes far apart, so that the order of the sums shows
                lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            }
            float[] out = lanes.clone();
            VectorMath.sumLanesInPlace(out, results);
            for (int r = 0; r < results; r++) {
                float tree = VectorMath.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, r * VectorMath.LANES));
                assertThat(out[r]).as(results + " results, result " + r).isEqualTo(tree);
            }
        }
    }

    @RepeatedTest(3)
    void lanesSummedInPlaceAtAnOffsetGiveTheSameBitsAndLeaveTheRestAlone() {
        for (int results : new int[]{3, 4, 8, 16}) {
            int off = VectorMath.LANES * (1 + rnd.nextInt(4)); // PanelProduct folds tile after tile of one array
            float[] lanes = random(off + results * VectorMath.LANES + 5);
            float[] atZero = Arrays.copyOfRange(lanes, off, off + results * VectorMath.LANES);
            VectorMath.sumLanesInPlace(atZero, results);
            float[] out = lanes.clone();
            VectorMath.sumLanesInPlace(out, off, results);
            assertThat(Arrays.copyOfRange(out, off, off + results)).as(results + " results").isEqualTo(Arrays.copyOf(atZero, results));
            assertThat(Arrays.copyOf(out, off)).isEqualTo(Arrays.copyOf(lanes, off));
            assertThat(Arrays.copyOfRange(out, off + results * VectorMath.LANES, out.length))
                    .isEqualTo(Arrays.copyOfRange(lanes, off + results * VectorMath.LANES, lanes.length));
        }
    }

    @RepeatedTest(3)
    void sixteenVectorsMaximaAreEachVectorsLargestLane() {
        assumeTrue(LaneFolds.SIXTEEN, "the folds of sixteen lanes need 512-bit vectors");
        float[] lanes = random(256 + 7);
        lanes[3 + 5 * 16 + 9] = Float.NaN; // a NaN wins, as in Math.max; 0 beats -0
        java.util.Arrays.fill(lanes, 3 + 16 * 11, 3 + 16 * 12, -0f);
        lanes[3 + 16 * 11 + 4] = 0f;
        float[] out = lanes.clone();
        LaneFolds.maxSixteen(out, 3);
        for (int v = 0; v < 16; v++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < 16; i++) {
                max = Math.max(max, lanes[3 + 16 * v + i]);
            }
            assertThat(Float.valueOf(out[3 + v])).as("vector " + v).isEqualTo(Float.valueOf(max));
        }
        assertThat(out[3 + 5]).isNaN();
        assertThat(Float.floatToRawIntBits(out[3 + 11])).isZero();
        assertThat(Arrays.copyOf(out, 3)).isEqualTo(Arrays.copyOf(lanes, 3));
    }

    @RepeatedTest(10)
    void fourRowsByTwoOrOneVectorsGiveTheBitsOfTheFourByFourTile() {
        int n = 1 + rnd.nextInt(600), rows = 9;
        float[] a = random(rows * n + 7);
        int[] o = {rnd.nextInt(rows) * n, rnd.nextInt(rows) * n + 3, 7, rnd.nextInt(rows) * n};
        float[][] x = {random(n), random(n), random(n), random(n), random(n)};
        float[] four = VectorMath.outBuffer(16), two = VectorMath.outBuffer(16), one = VectorMath.outBuffer(16);
        VectorMath.dotRows4x4(a, o[0], o[1], o[2], o[3], x, 1, n, four);
        VectorMath.dotRows4x2(a, o[0], o[1], o[2], o[3], x, 1, n, two);
        VectorMath.dotRows4x1(a, o[0], o[1], o[2], o[3], x[1], n, one);
        for (int i = 0; i < 4; i++) {
            assertThat(two[2 * i]).isEqualTo(four[4 * i]);
            assertThat(two[2 * i + 1]).isEqualTo(four[4 * i + 1]);
            assertThat(one[i]).isEqualTo(four[4 * i]);
            assertThat(one[i]).isCloseTo(VectorMath.dotScalar(a, o[i], x[1], 0, n), within(1e-4f * (float) Math.sqrt(n)));
        }
        float[] w = random(16), w2 = new float[8], w1 = new float[4];
        for (int i = 0; i < 4; i++) {
            w2[2 * i] = w[4 * i];
            w2[2 * i + 1] = w[4 * i + 1];
            w1[i] = w[4 * i];
        }
        float[][] y4 = {random(n), random(n), random(n), random(n), random(n)};
        float[][] y2 = {y4[0].clone(), y4[1].clone(), y4[2].clone()};
        float[] y1 = y4[1].clone(), expected = y4[1].clone();
        VectorMath.axpyRows4x4(w, a, o[0], o[1], o[2], o[3], y4, 1, n);
        VectorMath.axpyRows4x2(w2, a, o[0], o[1], o[2], o[3], y2, 1, n);
        VectorMath.axpyRows4x1(w1, a, o[0], o[1], o[2], o[3], y1, n);
        for (int i = 0; i < 4; i++) {
            VectorMath.axpyScalar(w[4 * i], a, o[i], expected, 0, n);
        }
        assertThat(y2[1]).isEqualTo(y4[1]);
        assertThat(y2[2]).isEqualTo(y4[2]);
        assertThat(y1).isEqualTo(y4[1]);
        for (int c = 0; c < n; c++) {
            assertThat(y1[c]).isCloseTo(expected[c], within(1e-4f));
        }
    }

    @RepeatedTest(10)
    void fourRowsByFourVectorsMatchScalar() {
        int n = 1 + rnd.nextInt(600), rows = 9;
        float[] a = random(rows * n + 7);
        int[] o = {rnd.nextInt(rows) * n, rnd.nextInt(rows) * n + 3, 7, rnd.nextInt(rows) * n};
        float[][] x = {random(n), random(n), random(n), random(n), random(n)};
        float[] out = VectorMath.outBuffer(16);
        VectorMath.dotRows4x4(a, o[0], o[1], o[2], o[3], x, 1, n, out);
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 4; k++) {
                assertThat(out[4 * i + k]).isCloseTo(VectorMath.dotScalar(a, o[i], x[1 + k], 0, n), within(1e-4f * (float) Math.sqrt(n)));
            }
        }
        float[] w = random(16);
        float[][] y = {random(n), random(n), random(n), random(n), random(n)};
        float[][] expected = new float[5][];
        for (int k = 0; k < 5; k++) {
            expected[k] = y[k].clone();
        }
        VectorMath.axpyRows4x4(w, a, o[0], o[1], o[2], o[3], y, 1, n);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 4; i++) {
                VectorMath.axpyScalar(w[4 * i + k], a, o[i], expected[1 + k], 0, n);
            }
        }
        for (int k = 0; k < 5; k++) {
            for (int c = 0; c < n; c++) {
                assertThat(y[k][c]).isCloseTo(expected[k][c], within(1e-4f));
            }
        }
    }

    @RepeatedTest(10)
    void axpyMatchesScalar() {
        int n = 1 + rnd.nextInt(300);
        float[] x = random(n), y = random(n + 2), y2 = y.clone();
        float alpha = (float) rnd.nextGaussian();
        VectorMath.axpy(alpha, x, 0, y, 2 - 0, n);
        VectorMath.axpyScalar(alpha, x, 0, y2, 2, n);
        for (int i = 0; i < y.length; i++) {
            assertThat(y[i]).isCloseTo(y2[i], within(1e-5f));
        }
    }

    @RepeatedTest(10)
    void rmsNormMatchesScalar() {
        int n = 1 + rnd.nextInt(300);
        float[] x = random(n), w = random(n), x2 = x.clone();
        VectorMath.rmsNorm(x, 0, n, w, 1e-6f);
        VectorMath.rmsNormScalar(x2, 0, n, w, 1e-6f);
        for (int i = 0; i < n; i++) {
            assertThat(x[i]).isCloseTo(x2[i], within(1e-4f));
        }
    }

    @Test
    void softmaxSumsToOneAndKeepsOrder() {
        float[] x = random(100);
        float[] p = x.clone();
        VectorMath.softmax(p, 0, 100);
        double sum = 0;
        for (int i = 0; i < 100; i++) {
            sum += p[i];
            assertThat(p[i]).isCloseTo((float) Math.exp(x[i]) / (float) expSum(x), within(1e-5f));
        }
        assertThat(sum).isCloseTo(1.0, within(1e-5));
    }

    private static double expSum(float[] x) {
        double s = 0;
        for (float v : x) {
            s += Math.exp(v);
        }
        return s;
    }

    @RepeatedTest(10)
    void dot4AndAxpy4MatchTheirScalarDefinitions() {
        int n = 1 + rnd.nextInt(600);
        float[] row = random(n + 3);
        float[][] x = {random(n), random(n), random(n), random(n), random(n)};
        float[] out = VectorMath.outBuffer(4);
        VectorMath.dot4(row, 3, x, 1, 0, n, out);
        for (int k = 0; k < 4; k++) {
            assertThat(out[k]).isCloseTo(VectorMath.dotScalar(row, 3, x[1 + k], 0, n), within(1e-4f * (float) Math.sqrt(n)));
        }
        float[][] y = {random(n + 1), random(n + 1), random(n + 1), random(n + 1)};
        float[][] expected = new float[4][];
        float[] alpha = random(4);
        for (int k = 0; k < 4; k++) {
            expected[k] = y[k].clone();
            VectorMath.axpyScalar(alpha[k], row, 3, expected[k], 1, n);
        }
        VectorMath.axpy4(alpha, row, 3, y, 0, 1, n);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i <= n; i++) {
                assertThat(y[k][i]).isCloseTo(expected[k][i], within(1e-5f));
            }
        }
    }

    @Test
    void expIsWithinTwoUlpsOfMathExpAndItsScalarTwinGivesTheSameBits() {
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 176 - 88); // past both ends of the normal range
        }
        float[] edges = {0f, -0f, 1e-8f, -1e-8f, 0.3465f, -0.3466f, -87.3f, -87.34f, -100f, 88.2f, 1f, -1f};
        System.arraycopy(edges, 0, x, 0, edges.length);
        float[] y = x.clone(), z = x.clone();
        VectorMath.exp(y, 0, x.length, 1f, 0f);
        VectorMath.exp(z, 3, x.length - 3, -1f, 0.5f); // a tail, a negated and shifted argument
        for (int i = 3; i < x.length; i++) {
            assertThat(z[i]).as("exp(-%s - 0.5)", x[i]).isEqualTo(VectorMath.expScalar(-x[i] - 0.5f));
        }
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).as("exp(%s)", x[i]).isEqualTo(VectorMath.expScalar(x[i]));
            float exact = (float) Math.exp(x[i]);
            if (x[i] < -87.33f) {
                assertThat(y[i]).as("exp(%s), under the normal range", x[i]).isZero();
            } else if (x[i] <= 88.3f) {
                assertThat(Math.abs(y[i] - exact)).as("exp(%s) = %s, Math.exp %s", x[i], y[i], exact).isLessThanOrEqualTo(2 * Math.ulp(exact));
            }
        }
    }

    @RepeatedTest(10)
    void softmaxAndSwigluMatchTheirScalarTwins() {
        int n = 1 + rnd.nextInt(600);
        float[] x = random(n), up = random(n);
        for (int i = 0; i < n; i++) {
            x[i] *= 8; // logits far apart, and gates deep in both tails of silu
        }
        float[] p = x.clone(), q = x.clone();
        VectorMath.softmax(p, 0, n);
        VectorMath.softmaxScalar(q, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(p[i]).isCloseTo(q[i], within(1e-6f + 1e-5f * q[i]));
        }
        float[] g = x.clone(), h = x.clone();
        VectorMath.swiglu(g, up.clone(), n); // overwrites up
        VectorMath.swigluScalar(h, up, n);
        for (int i = 0; i < n; i++) {
            assertThat(g[i]).isCloseTo(h[i], within(1e-6f + 1e-6f * Math.abs(h[i])));
        }
    }
}
