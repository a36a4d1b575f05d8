package baleine.model.blocks;

import baleine.cache.DenseLayerCache;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

/** Multi-head attention with grouped KV heads (Llama, Qwen2); optional q/k/v biases. */
public record GroupedQueryAttention(Weight q, Weight k, Weight v, float[] qBias, float[] kBias, float[] vBias, Weight o,
                                   int heads, int kvHeads, int headDim, Rope rope) implements AttentionBlock {
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
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        Parallel.forEach(heads, h -> {
            float[] keys = cache.keys(), values = cache.values();
            int kvOff = (h / group) * headDim;
            float[] att = ScoreRows.take(1, start + n)[0];
            for (int t = 0; t < n; t++) {
                int len = start + t + 1;
                for (int s = 0; s < len; s++) {
                    att[s] = VectorMath.dot(qs[t], h * headDim, keys, rows[s] * kvDim + kvOff, headDim) * scale;
                }
                VectorMath.softmax(att, 0, len);
                for (int s = 0; s < len; s++) {
                    VectorMath.axpy(att[s], values, rows[s] * kvDim + kvOff, out[t], h * headDim, headDim);
                }
            }
        });
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
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
