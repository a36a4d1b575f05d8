package baleine.model.blocks;

import baleine.cache.CacheType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static baleine.model.blocks.AttentionChecks.cached;
import static baleine.model.blocks.AttentionChecks.gaussianRows;
import static baleine.model.blocks.AttentionChecks.newCache;
import static baleine.model.blocks.AttentionChecks.project;
import static baleine.model.blocks.AttentionChecks.run;
import static baleine.model.blocks.AttentionChecks.sameBitsInAnyBatchOnAnyThreads;
import static baleine.model.blocks.AttentionChecks.weight;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Grouped-query attention: query heads go four at a time over their shared KV head, the heads left over
 * one by one; either way a token's output must not depend on what else is in the batch or on the thread count,
 * and must be plain softmax attention.
 */
class GroupedQueryAttentionTest {
    static final int HIDDEN = 48;

    @ParameterizedTest(name = "{0} heads over {1} KV heads of {2}, {3} tokens, {4} cache")
    @CsvSource({"12, 2, 20, 11, F32", "10, 2, 16, 11, F32", "8, 2, 16, 11, F32", "6, 3, 16, 11, F32", "12, 2, 20, 600, F32",
            "12, 2, 20, 300, F16", "6, 3, 16, 11, BF16", "12, 2, 20, 40, Q8_0"}) // groups of 4 + 2, 4 + 1, 4, 2; 20 leaves vector tails; 600: a long context
    void tokensGetTheSameBitsInAnyBatchOnAnyThreadsAndMatchPlainAttention(int heads, int kvHeads, int headDim, int n, CacheType type) {
        Random rnd = new Random(heads * 31L + headDim);
        GroupedQueryAttention attention = new GroupedQueryAttention(weight(rnd, heads * headDim, HIDDEN), weight(rnd, kvHeads * headDim, HIDDEN),
                weight(rnd, kvHeads * headDim, HIDDEN), null, null, null, weight(rnd, HIDDEN, heads * headDim), heads, kvHeads, headDim,
                Rope.standard(headDim, 10000, Rope.Pairing.HALVES));
        float[][] x = gaussianRows(rnd, n, HIDDEN);
        float[][] batch = run(attention, x, 0, n, newCache(attention, type, n));
        sameBitsInAnyBatchOnAnyThreads(attention, type, x, batch);

        float[][] expected = reference(attention, type, x, n);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < HIDDEN; i++) {
                assertThat((double) batch[t][i]).as("token " + t + " value " + i).isCloseTo(expected[t][i], within(1e-3));
            }
        }
    }

    /** Causal softmax attention in doubles, from the same projections and rotations, keys and values rounded as cached. */
    static float[][] reference(GroupedQueryAttention a, CacheType type, float[][] x, int n) {
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
            k[t] = cached(type, k[t]);
            v[t] = cached(type, v[t]);
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
}
