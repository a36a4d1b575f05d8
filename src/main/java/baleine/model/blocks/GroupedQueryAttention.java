package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.DenseLayerCache;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.cache.RowStore;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.Arrays;

/** Multi-head attention with grouped KV heads (Llama, Qwen2); optional q/k/v biases. */
public record GroupedQueryAttention(Weight q, Weight k, Weight v, float[] qBias, float[] kBias, float[] vBias, Weight o,
                                   int heads, int kvHeads, int headDim, Rope rope) implements AttentionBlock {
    /** Per thread: a block of heads' queries of the current token, and their attended values. */
    private static final ThreadLocal<float[][]> QUERY = new ThreadLocal<>(), MIXED = new ThreadLocal<>();
    /** Cached positions read at a time (a multiple of four). */
    private static final int BLOCK = 256;

    @Override
    public LayerCache newCache(CacheType type) {
        return new DenseLayerCache(kvHeads * headDim, type);
    }

    @Override
    public float[][] forward(float[][] x, int n, KvCache kv, int layer) {
        DenseLayerCache cache = (DenseLayerCache) kv.layer(layer);
        int start = kv.length();
        int[] rows = kv.rows(start + n);
        float[][] qs = project(q, qBias, x, n), ks = project(k, kBias, x, n), vs = project(v, vBias, x, n);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                rope.apply(qs[t], h * headDim, start + t);
            }
            for (int h = 0; h < kvHeads; h++) {
                rope.apply(ks[t], h * headDim, start + t);
            }
            cache.put(rows[start + t], ks[t], 0, vs[t], 0);
        }
        float[][] out = Activations.take(n, heads * headDim);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        // tasks: blocks of up to four heads of a KV group x spans of the batch's tokens, enough for every core
        int group = heads / kvHeads, blocks = (group + 3) / 4, headTasks = kvHeads * blocks;
        int spans = Math.min(n, Math.ceilDiv(4 * Parallel.threads(), headTasks));
        Parallel.forEach(headTasks * spans, task -> {
            int headTask = task / spans, span = task % spans, g = headTask / blocks;
            int h0 = g * group + 4 * (headTask % blocks), count = Math.min(4, (g + 1) * group - h0);
            attendHeads(cache, rows, start, qs, n * span / spans, n * (span + 1) / spans, g, h0, count, scale, out);
        });
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
    }

    /**
     * Query heads [h0, h0 + count) of KV group g, tokens [t0, t1) one by one: scores over the cached keys and
     * the mix of the cached values go through {@link HeadTiles}, so each loaded chunk of a cached row serves
     * four heads. Blocks start at multiples of four within the group, so every head meets the same kernels
     * however the group is split.
     */
    private void attendHeads(DenseLayerCache cache, int[] rows, int start, float[][] qs, int t0, int t1, int g, int h0, int count, float scale,
                             float[][] out) {
        float[][] att = ScoreRows.take(count, start + t1), q = fourRows(QUERY, headDim), acc = fourRows(MIXED, headDim);
        for (int t = t0; t < t1; t++) {
            int len = start + t + 1;
            for (int k = 0; k < count; k++) {
                System.arraycopy(qs[t], (h0 + k) * headDim, q[k], 0, headDim);
            }
            // the group's keys, then its values, BLOCK positions at a time: a 16- or 8-bit cache is read back into a
            // scratch of one block, not of the whole context (blocks start at multiples of four: the same kernels)
            for (int b0 = 0; b0 < len; b0 += BLOCK) {
                int b1 = Math.min(len, b0 + BLOCK);
                RowStore.View keys = cache.keys(rows, b0, b1, g * headDim, headDim);
                HeadTiles.scores(keys.data(), keys.rows(), b0, b1, keys.stride(), keys.offset(), headDim, q, 0, count, att, 0);
            }
            for (int k = 0; k < count; k++) {
                VectorMath.scale(att[k], 0, len, scale);
                VectorMath.softmax(att[k], 0, len);
                Arrays.fill(acc[k], 0f);
            }
            for (int b0 = 0; b0 < len; b0 += BLOCK) {
                int b1 = Math.min(len, b0 + BLOCK);
                RowStore.View values = cache.values(rows, b0, b1, g * headDim, headDim);
                HeadTiles.mix(values.data(), values.rows(), b0, b1, values.stride(), values.offset(), headDim, att, 0, acc, 0, count);
            }
            for (int k = 0; k < count; k++) {
                System.arraycopy(acc[k], 0, out[t], (h0 + k) * headDim, headDim);
            }
        }
    }

    /** This thread's {@code float[4][width]} of {@code local}, made on first use or when the width changes. */
    private static float[][] fourRows(ThreadLocal<float[][]> local, int width) {
        float[][] m = local.get();
        if (m == null || m[0].length != width) {
            m = new float[4][width];
            local.set(m);
        }
        return m;
    }

    private static float[][] project(Weight w, float[] bias, float[][] x, int n) {
        float[][] y = Activations.take(n, w.rows);
        MatMul.apply(w, x, y, n);
        if (bias != null) {
            for (int t = 0; t < n; t++) {
                VectorMath.add(y[t], bias, w.rows);
            }
        }
        return y;
    }

    @Override
    public long parameters() {
        long biases = (qBias != null ? qBias.length : 0) + (kBias != null ? kBias.length : 0) + (vBias != null ? vBias.length : 0);
        return q.elements() + k.elements() + v.elements() + o.elements() + biases;
    }

    @Override
    public long weightBytes() {
        return q.bytes() + k.bytes() + v.bytes() + o.bytes();
    }
}
