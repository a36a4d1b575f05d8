package baleine.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static baleine.tensor.Species.F;

/**
 * Attention over cached rows with the heads in the vector lanes: lane j holds head j of a block of
 * {@link #LANES} heads, so a cached value, broadcast once, serves a whole block and no sum ever crosses
 * lanes (MLA's heads all read the same latent rows). Scores sit row by row, {@code att[(s - from) * H + h]} with
 * H = {@link #padded}(heads). A score is the plain chain {@code acc = fma(row[d], q[d], acc)} over d = 0, 1, ...,
 * a mixed value the chain over the rows in order: the bits depend on neither the tiling, the vector width, the
 * other heads of a block nor the batch.
 */
public final class HeadLanes {
    public static final int LANES = F.length();
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final int ROWS = 8; // the score kernel's rows at a time: one query load serves eight
    /**
     * 8-lane vectors (AVX2), sixteen registers: the scores take two blocks of heads four rows at a time, each cached value
     * broadcast once for both blocks (eight rows of one block broadcast it once per block), and the mix four heads by two
     * vectors, whose eight sums fit where the sixteen of eight heads spill (V2-Lite-shape Q8_0 one-token forwards at
     * depth 4096 in one JVM: scores 1.049, 100 pairs; mix 1.046, 150 pairs). Wider vectors keep eight rows and eight heads.
     */
    private static final boolean SIXTEEN_REGISTERS = LANES == 8;

    private HeadLanes() {
    }

    /** Heads rounded up to whole blocks of {@link #LANES}. */
    public static int padded(int heads) {
        return (heads + LANES - 1) / LANES * LANES;
    }

    /**
     * Heads [h0, h1) of the queries {@code q[h][0 .. width)} (of {@code heads} in all) laid out for
     * {@link #scores}: {@code qT[(b * width + d) * LANES + j]} = head b * LANES + j's value d; with the last
     * heads, the padding lanes of the last block set to 0. Calls for disjoint ranges may run in parallel.
     */
    public static void transpose(float[][] q, int h0, int h1, int heads, int width, float[] qT) {
        int end = h1 == heads ? padded(heads) : h1;
        for (int h = h0; h < end; h++) {
            int at = h / LANES * width * LANES + h % LANES;
            for (int d = 0; d < width; d++, at += LANES) {
                qT[at] = h < heads ? q[h][d] : 0f;
            }
        }
    }

    /**
     * {@code att[(s - from) * H + h]} = head h's query . cached row s over {@code width} values, for rows s in
     * [from, to) (row s at {@code rows[s] * stride + offset} of {@code cache}) and the heads h < heads whose
     * queries are {@link #transpose}d at {@code qT[q0 ..]} (H = padded(heads)).
     */
    public static void scores(float[] cache, int[] rows, int from, int to, int stride, int offset, int width, float[] qT, int q0, int heads, float[] att) {
        int h = padded(heads), b = 0;
        if (SIXTEEN_REGISTERS) { // two blocks of heads at a time, four rows by two (see scoresOfFourByTwo)
            for (; b + 2 <= h / LANES; b += 2) {
                int qb = q0 + b * width * LANES;
                int s = from;
                for (; s + 4 <= to; s += 4) {
                    scoresOfFourByTwo(cache, rows, s, stride, offset, width, qT, qb, att, (s - from) * h + b * LANES, h);
                }
                for (; s < to; s++) { // the rows left, block by block
                    scoresOfOne(cache, rows[s] * stride + offset, width, qT, qb, att, (s - from) * h + b * LANES);
                    scoresOfOne(cache, rows[s] * stride + offset, width, qT, qb + width * LANES, att, (s - from) * h + b * LANES + LANES);
                }
            }
        }
        for (; b < h / LANES; b++) {
            int qb = q0 + b * width * LANES;
            int s = from;
            for (; s + ROWS <= to; s += ROWS) {
                scoresOfEight(cache, rows, s, stride, offset, width, qT, qb, att, (s - from) * h + b * LANES, h);
            }
            for (; s < to; s++) {
                scoresOfOne(cache, rows[s] * stride + offset, width, qT, qb, att, (s - from) * h + b * LANES);
            }
        }
    }

    /** One row of {@link #scores} (at {@code cache[o ..]}) for the block of heads at {@code qT[qb ..]}, into att[at ..]. */
    private static void scoresOfOne(float[] cache, int o, int width, float[] qT, int qb, float[] att, int at) {
        FloatVector a = FloatVector.zero(F);
        for (int d = 0; d < width; d++) {
            a = FloatVector.fromArray(F, qT, qb + d * LANES).fma(FloatVector.broadcast(F, cache[o + d]), a);
        }
        a.intoArray(att, at);
    }

