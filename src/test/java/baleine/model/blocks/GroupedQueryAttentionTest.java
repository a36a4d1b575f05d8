package baleine.model.blocks;

import baleine.cache.ContiguousKvCache;
import baleine.cache.KvCache;
import baleine.tensor.GgmlType;
import baleine.tensor.Parallel;
import baleine.tensor.Quantizer;
import baleine.tensor.Weight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Grouped-query attention: query heads go four at a time over their shared KV head, the heads left over
 * one by one; either way a token's output must not depend on what else is in the batch or on the thread count,
 * and must be plain softmax attention.
 */
class GroupedQueryAttentionTest {
    static final int HIDDEN = 48;

    @ParameterizedTest(name = "{0} heads over {1} KV heads of {2}, {3} tokens")
    @CsvSource({"12, 2, 20, 11", "10, 2, 16, 11", "8, 2, 16, 11", "6, 3, 16, 11", "12, 2, 20, 600"}) // groups of 4 + 2, 4 + 1, 4, 2; 20 leaves vector tails; 600: a long context
    void tokensGetTheSameBitsInAnyBatchOnAnyThreadsAndMatchPlainAttention(int heads, int kvHeads, int headDim, int n) {
        Random rnd = new Random(heads * 31L + headDim);
        GroupedQueryAttention attention = new GroupedQueryAttention(weight(rnd, heads * headDim, HIDDEN), weight(rnd, kvHeads * headDim, HIDDEN),
                weight(rnd, kvHeads * headDim, HIDDEN), null, null, null, weight(rnd, HIDDEN, heads * headDim), heads, kvHeads, headDim,
                Rope.standard(headDim, 10000, Rope.Pairing.HALVES));
        float[][] x = new float[n][HIDDEN];
        for (float[] row : x) {
            for (int i = 0; i < HIDDEN; i++) {
                row[i] = (float) rnd.nextGaussian();
            }
        }
        float[][] batch = run(attention, x, 0, n, newCache(attention, n));
        int threads = Parallel.threads();
        try {
            for (int th : new int[]{1, 3}) {
                Parallel.setThreads(th);
                KvCache cache = newCache(attention, n);
                for (int t = 0; t < n; t++) { // one token at a time, as decoding
                    assertThat(run(attention, x, t, t + 1, cache)[0]).as("token " + t + " on " + th + " threads").isEqualTo(batch[t]);
                }
                cache = newCache(attention, n);
                int cut = n / 2;
                float[][] split = run(attention, x, 0, cut, cache), rest = run(attention, x, cut, n, cache);
                for (int t = 0; t < n; t++) {
                    assertThat(t < cut ? split[t] : rest[t - cut]).as("token " + t + " in two passes on " + th + " threads").isEqualTo(batch[t]);
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }

        float[][] expected = reference(attention, x, n);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < HIDDEN; i++) {
                assertThat((double) batch[t][i]).as("token " + t + " value " + i).isCloseTo(expected[t][i], within(1e-3));
            }
        }
    }

    static KvCache newCache(GroupedQueryAttention attention, int n) {
        return new ContiguousKvCache(List.of(attention.newCache()), n);
    }

    static float[][] run(AttentionBlock attention, float[][] x, int from, int to, KvCache cache) {
        float[][] in = new float[to - from][];
        for (int t = from; t < to; t++) {
            in[t - from] = x[t].clone();
        }
        cache.reserve(to - from);
        float[][] y = attention.forward(in, to - from, cache, 0);
        cache.commit(to - from);
        float[][] copy = new float[to - from][];
        for (int t = 0; t < copy.length; t++) {
            copy[t] = y[t].clone();
        }
        return copy;
    }

    /** Causal softmax attention in doubles, from the same projections and rotations. */
    static float[][] reference(GroupedQueryAttention a, float[][] x, int n) {
        int hd = a.headDim(), group = a.heads() / a.kvHeads();
        float[][] q = new float[n][], k = new float[n][], v = new float[n][];
        for (int t = 0; t < n; t++) {
            q[t] = project(a.q(), x[t]);
            k[t] = project(a.k(), x[t]);
            v[t] = project(a.v(), x[t]);
            for (int h = 0; h < a.heads(); h++) {
                a.rope().apply(q[t], h * hd, t);
            }
            for (int h = 0; h < a.kvHeads(); h++) {
                a.rope().apply(k[t], h * hd, t);
            }
        }
        float[][] out = new float[n][];
        for (int t = 0; t < n; t++) {
            float[] mixed = new float[a.heads() * hd];
            for (int h = 0; h < a.heads(); h++) {
                int kv = (h / group) * hd;
                double[] score = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int s = 0; s <= t; s++) {
                    for (int i = 0; i < hd; i++) {
                        score[s] += (double) q[t][h * hd + i] * k[s][kv + i];
                    }
                    score[s] /= Math.sqrt(hd);
                    max = Math.max(max, score[s]);
                }
                for (int s = 0; s <= t; s++) {
                    score[s] = Math.exp(score[s] - max);
                    sum += score[s];
                }
                for (int i = 0; i < hd; i++) {
                    double m = 0;
                    for (int s = 0; s <= t; s++) {
                        m += score[s] / sum * v[s][kv + i];
                    }
                    mixed[h * hd + i] = (float) m;
                }
            }
            out[t] = project(a.o(), mixed);
        }
        return out;
    }

    static float[] project(Weight w, float[] x) {
        float[] y = new float[w.rows];
        float[] row = new float[w.cols];
        for (int r = 0; r < w.rows; r++) {
            w.decodeRow(r, row);
            double sum = 0;
            for (int c = 0; c < w.cols; c++) {
                sum += (double) row[c] * x[c];
            }
            y[r] = (float) sum;
        }
        return y;
    }

    static Weight weight(Random rnd, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextGaussian() / Math.sqrt(cols));
        }
        return Quantizer.weight("w", GgmlType.F32, values, rows, cols, Arena.ofAuto());
    }
}
