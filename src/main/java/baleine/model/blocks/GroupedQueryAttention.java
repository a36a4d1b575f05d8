package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.DenseLayerCache;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.cache.RowStore;
import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.MatMul.Product;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.Arrays;
import java.util.List;

/** Multi-head attention with grouped KV heads (Llama, Qwen2); optional q/k/v biases. */
public record GroupedQueryAttention(Weight q, Weight k, Weight v, float[] qBias, float[] kBias, float[] vBias, Weight o,
                                   int heads, int kvHeads, int headDim, Rope rope) implements AttentionBlock {
    /** Per thread: a block of heads' queries of a few tokens, and their attended values. */
    private static final ThreadLocal<float[][]> QUERY = new ThreadLocal<>(), MIXED = new ThreadLocal<>();
    /** Per thread: the score rows grouped by token ({@link #tokenRows}). */
    private static final ThreadLocal<float[][][]> TOKEN_ROWS = new ThreadLocal<>();
    /** Cached positions read at a time (a multiple of four). */
    private static final int BLOCK = 256;
    /**
     * Tokens that share each block read from the cache, at most; fewer where their score rows would pass
     * {@link #SCORES_PER_HEAD} scores per head (4 x 65536 floats: 1 MiB per thread and four heads, one token from 64k
     * on).
     */
    private static final int FEW = 16, SCORES_PER_HEAD = 65536;

    @Override
    public LayerCache newCache(CacheType type) {
        return new DenseLayerCache(kvHeads * headDim, type);
    }

    @Override
    public float[][] forward(float[][] x, int n, KvCache kv, int layer) {
        DenseLayerCache cache = (DenseLayerCache) kv.layer(layer);
        int start = kv.length();
        int[] rows = kv.rows(start + n);
        float[][] qs = Activations.take(n, q.rows), ks = Activations.take(n, k.rows), vs = Activations.take(n, v.rows);
        // one parallel loop for the three, which read the same input (speed unchanged in one JVM, two loops fewer a layer)
        MatMul.apply(List.of(new Product(q, x, qs, n), new Product(k, x, ks, n), new Product(v, x, vs, n)));
        addBias(qs, qBias, n);
        addBias(ks, kBias, n);
        addBias(vs, vBias, n);
        for (int t = 0; t < n; t++) {
            rope.applyHeads(qs[t], 0, heads, headDim, start + t);
            rope.applyHeads(ks[t], 0, kvHeads, headDim, start + t);
            cache.put(rows[start + t], ks[t], 0, vs[t], 0);
        }
        float[][] out = Activations.take(n, heads * headDim);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        // tasks: a KV group's heads x spans of the batch's tokens, enough for every core, so that each task reads its
        // group's cache once for all the group's heads (Qwen-shape Q4_0 decoding at depth 4096, six heads a group:
        // 1.045x in one JVM); where the groups are fewer than the cores (one token, many threads), each group's heads
        // are split into tasks of up to four, each of which reads the group's cache again
        int group = heads / kvHeads, threads = Parallel.threads();
        int perGroup = kvHeads * n >= threads ? 1 : (group + 3) / 4, headTasks = kvHeads * perGroup;
        int spans = Math.min(n, Math.ceilDiv(4 * threads, headTasks));
        Parallel.forEach(headTasks * spans, task -> {
            int headTask = task / spans, span = task % spans, g = headTask / perGroup;
            int h0 = g * group + 4 * (headTask % perGroup), count = perGroup == 1 ? group : Math.min(4, (g + 1) * group - h0);
            attendHeads(cache, rows, start, qs, n * span / spans, n * (span + 1) / spans, g, h0, count, scale, out);
        });
        float[][] y = Activations.take(n, o.rows);
        MatMul.apply(o, out, y, n);
        return y;
    }

    /**
     * Query heads [h0, h0 + count) of KV group g for tokens [t0, t1), a few tokens at a time: the group's
     * keys, then its values, are read {@link #BLOCK} positions at a time, and each block serves every token of
     * the few that sees it and every four of the heads (a 16- or 8-bit cache is converted back into floats once
     * per block for all of them, not once per token: Qwen-shape pp2048 with a Q8_0 cache was 22% slower than
     * with F32). Per token and four heads the calls are those of a token alone: scores and mix through
     * {@link HeadTiles} (each loaded chunk of a cached row serves four heads), over the same blocks, which start
     * at multiples of four, so every head meets the same kernels however the group and the batch are split.
     */
    private void attendHeads(DenseLayerCache cache, int[] rows, int start, float[][] qs, int t0, int t1, int g, int h0, int count, float scale,
                             float[][] out) {
        int fours = (count + 3) / 4; // the heads four at a time: token i's rows of the f-th four at 4 (f few + i)
        int few = Math.clamp(SCORES_PER_HEAD / (start + t1), 1, Math.min(FEW, t1 - t0));
        float[][] att = ScoreRows.take(4 * fours * few, start + t1), q = scratch(QUERY, 4 * fours * few, headDim);
        float[][] acc = scratch(MIXED, 4 * fours * few, headDim);
        float[][][] atts = tokenRows(att, fours * few);
        for (int s0 = t0; s0 < t1; s0 += few) {
            int m = Math.min(few, t1 - s0), longest = start + s0 + m;
            for (int f = 0; f < fours; f++) {
                for (int i = 0; i < m; i++) {
                    for (int k = 0; k < heads(count, f); k++) {
                        System.arraycopy(qs[s0 + i], (h0 + 4 * f + k) * headDim, q[4 * (f * few + i) + k], 0, headDim);
                    }
                }
            }
            for (int b0 = 0; b0 < longest; b0 += BLOCK) {
                int b1 = Math.min(longest, b0 + BLOCK);
                RowStore.View keys = cache.keys(rows, b0, b1, g * headDim, headDim);
                for (int f = 0; f < fours; f++) {
                    for (int i = Math.max(0, b0 - start - s0); i < m; i++) { // the tokens that see position b0
                        int len = start + s0 + i + 1, r = f * few + i;
                        HeadTiles.scores(keys.data(), keys.rows(), b0, Math.min(len, b1), keys.stride(), keys.offset(), headDim, q, 4 * r, heads(count, f),
                                atts[r], 0);
                    }
                }
            }
            for (int f = 0; f < fours; f++) {
                for (int i = 0; i < m; i++) {
                    int len = start + s0 + i + 1, r = f * few + i;
                    for (int k = 0; k < heads(count, f); k++) {
                        VectorMath.scale(atts[r][k], 0, len, scale);
                        VectorMath.softmax(atts[r][k], 0, len);
                        Arrays.fill(acc[4 * r + k], 0f);
                    }
                }
            }
            for (int b0 = 0; b0 < longest; b0 += BLOCK) {
                int b1 = Math.min(longest, b0 + BLOCK);
                RowStore.View values = cache.values(rows, b0, b1, g * headDim, headDim);
                for (int f = 0; f < fours; f++) {
                    for (int i = Math.max(0, b0 - start - s0); i < m; i++) {
                        int len = start + s0 + i + 1, r = f * few + i;
                        HeadTiles.mix(values.data(), values.rows(), b0, Math.min(len, b1), values.stride(), values.offset(), headDim, atts[r], 0, acc, 4 * r,
                                heads(count, f));
                    }
                }
            }
            for (int f = 0; f < fours; f++) {
                for (int i = 0; i < m; i++) {
                    for (int k = 0; k < heads(count, f); k++) {
                        System.arraycopy(acc[4 * (f * few + i) + k], 0, out[s0 + i], (h0 + 4 * f + k) * headDim, headDim);
                    }
                }
            }
        }
    }

    /** How many of {@code count} heads the f-th four holds. */
    private static int heads(int count, int f) {
        return Math.min(4, count - 4 * f);
    }

    /** This thread's {@code float[rows][width]} of {@code local}, made on first use or when it is too small. */
    private static float[][] scratch(ThreadLocal<float[][]> local, int rows, int width) {
        float[][] m = local.get();
        if (m == null || m.length < rows || m[0].length != width) {
            m = new float[rows][width];
            local.set(m);
        }
        return m;
    }

    /** Token i's four score rows, {@code att[4 i .. 4 i + 4)}, for i < few: made again only when att changes. */
    private static float[][][] tokenRows(float[][] att, int few) {
        float[][][] rows = TOKEN_ROWS.get();
        if (rows == null || rows.length < few || rows[0][0] != att[0]) {
            rows = new float[few][][];
            for (int i = 0; i < few; i++) {
                rows[i] = Arrays.copyOfRange(att, 4 * i, 4 * i + 4);
            }
            TOKEN_ROWS.set(rows);
        }
        return rows;
    }

    private static void addBias(float[][] y, float[] bias, int n) {
        if (bias != null) {
            for (int t = 0; t < n; t++) {
                VectorMath.add(y[t], bias, bias.length);
            }
        }
    }

    @Override
    public long parameters() {
        long biases = (qBias != null ? qBias.length : 0) + (kBias != null ? kBias.length : 0) + (vBias != null ? vBias.length : 0);
        return q.elements() + k.elements() + v.elements() + o.elements() + biases;
    }

    @Override
    public List<Weight> matrices() {
        return List.of(q, k, v, o);
    }
}
