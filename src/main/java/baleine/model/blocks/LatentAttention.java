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
    // the score and mix kernels' tile sums, per thread
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> VectorMath.outBuffer(16));
    private static final ThreadLocal<float[]> FOUR = ThreadLocal.withInitial(() -> VectorMath.outBuffer(4));

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
     * product with the cached row (latent, rope key); rows and heads go four by four, so each loaded chunk
     * of a cached row serves four heads and each chunk of a query four rows (FlashMLA's trick, on a CPU).
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
            scores(values, rows, len, width, qt, att);
            for (int k = 0; k < count; k++) {
                VectorMath.scale(att[k], 0, len, scale);
                VectorMath.softmax(att[k], 0, len);
                Arrays.fill(qt[k], 0, kvLora, 0f); // the query is spent: its slot receives the attended latent
            }
            mix(values, rows, len, width, att, qt);
        }
        for (int h = h0; h < h1; h++) {
            up.expandValue(h, query[h - h0], out, h * vDim, n);
        }
    }

    /** {@code att[k][s] = query k . cached row s} for the first len rows, rows and heads four by four. */
    private static void scores(float[] values, int[] rows, int len, int width, float[][] qt, float[][] att) {
        int count = qt.length;
        float[] tile = TILE.get(), four = FOUR.get();
        int s = 0;
        for (; s + 4 <= len; s += 4) {
            int o0 = rows[s] * width, o1 = rows[s + 1] * width, o2 = rows[s + 2] * width, o3 = rows[s + 3] * width;
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                VectorMath.dotRows4x4(values, o0, o1, o2, o3, qt, k, width, tile);
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        att[k + j][s + i] = tile[4 * i + j];
                    }
                }
            }
            for (; k < count; k++) {
                for (int i = 0; i < 4; i++) {
                    att[k][s + i] = VectorMath.dot(qt[k], 0, values, rows[s + i] * width, width);
                }
            }
        }
        for (; s < len; s++) {
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                VectorMath.dot4(values, rows[s] * width, qt, k, 0, width, four);
                for (int j = 0; j < 4; j++) {
                    att[k + j][s] = four[j];
                }
            }
            for (; k < count; k++) {
                att[k][s] = VectorMath.dot(qt[k], 0, values, rows[s] * width, width);
            }
        }
    }

    /** Per head k, {@code oLat[k] += sum_s att[k][s] * latent of cached row s} (the rope keys are not values). */
    private void mix(float[] values, int[] rows, int len, int width, float[][] att, float[][] oLat) {
        int count = oLat.length;
        float[] tile = TILE.get(), four = FOUR.get();
        int s = 0;
        for (; s + 4 <= len; s += 4) {
            int o0 = rows[s] * width, o1 = rows[s + 1] * width, o2 = rows[s + 2] * width, o3 = rows[s + 3] * width;
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        tile[4 * i + j] = att[k + j][s + i];
                    }
                }
                VectorMath.axpyRows4x4(tile, values, o0, o1, o2, o3, oLat, k, kvLora);
            }
            for (; k < count; k++) {
                for (int i = 0; i < 4; i++) {
                    VectorMath.axpy(att[k][s + i], values, rows[s + i] * width, oLat[k], 0, kvLora);
                }
            }
        }
        for (; s < len; s++) {
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                for (int j = 0; j < 4; j++) {
                    four[j] = att[k + j][s];
                }
                VectorMath.axpy4(four, values, rows[s] * width, oLat, k, 0, kvLora);
            }
            for (; k < count; k++) {
                VectorMath.axpy(att[k][s], values, rows[s] * width, oLat[k], 0, kvLora);
            }
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
