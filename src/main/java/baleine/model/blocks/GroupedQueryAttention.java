package baleine.model.blocks;

import baleine.cache.DenseLayerCache;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.Arrays;

/** Multi-head attention with grouped KV heads (Llama, Qwen2); optional q/k/v biases. */
public record GroupedQueryAttention(Weight q, Weight k, Weight v, float[] qBias, float[] kBias, float[] vBias, Weight o,
                                   int heads, int kvHeads, int headDim, Rope rope) implements AttentionBlock {
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> VectorMath.outBuffer(16));
    private static final ThreadLocal<float[]> FOUR = ThreadLocal.withInitial(() -> VectorMath.outBuffer(4));
    /** Per thread: four heads' query of the current token, and their attended values. */
    private static final ThreadLocal<float[][]> QUERY = new ThreadLocal<>(), MIXED = new ThreadLocal<>();

    @Override
    public LayerCache newCache() {
        return new DenseLayerCache(kvHeads * headDim);
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
        // tasks: head blocks (four heads of a KV group, or its leftovers) x spans of tokens, enough for every core
        int group = heads / kvHeads, blocks = (group + 3) / 4, headTasks = kvHeads * blocks;
        int spans = Math.min(n, Math.ceilDiv(4 * Parallel.threads(), headTasks));
        Parallel.forEach(headTasks * spans, task -> {
            int headTask = task / spans, span = task % spans, g = headTask / blocks;
            int h0 = g * group + 4 * (headTask % blocks), count = Math.min(4, (g + 1) * group - h0);
            int t0 = n * span / spans, t1 = n * (span + 1) / spans;
            if (count == 4) {
                attendFour(cache, rows, start, qs, t0, t1, g, h0, scale, out);
            } else {
                for (int h = h0; h < h0 + count; h++) {
                    attendOne(cache, rows, start, qs, t0, t1, g, h, scale, out);
                }
            }
        });
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
    }

    /**
     * Four query heads sharing KV head g, tokens [t0, t1) one by one: each chunk of a cached key or value row is loaded
     * once for the four (scores as 4 keys x 4 heads tiles, the last len % 4 keys one at a time for the four).
     * Which keys go through which kernel depends only on the position, so a token gets the same bits in any
     * batch.
     */
    private void attendFour(DenseLayerCache cache, int[] rows, int start, float[][] qs, int t0, int t1, int g, int h0, float scale, float[][] out) {
        float[] keys = cache.keys(), values = cache.values();
        int kvDim = kvHeads * headDim, kvOff = g * headDim;
        float[][] att = ScoreRows.take(4, start + t1), q = fourRows(QUERY, headDim), acc = fourRows(MIXED, headDim);
        float[] tile = TILE.get(), four = FOUR.get();
        for (int t = t0; t < t1; t++) {
            int len = start + t + 1, tiled = len & ~3;
            for (int k = 0; k < 4; k++) {
                System.arraycopy(qs[t], (h0 + k) * headDim, q[k], 0, headDim);
            }
            for (int s = 0; s < tiled; s += 4) {
                VectorMath.dotRows4x4(keys, rows[s] * kvDim + kvOff, rows[s + 1] * kvDim + kvOff, rows[s + 2] * kvDim + kvOff,
                        rows[s + 3] * kvDim + kvOff, q, 0, headDim, tile);
                for (int i = 0; i < 4; i++) {
                    for (int k = 0; k < 4; k++) {
                        att[k][s + i] = tile[4 * i + k];
                    }
                }
            }
            for (int s = tiled; s < len; s++) {
                VectorMath.dot4(keys, rows[s] * kvDim + kvOff, q, 0, 0, headDim, four);
                for (int k = 0; k < 4; k++) {
                    att[k][s] = four[k];
                }
            }
            for (int k = 0; k < 4; k++) {
                VectorMath.scale(att[k], 0, len, scale);
                VectorMath.softmax(att[k], 0, len);
                Arrays.fill(acc[k], 0f);
            }
            for (int s = 0; s < tiled; s += 4) {
                for (int i = 0; i < 4; i++) {
                    for (int k = 0; k < 4; k++) {
                        tile[4 * i + k] = att[k][s + i];
                    }
                }
                VectorMath.axpyRows4x4(tile, values, rows[s] * kvDim + kvOff, rows[s + 1] * kvDim + kvOff, rows[s + 2] * kvDim + kvOff,
                        rows[s + 3] * kvDim + kvOff, acc, 0, headDim);
            }
            for (int s = tiled; s < len; s++) {
                for (int k = 0; k < 4; k++) {
                    four[k] = att[k][s];
                }
                VectorMath.axpy4(four, values, rows[s] * kvDim + kvOff, acc, 0, 0, headDim);
            }
            for (int k = 0; k < 4; k++) {
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

    /** One query head over KV head g (the heads of a group left over after fours), tokens [t0, t1). */
    private void attendOne(DenseLayerCache cache, int[] rows, int start, float[][] qs, int t0, int t1, int g, int h, float scale, float[][] out) {
        float[] keys = cache.keys(), values = cache.values();
        int kvDim = kvHeads * headDim, kvOff = g * headDim;
        float[] att = ScoreRows.take(1, start + t1)[0];
        for (int t = t0; t < t1; t++) {
            int len = start + t + 1;
            for (int s = 0; s < len; s++) {
                att[s] = VectorMath.dot(qs[t], h * headDim, keys, rows[s] * kvDim + kvOff, headDim) * scale;
            }
            VectorMath.softmax(att, 0, len);
            for (int s = 0; s < len; s++) {
                VectorMath.axpy(att[s], values, rows[s] * kvDim + kvOff, out[t], h * headDim, headDim);
            }
        }
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