    /**
     * Rows s .. s + 3 of {@link #scores} for two blocks of heads, at {@code qT[qb ..]} and a block further: each cached
     * value broadcast once for both (eight sums, two query vectors and the value: eleven of AVX2's sixteen registers).
     * Row s's scores at att[at ..] and att[at + LANES ..], the next H further.
     */
    private static void scoresOfFourByTwo(float[] cache, int[] rows, int s, int stride, int offset, int width, float[] qT, int qb, float[] att, int at, int h) {
        int o0 = rows[s] * stride + offset, o1 = rows[s + 1] * stride + offset;
        int o2 = rows[s + 2] * stride + offset, o3 = rows[s + 3] * stride + offset;
        int qc = qb + width * LANES;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int d = 0; d < width; d++) {
            FloatVector q = FloatVector.fromArray(F, qT, qb + d * LANES), r = FloatVector.fromArray(F, qT, qc + d * LANES);
            FloatVector v = FloatVector.broadcast(F, cache[o0 + d]);
            a0 = q.fma(v, a0);
            c0 = r.fma(v, c0);
            v = FloatVector.broadcast(F, cache[o1 + d]);
            a1 = q.fma(v, a1);
            c1 = r.fma(v, c1);
            v = FloatVector.broadcast(F, cache[o2 + d]);
            a2 = q.fma(v, a2);
            c2 = r.fma(v, c2);
            v = FloatVector.broadcast(F, cache[o3 + d]);
            a3 = q.fma(v, a3);
            c3 = r.fma(v, c3);
        }
        a0.intoArray(att, at);
        c0.intoArray(att, at + LANES);
        a1.intoArray(att, at + h);
        c1.intoArray(att, at + h + LANES);
        a2.intoArray(att, at + 2 * h);
        c2.intoArray(att, at + 2 * h + LANES);
        a3.intoArray(att, at + 3 * h);
        c3.intoArray(att, at + 3 * h + LANES);
    }

    /** Rows s .. s + 7 of {@link #scores} for the block of heads at {@code qT[qb ..]}; row s's scores at att[at ..], the next H further. */
    private static void scoresOfEight(float[] cache, int[] rows, int s, int stride, int offset, int width, float[] qT, int qb, float[] att, int at, int h) {
        int o0 = rows[s] * stride + offset, o1 = rows[s + 1] * stride + offset;
        int o2 = rows[s + 2] * stride + offset, o3 = rows[s + 3] * stride + offset;
        int o4 = rows[s + 4] * stride + offset, o5 = rows[s + 5] * stride + offset;
        int o6 = rows[s + 6] * stride + offset, o7 = rows[s + 7] * stride + offset;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int d = 0; d < width; d++) {
            FloatVector q = FloatVector.fromArray(F, qT, qb + d * LANES);
            a0 = q.fma(FloatVector.broadcast(F, cache[o0 + d]), a0);
            a1 = q.fma(FloatVector.broadcast(F, cache[o1 + d]), a1);
            a2 = q.fma(FloatVector.broadcast(F, cache[o2 + d]), a2);
            a3 = q.fma(FloatVector.broadcast(F, cache[o3 + d]), a3);
            a4 = q.fma(FloatVector.broadcast(F, cache[o4 + d]), a4);
            a5 = q.fma(FloatVector.broadcast(F, cache[o5 + d]), a5);
            a6 = q.fma(FloatVector.broadcast(F, cache[o6 + d]), a6);
            a7 = q.fma(FloatVector.broadcast(F, cache[o7 + d]), a7);
        }
        a0.intoArray(att, at);
        a1.intoArray(att, at + h);
        a2.intoArray(att, at + 2 * h);
        a3.intoArray(att, at + 3 * h);
        a4.intoArray(att, at + 4 * h);
        a5.intoArray(att, at + 5 * h);
        a6.intoArray(att, at + 6 * h);
        a7.intoArray(att, at + 7 * h);
    }

    /**
     * The scores of m rows ({@link #scores}' layout) turned into softmax numerators: each times {@code scale},
     * then e^(that - its head's max) by {@link VectorMath#exp}; per head h (of the padded heads) the max in
     * {@code max[h]} and the numerators' sum, added in row order in doubles, in {@code sum[h]}.
     */
    public static void exponentiate(float[] att, int m, int heads, float scale, float[] max, double[] sum) {
        int h = padded(heads);
        for (int b = 0; b < h; b += LANES) {
            FloatVector top = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int s = 0; s < m; s++) {
                FloatVector v = FloatVector.fromArray(F, att, s * h + b).mul(scale);
                v.intoArray(att, s * h + b);
                top = v.max(top);
            }
            top.intoArray(max, b);
            for (int s = 0; s < m; s++) {
                FloatVector.fromArray(F, att, s * h + b).sub(top).intoArray(att, s * h + b);
            }
        }
        VectorMath.exp(att, 0, m * h, 1f, 0f);
        for (int b = 0; b < h; b += LANES) {
            DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
            for (int s = 0; s < m; s++) {
                FloatVector e = FloatVector.fromArray(F, att, s * h + b);
                s0 = ((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0)).add(s0);
                s1 = ((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1)).add(s1);
            }
            s0.intoArray(sum, b);
            s1.intoArray(sum, b + D.length());
        }
    }

    /**
     * {@code out[out0 + k][0 .. width) += sum_s att[(s - from) * H + k] * cached row s} for heads k < heads and
     * rows s in [from, to) ({@link #scores}' layout), the rows added one after the other in order.
     */
    public static void mix(float[] cache, int[] rows, int from, int to, int stride, int offset, int width, float[] att, int heads, float[][] out, int out0) {
        int h = padded(heads), k = 0;
        for (; k + 8 <= heads; k += 8) {
            int d = 0;
            for (; d + 2 * LANES <= width; d += 2 * LANES) {
                if (SIXTEEN_REGISTERS) {
                    mixFourByTwo(cache, rows, from, to, stride, offset + d, att, h, k, out, out0 + k, d);
                    mixFourByTwo(cache, rows, from, to, stride, offset + d, att, h, k + 4, out, out0 + k + 4, d);
                } else {
                    mixEightByTwo(cache, rows, from, to, stride, offset + d, att, h, k, out, out0 + k, d);
                }
            }
            for (int j = 0; j < 8; j++) {
                mixOne(cache, rows, from, to, stride, offset, d, width, att, h, k + j, out[out0 + k + j]);
            }
        }
        for (; k < heads; k++) {
            mixOne(cache, rows, from, to, stride, offset, 0, width, att, h, k, out[out0 + k]);
        }
    }

    /**
     * {@link #mixEightByTwo} for heads k .. k + 3 (eight sums, two row vectors and a weight: eleven of AVX2's sixteen
     * registers).
     */
    private static void mixFourByTwo(float[] cache, int[] rows, int from, int to, int stride, int offset, float[] att, int h, int k, float[][] out, int o0, int d) {
        float[] y0 = out[o0], y1 = out[o0 + 1], y2 = out[o0 + 2], y3 = out[o0 + 3];
        int e = d + LANES;
        FloatVector a0 = FloatVector.fromArray(F, y0, d), b0 = FloatVector.fromArray(F, y0, e);
        FloatVector a1 = FloatVector.fromArray(F, y1, d), b1 = FloatVector.fromArray(F, y1, e);
        FloatVector a2 = FloatVector.fromArray(F, y2, d), b2 = FloatVector.fromArray(F, y2, e);
        FloatVector a3 = FloatVector.fromArray(F, y3, d), b3 = FloatVector.fromArray(F, y3, e);
        for (int s = from, p = k; s < to; s++, p += h) {
            int o = rows[s] * stride + offset;
            FloatVector r = FloatVector.fromArray(F, cache, o), t = FloatVector.fromArray(F, cache, o + LANES);
            FloatVector c = FloatVector.broadcast(F, att[p]);
            a0 = r.fma(c, a0);
            b0 = t.fma(c, b0);
            c = FloatVector.broadcast(F, att[p + 1]);
            a1 = r.fma(c, a1);
            b1 = t.fma(c, b1);
            c = FloatVector.broadcast(F, att[p + 2]);
            a2 = r.fma(c, a2);
            b2 = t.fma(c, b2);
            c = FloatVector.broadcast(F, att[p + 3]);
            a3 = r.fma(c, a3);
            b3 = t.fma(c, b3);
        }
        a0.intoArray(y0, d);
        b0.intoArray(y0, e);
        a1.intoArray(y1, d);
        b1.intoArray(y1, e);
        a2.intoArray(y2, d);
        b2.intoArray(y2, e);
        a3.intoArray(y3, d);
        b3.intoArray(y3, e);
    }

    /** Heads k .. k + 7 into {@code out[o0 ..]}, values d .. d + 2 LANES of the rows (from {@code offset}, which includes d). */
    private static void mixEightByTwo(float[] cache, int[] rows, int from, int to, int stride, int offset, float[] att, int h, int k, float[][] out, int o0, int d) {
        float[] y0 = out[o0], y1 = out[o0 + 1], y2 = out[o0 + 2], y3 = out[o0 + 3];
        float[] y4 = out[o0 + 4], y5 = out[o0 + 5], y6 = out[o0 + 6], y7 = out[o0 + 7];
        int e = d + LANES;
        FloatVector a0 = FloatVector.fromArray(F, y0, d), b0 = FloatVector.fromArray(F, y0, e);
        FloatVector a1 = FloatVector.fromArray(F, y1, d), b1 = FloatVector.fromArray(F, y1, e);
        FloatVector a2 = FloatVector.fromArray(F, y2, d), b2 = FloatVector.fromArray(F, y2, e);
        FloatVector a3 = FloatVector.fromArray(F, y3, d), b3 = FloatVector.fromArray(F, y3, e);
        FloatVector a4 = FloatVector.fromArray(F, y4, d), b4 = FloatVector.fromArray(F, y4, e);
        FloatVector a5 = FloatVector.fromArray(F, y5, d), b5 = FloatVector.fromArray(F, y5, e);
        FloatVector a6 = FloatVector.fromArray(F, y6, d), b6 = FloatVector.fromArray(F, y6, e);
        FloatVector a7 = FloatVector.fromArray(F, y7, d), b7 = FloatVector.fromArray(F, y7, e);
        for (int s = from, p = k; s < to; s++, p += h) {
            int o = rows[s] * stride + offset;
            FloatVector r = FloatVector.fromArray(F, cache, o), t = FloatVector.fromArray(F, cache, o + LANES);
            FloatVector c = FloatVector.broadcast(F, att[p]);
            a0 = r.fma(c, a0);
            b0 = t.fma(c, b0);
            c = FloatVector.broadcast(F, att[p + 1]);
            a1 = r.fma(c, a1);
            b1 = t.fma(c, b1);
            c = FloatVector.broadcast(F, att[p + 2]);
            a2 = r.fma(c, a2);
            b2 = t.fma(c, b2);
            c = FloatVector.broadcast(F, att[p + 3]);
            a3 = r.fma(c, a3);
            b3 = t.fma(c, b3);
            c = FloatVector.broadcast(F, att[p + 4]);
            a4 = r.fma(c, a4);
            b4 = t.fma(c, b4);
            c = FloatVector.broadcast(F, att[p + 5]);
            a5 = r.fma(c, a5);
            b5 = t.fma(c, b5);
            c = FloatVector.broadcast(F, att[p + 6]);
            a6 = r.fma(c, a6);
            b6 = t.fma(c, b6);
            c = FloatVector.broadcast(F, att[p + 7]);
            a7 = r.fma(c, a7);
            b7 = t.fma(c, b7);
        }
        a0.intoArray(y0, d);
        b0.intoArray(y0, e);
        a1.intoArray(y1, d);
        b1.intoArray(y1, e);
        a2.intoArray(y2, d);
        b2.intoArray(y2, e);
        a3.intoArray(y3, d);
        b3.intoArray(y3, e);
        a4.intoArray(y4, d);
        b4.intoArray(y4, e);
        a5.intoArray(y5, d);
        b5.intoArray(y5, e);
        a6.intoArray(y6, d);
        b6.intoArray(y6, e);
        a7.intoArray(y7, d);
        b7.intoArray(y7, e);
    }

    /** Head k into {@code y}, values [d0, width) of the rows: vectors, then one value at a time. */
    private static void mixOne(float[] cache, int[] rows, int from, int to, int stride, int offset, int d0, int width, float[] att, int h, int k, float[] y) {
        int d = d0;
        for (; d + LANES <= width; d += LANES) {
            FloatVector a = FloatVector.fromArray(F, y, d);
            for (int s = from, p = k; s < to; s++, p += h) {
                a = FloatVector.fromArray(F, cache, rows[s] * stride + offset + d).fma(FloatVector.broadcast(F, att[p]), a);
            }
            a.intoArray(y, d);
        }
        for (; d < width; d++) {
            float a = y[d];
            for (int s = from, p = k; s < to; s++, p += h) {
                a = Math.fma(cache[rows[s] * stride + offset + d], att[p], a);
            }
            y[d] = a;
        }
    }
}
