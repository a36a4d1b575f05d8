package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.KvCache;
import baleine.cache.LatentLayerCache;
import baleine.cache.LayerCache;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.Parallel;
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
    public LayerCache newCache(CacheType type) {
        return new LatentLayerCache(kvLora, ropeDim, type);
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
        // heads go in groups of whole fours (as the score tiles take them), one group per worker
        int groups = Math.min(fours(), Parallel.threads());
        if (n == 1) { // decoding: the chunks of the cache spread over the workers
            int len = start + 1, chunks = AttentionChunks.chunks(len);
            Parallel.forEach(groups, g -> absorb(firstHead(g, groups), firstHead(g + 1, groups), q, 1, query));
            AttentionChunks.Partials p = attendChunks(query, cache, rows, len, chunks);
            Parallel.forEach(groups, g -> {
                int h0 = firstHead(g, groups), h1 = firstHead(g + 1, groups);
                for (int h = h0; h < h1; h++) {
                    AttentionChunks.merge(p, chunks, h, heads, query[h], kvLora);
                }
                expand(h0, h1, query, 1, out);
            });
        } else {
            Parallel.forEach(groups, g -> {
                int h0 = firstHead(g, groups), h1 = firstHead(g + 1, groups);
                absorb(h0, h1, q, n, query);
                attendTokens(h0, h1, n, cache, rows, start, query);
                expand(h0, h1, query, n, out);
            });
        }
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

    /** Fours of heads, the last possibly short: the score tiles take heads four by four. */
    private int fours() {
        return (heads + 3) / 4;
    }

    /** The first head of group g of {@code groups}: groups hold whole fours of heads. */
    private int firstHead(int g, int groups) {
        return Math.min(heads, 4 * (int) ((long) fours() * g / groups));
    }

    /**
     * Heads [h0, h1): absorb the queries into the latent space. A head's query is its absorbed part followed by
     * its rope part, so a score is one dot product with the cached row (latent, rope key).
     */
    private void absorb(int h0, int h1, float[][] q, int n, float[][] queries) {
        int qk = nope + ropeDim;
        for (int h = h0; h < h1; h++) {
            float[][] query = Arrays.copyOfRange(queries, h * n, (h + 1) * n);
            up.absorbQuery(h, q, h * qk, query, n);
            for (int t = 0; t < n; t++) {
                System.arraycopy(q[t], h * qk + nope, query[t], kvLora, ropeDim);
            }
        }
    }

    /**
     * One token's attention over a context of len rows, its chunks spread over the workers (when there are
     * fewer chunks than workers, each chunk's heads are split too): partials in slot {@code c * heads + h}.
     */
    private AttentionChunks.Partials attendChunks(float[][] queries, LatentLayerCache cache, int[] rows, int len, int chunks) {
        int groups = Math.min(fours(), Math.max(1, (Parallel.threads() + chunks - 1) / chunks));
        AttentionChunks.Partials p = AttentionChunks.Partials.take(chunks * heads, kvLora);
        Parallel.forEach(chunks * groups, u -> {
            int c = u / groups, h0 = firstHead(u % groups, groups), h1 = firstHead(u % groups + 1, groups);
            AttentionChunks.attend(cache, rows, len, c, kvLora, queries, h0, h1 - h0, scale, p, c * heads + h0);
        });
        return p;
    }

    /** Heads [h0, h1) of tokens start .. start + n - 1, token by token, chunk by chunk: the same bits as {@link #attendChunks}. */
    private void attendTokens(int h0, int h1, int n, LatentLayerCache cache, int[] rows, int start, float[][] queries) {
        int count = h1 - h0;
        float[][] qt = new float[count][];
        for (int t = 0; t < n; t++) {
            int len = start + t + 1, chunks = AttentionChunks.chunks(len);
            for (int k = 0; k < count; k++) {
                qt[k] = queries[(h0 + k) * n + t];
            }
            AttentionChunks.Partials p = AttentionChunks.Partials.take(chunks * count, kvLora);
            for (int c = 0; c < chunks; c++) {
                AttentionChunks.attend(cache, rows, len, c, kvLora, qt, 0, count, scale, p, c * count);
            }
            for (int k = 0; k < count; k++) {
                AttentionChunks.merge(p, chunks, k, count, qt[k], kvLora);
            }
        }
    }

    /** Heads [h0, h1): the attended latents expanded into the heads' values. */
    private void expand(int h0, int h1, float[][] queries, int n, float[][] out) {
        for (int h = h0; h < h1; h++) {
            up.expandValue(h, Arrays.copyOfRange(queries, h * n, (h + 1) * n), out, h * vDim, n);
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
