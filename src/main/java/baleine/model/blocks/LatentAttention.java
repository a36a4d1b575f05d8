package baleine.model.blocks;

import baleine.cache.KvCache;
import baleine.cache.LatentLayerCache;
import baleine.cache.LayerCache;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.Arrays;

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
        float[][] latentKv = Activations.take(n, kvA.rows);
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
        float[][] out = Activations.take(n, heads * vDim);
        float[][] query = Activations.take(heads * n, kvLora + ropeDim); // head h, token t at h * n + t
        // heads are split into one group per worker; each group reads every cached row once for all its heads
        int groups = Math.min(heads, Parallel.threads());
        Parallel.forEach(groups, g -> attendHeads(g * heads / groups, (g + 1) * heads / groups, q, n, cache, rows, start, query, out));
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
    }

    private float[][] query(float[][] x, int n) {
        float[][] q = Activations.take(n, heads * (nope + ropeDim));
        if (qA == null) {
            MatMul.apply(qB, x, q, n);
            return q;
        }
        float[][] compressed = Activations.take(n, qA.rows);
        MatMul.apply(qA, x, compressed, n);
        for (int t = 0; t < n; t++) {
            qANorm.apply(compressed[t], 0);
        }
        MatMul.apply(qB, compressed, q, n);
        return q;
    }

    /**
     * Heads [h0, h1): absorb the queries into the latent space, score every cached row, softmax, sum the
     * latents, expand. A head's query is its absorbed part followed by its rope part, so a score is one dot
     * product with the cached row (latent, rope key); rows and heads go four by four ({@link HeadTiles}).
     */
    private void attendHeads(int h0, int h1, float[][] q, int n, LatentLayerCache cache, int[] rows, int start, float[][] queries, float[][] out) {
        int qk = nope + ropeDim, count = h1 - h0, width = kvLora + ropeDim;
        float[][][] query = new float[count][][];
        for (int h = h0; h < h1; h++) {
            query[h - h0] = Arrays.copyOfRange(queries, h * n, (h + 1) * n);
            up.absorbQuery(h, q, h * qk, query[h - h0], n);
            for (int t = 0; t < n; t++) {
                System.arraycopy(q[t], h * qk + nope, query[h - h0][t], kvLora, ropeDim);
            }
        }
        float[] values = cache.values();
        float[][] att = ScoreRows.take(count, start + n), qt = new float[count][];
        for (int t = 0; t < n; t++) {
            int len = start + t + 1;
            for (int k = 0; k < count; k++) {
                qt[k] = query[k][t];
            }
            HeadTiles.scores(values, rows, len, width, 0, width, qt, count, att);
            for (int k = 0; k < count; k++) {
                VectorMath.scale(att[k], 0, len, scale);
                VectorMath.softmax(att[k], 0, len);
                Arrays.fill(qt[k], 0, kvLora, 0f); // the query is spent: its slot receives the attended latent
            }
            HeadTiles.mix(values, rows, len, width, 0, kvLora, att, qt, count);
        }
        for (int h = h0; h < h1; h++) {
            up.expandValue(h, query[h - h0], out, h * vDim, n);
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
