package baleine.model.blocks;

import baleine.cache.KvCache;
import baleine.cache.LatentLayerCache;
import baleine.cache.LayerCache;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

/**
 * Multi-head Latent Attention (DeepSeek-V2/V3), computed in absorbed form over the latent cache.
 * Query: {@code q_b(norm(q_a(x)))} or {@code q_proj(x)}; per head {@code nope} + {@code rope} values.
 * Key/value: {@code kv_a(x)} = latent {@code c} (normalised, cached) + shared {@code k_pe} (roped, cached).
 * Score of head h at position s: {@code (W_UK_h^T q_nope . c_s + q_pe . k_pe_s) * scale}.
 */
public record LatentAttention(Weight qA, RmsNorm qANorm, Weight qB, Weight kvA, RmsNorm kvANorm,
                              LatentUpProjection up, Weight o, int heads, int nope, int ropeDim, int vDim,
                              int kvLora, float scale, Rope rope) implements AttentionBlock {
    @Override
    public LayerCache newCache() {
        return new LatentLayerCache(kvLora, ropeDim);
    }

    @Override
    public float[][] forward(float[][] x, int n, KvCache kv, int layer) {
        LatentLayerCache cache = (LatentLayerCache) kv.layer(layer);
        int start = kv.length();
        int[] rows = kv.rows(start + n);
        int qk = nope + ropeDim;
        float[][] q = query(x, n);
        float[][] latentKv = new float[n][kvA.rows];
        MatMul.apply(kvA, x, latentKv, n);
        for (int t = 0; t < n; t++) {
            int pos = start + t;
            kvANorm.apply(latentKv[t], 0);
            rope.apply(latentKv[t], kvLora, pos);
            cache.put(rows[pos], latentKv[t], 0);
            for (int h = 0; h < heads; h++) {
                rope.apply(q[t], h * qk + nope, pos);
            }
        }
        float[][] out = new float[n][heads * vDim];
        // heads are split into one group per worker; each group reads every cached row once for all its heads
        int groups = Math.min(heads, Parallel.threads());
        Parallel.forEach(groups, g -> attendHeads(g * heads / groups, (g + 1) * heads / groups, q, n, cache, rows, start, out));
        float[][] y = new float[n][o.rows];
        MatMul.apply(o, out, y, n);
        return y;
    }

    private float[][] query(float[][] x, int n) {
        float[][] q = new float[n][heads * (nope + ropeDim)];
        if (qA == null) {
            MatMul.apply(qB, x, q, n);
            return q;
        }
        float[][] compressed = new float[n][qA.rows];
        MatMul.apply(qA, x, compressed, n);
        for (int t = 0; t < n; t++) {
            qANorm.apply(compressed[t], 0);
        }
        MatMul.apply(qB, compressed, q, n);
        return q;
    }

    /**
     * Heads [h0, h1): absorb the queries into the latent space, score every cached position (each latent row
     * is loaded once and used by all heads of the group, FlashMLA's trick), softmax, sum the latents, expand.
     */
    private void attendHeads(int h0, int h1, float[][] q, int n, LatentLayerCache cache, int[] rows, int start, float[][] out) {
        int qk = nope + ropeDim, count = h1 - h0;
        float[][][] qAbs = new float[count][n][kvLora];
        for (int h = h0; h < h1; h++) {
            up.absorbQuery(h, q, h * qk, qAbs[h - h0], n);
        }
        float[] latent = cache.latent(), ropeKeys = cache.ropeKeys();
        float[] four = new float[4], weights = new float[4];
        for (int t = 0; t < n; t++) {
            int len = start + t + 1;
            float[][] att = new float[count][len];
            float[][] qt = new float[count][];
            for (int k = 0; k < count; k++) {
                qt[k] = qAbs[k][t];
            }
            for (int s = 0; s < len; s++) {
                int k = 0;
                for (; k + 4 <= count; k += 4) { // one load of the latent row serves four heads
                    VectorMath.dot4(latent, rows[s] * kvLora, qt, k, 0, kvLora, four);
                    for (int j = 0; j < 4; j++) {
                        att[k + j][s] = four[j];
                    }
                }
                for (; k < count; k++) {
                    att[k][s] = VectorMath.dot(qt[k], 0, latent, rows[s] * kvLora, kvLora);
                }
                for (k = 0; k < count; k++) {
                    float position = VectorMath.dot(q[t], (h0 + k) * qk + nope, ropeKeys, rows[s] * ropeDim, ropeDim);
                    att[k][s] = (att[k][s] + position) * scale;
                }
            }
            float[][] oLat = new float[count][kvLora];
            for (int k = 0; k < count; k++) {
                VectorMath.softmax(att[k], 0, len);
            }
            for (int s = 0; s < len; s++) {
                int k = 0;
                for (; k + 4 <= count; k += 4) {
                    for (int j = 0; j < 4; j++) {
                        weights[j] = att[k + j][s];
                    }
                    VectorMath.axpy4(weights, latent, rows[s] * kvLora, oLat, k, 0, kvLora);
                }
                for (; k < count; k++) {
                    VectorMath.axpy(att[k][s], latent, rows[s] * kvLora, oLat[k], 0, kvLora);
                }
            }
            for (int k = 0; k < count; k++) {
                qAbs[k][t] = oLat[k]; // reuse the slot: the attended latent of head k for token t
            }
        }
        for (int h = h0; h < h1; h++) {
            up.expandValue(h, qAbs[h - h0], out, h * vDim, n);
        }
    }

    @Override
    public long parameters() {
        long q = qA != null ? qA.elements() + qANorm.weight().length + qB.elements() : qB.elements();
        return q + kvA.elements() + kvANorm.weight().length + up.parameters() + o.elements();
    }

    @Override
    public long weightBytes() {
        return (qA != null ? qA.bytes() : 0) + qB.bytes() + kvA.bytes() + up.weightBytes() + o.bytes();
    }
}
