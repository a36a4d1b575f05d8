package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.ContiguousKvCache;
import baleine.cache.KvCache;
import baleine.cache.RowStore;
import baleine.tensor.GgmlType;
import baleine.tensor.Parallel;
import baleine.tensor.Quantizer;
import baleine.tensor.Weight;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** What the attention blocks' tests share: random inputs and weights, running a block, batch invariance. */
final class AttentionChecks {
    private AttentionChecks() {
    }

    static float[][] gaussianRows(Random rnd, int n, int width) {
        float[][] x = new float[n][width];
        for (float[] row : x) {
            for (int i = 0; i < width; i++) {
                row[i] = (float) rnd.nextGaussian();
            }
        }
        return x;
    }

    /**
     * On 1 and 3 threads, tokens one at a time (as decoding) and in two passes give {@code batch}, the outputs
     * of all n tokens in one pass, bit for bit.
     */
    static void sameBitsInAnyBatchOnAnyThreads(AttentionBlock attention, CacheType type, float[][] x, float[][] batch) {
        int n = x.length, threads = Parallel.threads();
        try {
            for (int th : new int[]{1, 3}) {
                Parallel.setThreads(th);
                KvCache cache = newCache(attention, type, n);
                for (int t = 0; t < n; t++) {
                    assertThat(run(attention, x, t, t + 1, cache)[0]).as("token " + t + " decoded on " + th + " threads").isEqualTo(batch[t]);
                }
                cache = newCache(attention, type, n);
                int cut = n / 2 + 1;
                float[][] first = run(attention, x, 0, cut, cache), rest = run(attention, x, cut, n, cache);
                for (int t = 0; t < n; t++) {
                    assertThat(t < cut ? first[t] : rest[t - cut]).as("token " + t + " in two passes on " + th + " threads").isEqualTo(batch[t]);
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    static KvCache newCache(AttentionBlock attention, CacheType type, int n) {
        return new ContiguousKvCache(List.of(attention.newCache(type)), n);
    }

    /** What a cache of this type gives back for a row it stored. */
    static float[] cached(CacheType type, float[] row) {
        RowStore store = RowStore.of(type, row.length);
        store.ensureRows(1, 1);
        store.put(0, row, 0);
        RowStore.View v = store.view(new int[]{0}, 0, 1, 0, row.length, 0);
        return Arrays.copyOfRange(v.data(), v.offset(), v.offset() + row.length);
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
