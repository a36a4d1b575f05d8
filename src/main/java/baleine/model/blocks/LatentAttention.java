package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.KvCache;
import baleine.cache.LatentLayerCache;
import baleine.cache.LayerCache;
import baleine.model.Activations;
import baleine.tensor.HeadLanes;
import baleine.tensor.MatMul;
import baleine.tensor.MatMul.Product;
import baleine.tensor.Parallel;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
        float[][] latentKv = Activations.take(n, kvA.rows);
        float[][] q = query(x, n, new Product(kvA, x, latentKv, n));
        for (int t = 0; t < n; t++) {
            int pos = start + t;
            kvANorm.apply(latentKv[t], 0);
            rope.apply(latentKv[t], kvLora, pos);
            cache.put(rows[pos], latentKv[t], 0);
            rope.applyHeads(q[t], nope, heads, qk, pos);
        }
        float[][] out = Activations.take(n, heads * vDim);
        float[][] query = Activations.take(heads * n, kvLora + ropeDim); // head h, token t at h * n + t
        // heads go in groups, one per worker, to absorb and expand
        int groups = Math.min(heads, Parallel.threads());
        if (n == 1) { // decoding: the chunks of the cache spread over the workers
            int len = start + 1, chunks = AttentionChunks.chunks(len);
            AttentionChunks.Partials p = AttentionChunks.Partials.take(chunks * heads, kvLora);
            float[] qT = p.queries(heads, kvLora + ropeDim);
            Parallel.forEach(groups, g -> {
                int h0 = firstHead(g, groups), h1 = firstHead(g + 1, groups);
                absorb(h0, h1, q, 1, query);
                HeadLanes.transpose(query, h0, h1, heads, kvLora + ropeDim, qT);
            });
            attendChunks(qT, cache, rows, len, chunks, p);
            Parallel.forEach(groups, g -> {
                int h0 = firstHead(g, groups), h1 = firstHead(g + 1, groups);
                for (int h = h0; h < h1; h++) {
                    AttentionChunks.merge(p, chunks, h, heads, query[h], kvLora);
                }
                expand(h0, h1, query, 1, out);
            });
        } else { // a prompt: heads by groups, the attention token by token, interleaved over the workers
            Parallel.forEach(groups, g -> absorb(firstHead(g, groups), firstHead(g + 1, groups), q, n, query));
            int workers = Math.min(n, Parallel.threads());
            Parallel.forEach(workers, u -> {
                for (int t = u; t < n; t += workers) {
                    attendToken(t, n, cache, rows, start, query);
                }
            });
            Parallel.forEach(groups, g -> expand(firstHead(g, groups), firstHead(g + 1, groups), query, n, out));
        }
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
    }

    /** The queries; their first product from x runs in one parallel loop with {@code alongside} (the latent KV's). */
    private float[][] query(float[][] x, int n, Product alongside) {
        float[][] q = Activations.take(n, heads * (nope + ropeDim));
        if (qA == null) {
            MatMul.apply(List.of(new Product(qB, x, q, n), alongside));
            return q;
        }
        float[][] compressed = Activations.take(n, qA.rows);
        MatMul.apply(List.of(new Product(qA, x, compressed, n), alongside));
        for (int t = 0; t < n; t++) {
            qANorm.apply(compressed[t], 0);
        }
        MatMul.apply(qB, compressed, q, n);
        return q;
    }

    /** The first head of group g of {@code groups}. */
    private int firstHead(int g, int groups) {
        return (int) ((long) heads * g / groups);
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
     * fewer chunks than workers, each chunk's blocks of heads are split too): partials in slot {@code c * heads + h}.
     */
    private void attendChunks(float[] qT, LatentLayerCache cache, int[] rows, int len, int chunks, AttentionChunks.Partials p) {
        int width = kvLora + ropeDim, blocks = HeadLanes.padded(heads) / HeadLanes.LANES;
        int groups = Math.min(blocks, Math.max(1, (Parallel.threads() + chunks - 1) / chunks));
        Parallel.forEach(chunks * groups, u -> {
            int c = u / groups, b0 = blocks * (u % groups) / groups, b1 = blocks * (u % groups + 1) / groups;
            int h0 = b0 * HeadLanes.LANES, h1 = Math.min(heads, b1 * HeadLanes.LANES);
            AttentionChunks.attend(cache, rows, len, c, kvLora, qT, h0 * width, h1 - h0, scale, p, c * heads + h0);
        });
    }

    /** Token t (of n, at position start + t) attends over its context chunk by chunk: the same bits as {@link #attendChunks}. */
    private void attendToken(int t, int n, LatentLayerCache cache, int[] rows, int start, float[][] queries) {
        int len = start + t + 1, chunks = AttentionChunks.chunks(len), width = kvLora + ropeDim;
        float[][] qt = new float[heads][];
        for (int h = 0; h < heads; h++) {
            qt[h] = queries[h * n + t];
        }
        AttentionChunks.Partials p = AttentionChunks.Partials.take(chunks * heads, kvLora);
        float[] qT = p.queries(heads, width);
        HeadLanes.transpose(qt, 0, heads, heads, width, qT);
        for (int c = 0; c < chunks; c++) {
            AttentionChunks.attend(cache, rows, len, c, kvLora, qT, 0, heads, scale, p, c * heads);
        }
        for (int h = 0; h < heads; h++) {
            AttentionChunks.merge(p, chunks, h, heads, qt[h], kvLora);
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
    public List<Weight> matrices() {
        List<Weight> all = new ArrayList<>(qA != null ? List.of(qA, qB, kvA, o) : List.of(qB, kvA, o));
        all.addAll(up.matrices());
        return all;
    }
}
