package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.tensor.Weight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
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
 * Absorbed MLA over the latent cache, in chunks of cached rows with their own softmax: a token's output must not
 * depend on the batch it came in or on the number of threads, and must be the paper's attention (keys and
 * values expanded from the latent, plain softmax).
 */
class LatentAttentionTest {
    static final int HIDDEN = 48, NOPE = 16, ROPE = 8, V = 16, KV_LORA = 40; // 40 leaves vector tails

    @ParameterizedTest(name = "{0} heads, {1} tokens, {2} cache")
    @CsvSource({"6, 600, F32", "16, 300, F32", "20, 300, F32", "5, 40, F32", "6, 300, BF16", "5, 40, F16", "6, 300, Q8_0"}) // 600 and 300: several chunks of 256 rows; 5, 6, 20 heads: partial blocks of vector lanes, and 20 two (or three) blocks that threads can split
    void tokensGetTheSameBitsInAnyBatchOnAnyThreadsAndMatchTheExpandedAttention(int heads, int n, CacheType type) {
        Random rnd = new Random(heads * 31L + n);
        float[] norm = new float[KV_LORA];
        for (int i = 0; i < KV_LORA; i++) {
            norm[i] = 0.5f + rnd.nextFloat();
        }
        LatentAttention attention = new LatentAttention(null, null, weight(rnd, heads * (NOPE + ROPE), HIDDEN),
                weight(rnd, KV_LORA + ROPE, HIDDEN), new RmsNorm(norm, 1e-6f),
                new LatentUpProjection.Merged(weight(rnd, heads * (NOPE + V), KV_LORA), NOPE, V), weight(rnd, HIDDEN, heads * V),
                heads, NOPE, ROPE, V, KV_LORA, (float) (1 / Math.sqrt(NOPE + ROPE)), Rope.standard(ROPE, 10000, Rope.Pairing.INTERLEAVED));
        float[][] x = gaussianRows(rnd, n, HIDDEN);
        float[][] batch = run(attention, x, 0, n, newCache(attention, type, n));
        sameBitsInAnyBatchOnAnyThreads(attention, type, x, batch);

        float[][] expected = reference(attention, type, x);
        for (int t : new int[]{0, 255, 256, n - 1}) {
            if (t < n) {
                for (int i = 0; i < HIDDEN; i++) {
                    assertThat((double) batch[t][i]).as("token " + t + " value " + i).isCloseTo(expected[t][i], within(1e-3));
                }
            }
        }
    }

    /**
     * Non-absorbed MLA in doubles: per head, keys and values expanded from each cached latent (rounded as the
     * cache type stores it); plain causal softmax.
     */
    static float[][] reference(LatentAttention a, CacheType type, float[][] x) {
        int n = x.length, qk = a.nope() + a.ropeDim();
        Weight kvB = ((LatentUpProjection.Merged) a.up()).kvB();
        float[][] q = new float[n][], latent = new float[n][];
        for (int t = 0; t < n; t++) {
            q[t] = project(a.qB(), x[t]);
            for (int h = 0; h < a.heads(); h++) {
                a.rope().apply(q[t], h * qk + a.nope(), t);
            }
            latent[t] = project(a.kvA(), x[t]);
            a.kvANorm().apply(latent[t], 0);
            a.rope().apply(latent[t], a.kvLora(), t);
            latent[t] = cached(type, latent[t]);
        }
        float[][] keys = new float[n][], values = new float[n][]; // per position, all heads
        for (int s = 0; s < n; s++) {
            float[] up = project(kvB, Arrays.copyOf(latent[s], a.kvLora()));
            keys[s] = new float[a.heads() * a.nope()];
            values[s] = new float[a.heads() * a.vDim()];
            for (int h = 0; h < a.heads(); h++) {
                System.arraycopy(up, h * (a.nope() + a.vDim()), keys[s], h * a.nope(), a.nope());
                System.arraycopy(up, h * (a.nope() + a.vDim()) + a.nope(), values[s], h * a.vDim(), a.vDim());
            }
        }
        float[][] out = new float[n][];
        for (int t = 0; t < n; t++) {
            float[] mixed = new float[a.heads() * a.vDim()];
            for (int h = 0; h < a.heads(); h++) {
                double[] score = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int s = 0; s <= t; s++) {
                    for (int i = 0; i < a.nope(); i++) {
                        score[s] += (double) q[t][h * qk + i] * keys[s][h * a.nope() + i];
                    }
                    for (int i = 0; i < a.ropeDim(); i++) {
                        score[s] += (double) q[t][h * qk + a.nope() + i] * latent[s][a.kvLora() + i];
                    }
                    score[s] *= a.scale();
                    max = Math.max(max, score[s]);
                }
                for (int s = 0; s <= t; s++) {
                    score[s] = Math.exp(score[s] - max);
                    sum += score[s];
                }
                for (int i = 0; i < a.vDim(); i++) {
                    double m = 0;
                    for (int s = 0; s <= t; s++) {
                        m += score[s] / sum * values[s][h * a.vDim() + i];
                    }
                    mixed[h * a.vDim() + i] = (float) m;
                }
            }
            out[t] = project(a.o(), mixed);
        }
        return out;
    }
}
