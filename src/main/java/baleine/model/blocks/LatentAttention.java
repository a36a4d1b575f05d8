package baleine.model.blocks;

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
    public float[][] forward(float[][] x, int n, LayerCache layerCache, int start) {
        LatentLayerCache cache = (LatentLayerCache) layerCache;
        int qk = nope + ropeDim;
        float[][] q = query(x, n);
        float[][] kv = new float[n][kvA.rows];
        MatMul.apply(kvA, x, kv, n);
        for (int t = 0; t < n; t++) {
            int pos = start + t;
            kvANorm.apply(kv[t], 0);
            rope.apply(kv[t], kvLora, pos);
            cache.put(pos, kv[t], 0);
            for (int h = 0; h < heads; h++) {
                rope.apply(q[t], h * qk + nope, pos);
            }
        }
        float[][] out = new float[n][heads * vDim];
        Parallel.forEach(heads, h -> attendHead(h, q, n, cache, start, out));
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

    private void attendHead(int h, float[][] q, int n, LatentLayerCache cache, int start, float[][] out) {
        int qk = nope + ropeDim;
        float[][] qAbs = new float[n][kvLora];
        up.absorbQuery(h, q, h * qk, qAbs, n);
        float[][] oLat = new float[n][kvLora];
        float[] latent = cache.latent(), ropeKeys = cache.ropeKeys();
        for (int t = 0; t < n; t++) {
            int len = start + t + 1;
            float[] att = new float[len];
            for (int s = 0; s < len; s++) {
                float content = VectorMath.dot(qAbs[t], 0, latent, s * kvLora, kvLora);
                float position = VectorMath.dot(q[t], h * qk + nope, ropeKeys, s * ropeDim, ropeDim);
                att[s] = (content + position) * scale;
            }
            VectorMath.softmax(att, 0, len);
            for (int s = 0; s < len; s++) {
                VectorMath.axpy(att[s], latent, s * kvLora, oLat[t], 0, kvLora);
            }
        }
        up.expandValue(h, oLat, out, h * vDim, n);
    }

    @Override
    public long parameters() {
        long q = qA != null ? qA.elements() + qANorm.weight().length + qB.elements() : qB.elements();
        return q + kvA.elements() + kvANorm.weight().length + up.parameters() + o.elements();
    }
}
