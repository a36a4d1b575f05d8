package baleine.model.blocks;

import baleine.tensor.VectorMath;

/**
 * The two halves of attention over cached rows for several query heads at once, rows and heads four by four,
 * so that each loaded chunk of a cached row serves four heads and each chunk of a query four rows, and the one to
 * three heads left after whole fours four rows by two and by one (a group of six, seven or five heads, as in the
 * Qwen-based R1 distills, left a third to a fifth of its heads to one dot product per row and head: Qwen-shape Q4_0
 * decoding at depth 4096 1.03x in one JVM): GQA's heads sharing one KV head (MLA's many heads over one latent row
 * take {@link baleine.tensor.HeadLanes}). Which kernel a (row, head) pair goes through depends only on the row's
 * position and the head's index, never on the batch, so a token gets the same bits alone or batched.
 */
final class HeadTiles {
    // the kernels' tile sums, per thread
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> VectorMath.outBuffer(16));
    private static final ThreadLocal<float[]> FOUR = ThreadLocal.withInitial(() -> VectorMath.outBuffer(4));

    private HeadTiles() {
    }

    /**
     * {@code att[k][s - attFrom] = q[q0 + k] . cached row s} over {@code width} values for k < count and rows s in
     * [from, to) (row s at {@code rows[s] * stride + offset} of {@code cache}), rows four by four, queries four by
     * four then by two and by one; {@code from} is a multiple of four, so each row meets the same kernel in any range.
     */
    static void scores(float[] cache, int[] rows, int from, int to, int stride, int offset, int width, float[][] q, int q0, int count, float[][] att, int attFrom) {
        float[] tile = TILE.get(), four = FOUR.get();
        int s = from;
        for (; s + 4 <= to; s += 4) {
            int o0 = rows[s] * stride + offset, o1 = rows[s + 1] * stride + offset;
            int o2 = rows[s + 2] * stride + offset, o3 = rows[s + 3] * stride + offset;
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                VectorMath.dotRows4x4(cache, o0, o1, o2, o3, q, q0 + k, width, tile);
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        att[k + j][s - attFrom + i] = tile[4 * i + j];
                    }
                }
            }
            leftScores(cache, o0, o1, o2, o3, width, q, q0, k, count, att, s - attFrom, tile);
        }
        for (; s < to; s++) {
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                VectorMath.dot4(cache, rows[s] * stride + offset, q, q0 + k, 0, width, four);
                for (int j = 0; j < 4; j++) {
                    att[k + j][s - attFrom] = four[j];
                }
            }
            for (; k < count; k++) {
                att[k][s - attFrom] = VectorMath.dot(q[q0 + k], 0, cache, rows[s] * stride + offset, width);
            }
        }
    }

    /**
     * {@code out[out0 + k][0 .. width) += sum_s att[k][s - attFrom] * cached row s} for k < count and s in [from, to),
     * placed as in {@link #scores}; rows added in order, so consecutive ranges add up as one.
     */
    static void mix(float[] cache, int[] rows, int from, int to, int stride, int offset, int width, float[][] att, int attFrom, float[][] out, int out0, int count) {
        float[] tile = TILE.get(), four = FOUR.get();
        int s = from;
        for (; s + 4 <= to; s += 4) {
            int o0 = rows[s] * stride + offset, o1 = rows[s + 1] * stride + offset;
            int o2 = rows[s + 2] * stride + offset, o3 = rows[s + 3] * stride + offset;
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        tile[4 * i + j] = att[k + j][s - attFrom + i];
                    }
                }
                VectorMath.axpyRows4x4(tile, cache, o0, o1, o2, o3, out, out0 + k, width);
            }
            leftMix(cache, o0, o1, o2, o3, width, att, s - attFrom, out, out0, k, count, tile);
        }
        for (; s < to; s++) {
            int k = 0;
            for (; k + 4 <= count; k += 4) {
                for (int j = 0; j < 4; j++) {
                    four[j] = att[k + j][s - attFrom];
                }
                VectorMath.axpy4(four, cache, rows[s] * stride + offset, out, out0 + k, 0, width);
            }
            for (; k < count; k++) {
                VectorMath.axpy(att[k][s - attFrom], cache, rows[s] * stride + offset, out[out0 + k], 0, width);
            }
        }
    }

    /** Scores of the one to three heads [k, count) left after whole fours, for the four rows at o0..o3: two, then one. */
    private static void leftScores(float[] cache, int o0, int o1, int o2, int o3, int width, float[][] q, int q0, int k, int count,
                                   float[][] att, int at, float[] tile) {
        if (count - k >= 2) {
            VectorMath.dotRows4x2(cache, o0, o1, o2, o3, q, q0 + k, width, tile);
            for (int i = 0; i < 4; i++) {
                att[k][at + i] = tile[2 * i];
                att[k + 1][at + i] = tile[2 * i + 1];
            }
            k += 2;
        }
        if (k < count) {
            VectorMath.dotRows4x1(cache, o0, o1, o2, o3, q[q0 + k], width, tile);
            for (int i = 0; i < 4; i++) {
                att[k][at + i] = tile[i];
            }
        }
    }

    /** {@link #mix} of the four rows at o0..o3 into the one to three heads [k, count) left after whole fours: two, then one. */
    private static void leftMix(float[] cache, int o0, int o1, int o2, int o3, int width, float[][] att, int at, float[][] out, int out0,
                                int k, int count, float[] tile) {
        if (count - k >= 2) {
            for (int i = 0; i < 4; i++) {
                tile[2 * i] = att[k][at + i];
                tile[2 * i + 1] = att[k + 1][at + i];
            }
            VectorMath.axpyRows4x2(tile, cache, o0, o1, o2, o3, out, out0 + k, width);
            k += 2;
        }
        if (k < count) {
            for (int i = 0; i < 4; i++) {
                tile[i] = att[k][at + i];
            }
            VectorMath.axpyRows4x1(tile, cache, o0, o1, o2, o3, out[out0 + k], width);
        }
    }
}
