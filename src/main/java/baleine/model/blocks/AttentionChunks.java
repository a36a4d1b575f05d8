package baleine.model.blocks;

import baleine.cache.LatentLayerCache;
import baleine.cache.RowStore;
import baleine.tensor.VectorMath;

import java.util.Arrays;

/**
 * Attention over the cached rows in chunks, each with its own softmax (flash-decoding): per chunk and head the
 * scores, e^(score - the chunk's max), their sum and the rows' sum weighted by them; then the chunks merged in
 * order, rescaled to the largest max. A decoded token's chunks can go to different threads, each streaming its
 * own part of the cache (two threads walking the same rows wait on them together), and a chunk's rows are still
 * in the core's cache when they are mixed. Chunk bounds depend only on the context length, so a token gets the
 * same bits alone or batched, on any number of threads.
 */
final class AttentionChunks {
    private static final int MIN_ROWS = 256, MAX_CHUNKS = 16;

    private AttentionChunks() {
    }

    /** Rows per chunk for a context of {@code len} rows: a multiple of four, at least 256, at most 16 chunks. */
    static int rowsPerChunk(int len) {
        return (Math.max(MIN_ROWS, (len + MAX_CHUNKS - 1) / MAX_CHUNKS) + 3) & ~3;
    }

    static int chunks(int len) {
        int per = rowsPerChunk(len);
        return (len + per - 1) / per;
    }

    /** Per slot (a chunk and a head): the chunk's largest score, the sum of e^(score - it), the weighted rows. */
    static final class Partials {
        private static final ThreadLocal<Partials> OF_THREAD = ThreadLocal.withInitial(Partials::new);
        float[] max = new float[0];
        double[] sum = new double[0];
        float[][] acc = new float[0][];

        /** This thread's partials, with room for at least {@code slots} slots of {@code width} values. */
        static Partials take(int slots, int width) {
            Partials p = OF_THREAD.get();
            int held = p.acc.length == 0 ? 0 : p.acc[0].length;
            if (p.max.length < slots || held < width) {
                int n = Math.max(slots, p.max.length);
                p.max = new float[n];
                p.sum = new double[n];
                p.acc = new float[n][Math.max(width, held)];
            }
            return p;
        }
    }

    /**
     * Chunk {@code c} of a context of {@code len} cached rows (position s in row {@code rows[s]}) for the queries
     * {@code q[q0 + k]}, k < count: scores over whole rows (latent and rope key), times {@code scale}; the
     * weighted sum over a row's first {@code mixWidth} values (the latent). Results in slots {@code slot0 + k}.
     */
    static void attend(LatentLayerCache cache, int[] rows, int len, int c, int mixWidth,
                       float[][] q, int q0, int count, float scale, Partials p, int slot0) {
        int per = rowsPerChunk(len), from = c * per, to = Math.min(len, from + per), m = to - from;
        RowStore.View v = cache.view(rows, from, to);
        float[][] att = ScoreRows.take(count, m);
        HeadTiles.scores(v.data(), v.rows(), from, to, v.stride(), v.offset(), cache.valuesPerToken(), q, q0, count, att, from);
        for (int k = 0; k < count; k++) {
            VectorMath.scale(att[k], 0, m, scale);
            float max = VectorMath.max(att[k], 0, m);
            p.max[slot0 + k] = max;
            p.sum[slot0 + k] = VectorMath.expSum(att[k], 0, m, max);
            Arrays.fill(p.acc[slot0 + k], 0, mixWidth, 0f);
        }
        HeadTiles.mix(v.data(), v.rows(), from, to, v.stride(), v.offset(), mixWidth, att, from, p.acc, slot0, count);
    }

    /** {@code out[0 .. width)} = one head's attention: its partials in slots first, first + step, ... (one per chunk) merged. */
    static void merge(Partials p, int chunks, int first, int step, float[] out, int width) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0, s = first; c < chunks; c++, s += step) {
            max = Math.max(max, p.max[s]);
        }
        double total = 0;
        for (int c = 0, s = first; c < chunks; c++, s += step) {
            total += StrictMath.exp((double) p.max[s] - max) * p.sum[s];
        }
        Arrays.fill(out, 0, width, 0f);
        for (int c = 0, s = first; c < chunks; c++, s += step) {
            VectorMath.axpy((float) (StrictMath.exp((double) p.max[s] - max) / total), p.acc[s], 0, out, 0, width);
        }
    }
}
