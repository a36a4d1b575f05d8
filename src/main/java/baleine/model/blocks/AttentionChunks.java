package baleine.model.blocks;

import baleine.cache.LatentLayerCache;
import baleine.cache.RowStore;
import baleine.tensor.HeadLanes;
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

    /**
     * Per slot (a chunk and a head): the chunk's largest score, the sum of e^(score - it), the weighted rows;
     * and the queries laid out for {@link HeadLanes}.
     */
    static final class Partials {
        private static final ThreadLocal<Partials> OF_THREAD = ThreadLocal.withInitial(Partials::new);
        float[] max = new float[0];
        double[] sum = new double[0];
        float[][] acc = new float[0][];
        private float[] transposed = new float[0];

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

        /** Room for {@code heads} queries of {@code width} values, {@link HeadLanes#transpose}d. */
        float[] queries(int heads, int width) {
            int length = HeadLanes.padded(heads) * width;
            if (transposed.length < length) {
                transposed = new float[length];
            }
            return transposed;
        }
    }

    /** A thread's scores of one chunk, in {@link HeadLanes}' layout, and their heads' max and sum. */
    private static final class Scores {
        private static final ThreadLocal<Scores> OF_THREAD = ThreadLocal.withInitial(Scores::new);
        float[] att = new float[0];
        float[] max = new float[0];
        double[] sum = new double[0];

        /** This thread's scores, room for m rows of {@code heads} heads (padded) in all. */
        static Scores take(int m, int heads) {
            Scores w = OF_THREAD.get();
            if (w.att.length < m * heads) {
                w.att = new float[Math.max(m * heads, w.att.length + w.att.length / 2)];
            }
            if (w.max.length < heads) {
                w.max = new float[heads];
                w.sum = new double[heads];
            }
            return w;
        }
    }

    /**
     * Chunk {@code c} of a context of {@code len} cached rows (position s in row {@code rows[s]}) for the
     * {@code heads} queries at {@code qT[q0 ..]} ({@link HeadLanes#transpose}d): scores over whole rows (latent
     * and rope key), times {@code scale}; the weighted sum over a row's first {@code mixWidth} values (the
     * latent). Results in slots {@code slot0 + k}, k < heads.
     */
    static void attend(LatentLayerCache cache, int[] rows, int len, int c, int mixWidth,
                       float[] qT, int q0, int heads, float scale, Partials p, int slot0) {
        int per = rowsPerChunk(len), from = c * per, to = Math.min(len, from + per), m = to - from;
        RowStore.View v = cache.view(rows, from, to);
        Scores w = Scores.take(m, HeadLanes.padded(heads));
        HeadLanes.scores(v.data(), v.rows(), from, to, v.stride(), v.offset(), cache.valuesPerToken(), qT, q0, heads, w.att);
        HeadLanes.exponentiate(w.att, m, heads, scale, w.max, w.sum);
        for (int k = 0; k < heads; k++) {
            p.max[slot0 + k] = w.max[k];
            p.sum[slot0 + k] = w.sum[k];
            Arrays.fill(p.acc[slot0 + k], 0, mixWidth, 0f);
        }
        HeadLanes.mix(v.data(), v.rows(), from, to, v.stride(), v.offset(), mixWidth, w.att, heads, p.acc, slot0);
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
