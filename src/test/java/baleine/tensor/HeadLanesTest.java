package baleine.tensor;

import org.junit.jupiter.api.RepeatedTest;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The heads-in-lanes attention kernels against plain scalar loops on random data: the same bits, since every
 * value is one chain of multiply-adds in a fixed order. Sizes exercise the partial blocks and all tails.
 */
class HeadLanesTest {
    private final Random rnd = new Random(7);

    private float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Rows of {@code width} values in a cache of wider rows, in shuffled order (as a paged cache holds them). */
    private record Cache(float[] data, int[] rows, int stride, int offset) {
        float at(int s, int d) {
            return data[rows[s] * stride + offset + d];
        }
    }

    private Cache cache(int m, int width) {
        int stride = width + rnd.nextInt(9), offset = rnd.nextInt(stride - width + 1);
        int[] rows = new int[m];
        for (int s = 0; s < m; s++) {
            rows[s] = s;
        }
        for (int s = m - 1; s > 0; s--) {
            int j = rnd.nextInt(s + 1), t = rows[s];
            rows[s] = rows[j];
            rows[j] = t;
        }
        return new Cache(random(m * stride), rows, stride, offset);
    }

    @RepeatedTest(12)
    void scoresAreEachRowAndHeadsFmaChain() {
        int heads = 1 + rnd.nextInt(40), width = 1 + rnd.nextInt(600), m = 1 + rnd.nextInt(40), from = rnd.nextInt(m);
        Cache c = cache(m, width);
        float[][] q = new float[heads][];
        for (int h = 0; h < heads; h++) {
            q[h] = random(width);
        }
        int padded = HeadLanes.padded(heads), q0 = 3, split = rnd.nextInt(heads + 1);
        float[] qT = random(padded * width); // stale values: the padding lanes must be cleared
        HeadLanes.transpose(q, 0, split, heads, width, qT); // in two parts, as two workers do
        HeadLanes.transpose(q, split, heads, heads, width, qT);
        float[] placed = new float[q0 + qT.length];
        System.arraycopy(qT, 0, placed, q0, qT.length);
        float[] att = random((m - from) * padded);
        HeadLanes.scores(c.data, c.rows, from, m, c.stride, c.offset, width, placed, q0, heads, att);
        for (int s = from; s < m; s++) {
            for (int h = 0; h < padded; h++) {
                float expected = 0;
                for (int d = 0; d < width; d++) {
                    expected = Math.fma(c.at(s, d), h < heads ? q[h][d] : 0f, expected);
                }
                assertThat(att[(s - from) * padded + h]).as("row %d head %d", s, h).isEqualTo(expected);
            }
        }
    }

    @RepeatedTest(12)
    void exponentiatedScoresMatchScalarSoftmaxParts() {
        int heads = 1 + rnd.nextInt(40), m = 1 + rnd.nextInt(300), padded = HeadLanes.padded(heads);
        float scale = 0.05f + rnd.nextFloat();
        float[] att = random(m * padded);
        for (int i = 0; i < att.length; i++) {
            att[i] *= 8;
        }
        float[] original = att.clone(), max = new float[padded];
        double[] sum = new double[padded];
        HeadLanes.exponentiate(att, m, heads, scale, max, sum);
        for (int h = 0; h < padded; h++) {
            float top = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < m; s++) {
                top = Math.max(top, original[s * padded + h] * scale);
            }
            assertThat(max[h]).isEqualTo(top);
            double total = 0;
            for (int s = 0; s < m; s++) {
                float e = VectorMath.expScalar(original[s * padded + h] * scale - top);
                assertThat(att[s * padded + h]).isEqualTo(e);
                total += e;
            }
            assertThat(sum[h]).as("head %d", h).isEqualTo(total);
        }
    }

    @RepeatedTest(12)
    void mixedRowsAreEachValuesFmaChainInRowOrder() {
        int heads = 1 + rnd.nextInt(40), width = 1 + rnd.nextInt(600), m = 1 + rnd.nextInt(40), from = rnd.nextInt(m);
        int padded = HeadLanes.padded(heads), out0 = 2;
        Cache c = cache(m, width + rnd.nextInt(70));
        float[] att = random((m - from) * padded);
        float[][] out = new float[out0 + heads + 1][];
        for (int k = 0; k < out.length; k++) {
            out[k] = random(width);
        }
        float[][] expected = new float[out.length][];
        for (int k = 0; k < out.length; k++) {
            expected[k] = out[k].clone();
        }
        for (int k = 0; k < heads; k++) {
            for (int d = 0; d < width; d++) {
                float a = expected[out0 + k][d];
                for (int s = from; s < m; s++) {
                    a = Math.fma(c.at(s, d), att[(s - from) * padded + k], a);
                }
                expected[out0 + k][d] = a;
            }
        }
        HeadLanes.mix(c.data, c.rows, from, m, c.stride, c.offset, width, att, heads, out, out0);
        for (int k = 0; k < out.length; k++) {
            assertThat(out[k]).as("output %d", k).isEqualTo(expected[k]);
        }
    }
}
