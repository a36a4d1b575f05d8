package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

import java.util.stream.IntStream;

import static baleine.tensor.Species.F;

/**
 * Sums 4, 8 or 16 accumulators of 16 lanes (stored one after the other) into one vector (or takes the maxima of
 * 16, for the activations' rounding). A pair folds as
 * {@code x.blend(y, TAKEk).add(PICKk.selectFrom(x, y))}: lanes with bit k set continue y's sum, the others
 * x's, and lane i meets lane i ^ k (of x where bit k of i is clear, of y where it is set: one two-table
 * permute) as in {@link VectorMath#sumLanes}, so every sum keeps its bits. (Two rearranges and a blend in
 * place of the permute took 27 ns for sixteen accumulators against 18.5.) The accumulators travel through
 * the array, never as arguments, and each method is written out: a vector passed to or returned from a method
 * C2 does not inline is boxed (a helper returning a folded pair did so in some compilations, 4 boxes per call of
 * the eight-row decode kernels: 8.4 MiB of heap per Qwen-shape token). Only for 16-lane vectors ({@link #SIXTEEN}).
 */
final class LaneFolds {
    static final boolean SIXTEEN = F.length() == 16;
    private static final VectorMask<Float> TAKE8 = take(8), TAKE4 = take(4), TAKE2 = take(2), TAKE1 = take(1);
    /** For the two-table select of x and y (indexes 16.. are y's): lane i takes lane i ^ k of x, or of y where bit k of i is set. */
    private static final FloatVector PICK8 = pick(8), PICK4 = pick(4), PICK2 = pick(2), PICK1 = pick(1);
    /** After folding 16 accumulators pairwise at 8, 4, 2, 1: accumulator r sits in lane reverse4(r). */
    private static final VectorShuffle<Float> SIXTEEN_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> Integer.reverse(r) >>> 28) : null;
    /** After folding 8 accumulators pairwise at 8, 4, 2 and the result at 1: accumulator r sits in lane 8 (r & 1) + 4 (r >> 1 & 1) + 2 (r >> 2). */
    private static final VectorShuffle<Float> EIGHT_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> r < 8 ? 8 * (r & 1) + 4 * (r >> 1 & 1) + 2 * (r >> 2) : r) : null;
    /** After folding 4 accumulators pairwise at 8, 4 and the result at 2, 1: accumulator r sits in lane 8 (r & 1) + 4 (r >> 1). */
    private static final VectorShuffle<Float> FOUR_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> r < 4 ? 8 * (r & 1) + 4 * (r >> 1) : r) : null;

    private LaneFolds() {
    }

    /** {@code out[o .. o + 16)} = the lane sums of the 16 accumulators in {@code out[o .. o + 256)}. */
    static void sumSixteen(float[] out, int o) {
        foldSixteen(out, o, false);
    }

    /**
     * {@code out[o .. o + 16)} = the lane maxima of the 16 vectors in {@code out[o .. o + 256)} (as {@code Math.max}: a
     * NaN wins), paired as the sums are.
     */
    static void maxSixteen(float[] out, int o) {
        foldSixteen(out, o, true);
    }

    private static void foldSixteen(float[] out, int o, boolean max) {
        FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + 16);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 32), a3 = FloatVector.fromArray(F, out, o + 48);
        FloatVector a4 = FloatVector.fromArray(F, out, o + 64), a5 = FloatVector.fromArray(F, out, o + 80);
        FloatVector a6 = FloatVector.fromArray(F, out, o + 96), a7 = FloatVector.fromArray(F, out, o + 112);
        FloatVector a8 = FloatVector.fromArray(F, out, o + 128), a9 = FloatVector.fromArray(F, out, o + 144);
        FloatVector a10 = FloatVector.fromArray(F, out, o + 160), a11 = FloatVector.fromArray(F, out, o + 176);
        FloatVector a12 = FloatVector.fromArray(F, out, o + 192), a13 = FloatVector.fromArray(F, out, o + 208);
        FloatVector a14 = FloatVector.fromArray(F, out, o + 224), a15 = FloatVector.fromArray(F, out, o + 240);
        FloatVector p0 = max ? a0.blend(a1, TAKE8).max(PICK8.selectFrom(a0, a1)) : a0.blend(a1, TAKE8).add(PICK8.selectFrom(a0, a1));
        FloatVector p1 = max ? a2.blend(a3, TAKE8).max(PICK8.selectFrom(a2, a3)) : a2.blend(a3, TAKE8).add(PICK8.selectFrom(a2, a3));
        FloatVector p2 = max ? a4.blend(a5, TAKE8).max(PICK8.selectFrom(a4, a5)) : a4.blend(a5, TAKE8).add(PICK8.selectFrom(a4, a5));
        FloatVector p3 = max ? a6.blend(a7, TAKE8).max(PICK8.selectFrom(a6, a7)) : a6.blend(a7, TAKE8).add(PICK8.selectFrom(a6, a7));
        FloatVector p4 = max ? a8.blend(a9, TAKE8).max(PICK8.selectFrom(a8, a9)) : a8.blend(a9, TAKE8).add(PICK8.selectFrom(a8, a9));
        FloatVector p5 = max ? a10.blend(a11, TAKE8).max(PICK8.selectFrom(a10, a11)) : a10.blend(a11, TAKE8).add(PICK8.selectFrom(a10, a11));
        FloatVector p6 = max ? a12.blend(a13, TAKE8).max(PICK8.selectFrom(a12, a13)) : a12.blend(a13, TAKE8).add(PICK8.selectFrom(a12, a13));
        FloatVector p7 = max ? a14.blend(a15, TAKE8).max(PICK8.selectFrom(a14, a15)) : a14.blend(a15, TAKE8).add(PICK8.selectFrom(a14, a15));
        FloatVector q0 = max ? p0.blend(p1, TAKE4).max(PICK4.selectFrom(p0, p1)) : p0.blend(p1, TAKE4).add(PICK4.selectFrom(p0, p1));
        FloatVector q1 = max ? p2.blend(p3, TAKE4).max(PICK4.selectFrom(p2, p3)) : p2.blend(p3, TAKE4).add(PICK4.selectFrom(p2, p3));
        FloatVector q2 = max ? p4.blend(p5, TAKE4).max(PICK4.selectFrom(p4, p5)) : p4.blend(p5, TAKE4).add(PICK4.selectFrom(p4, p5));
        FloatVector q3 = max ? p6.blend(p7, TAKE4).max(PICK4.selectFrom(p6, p7)) : p6.blend(p7, TAKE4).add(PICK4.selectFrom(p6, p7));
        FloatVector u0 = max ? q0.blend(q1, TAKE2).max(PICK2.selectFrom(q0, q1)) : q0.blend(q1, TAKE2).add(PICK2.selectFrom(q0, q1));
        FloatVector u1 = max ? q2.blend(q3, TAKE2).max(PICK2.selectFrom(q2, q3)) : q2.blend(q3, TAKE2).add(PICK2.selectFrom(q2, q3));
        FloatVector v = max ? u0.blend(u1, TAKE1).max(PICK1.selectFrom(u0, u1)) : u0.blend(u1, TAKE1).add(PICK1.selectFrom(u0, u1));
        v.rearrange(SIXTEEN_IN_ORDER).intoArray(out, o);
    }

    /** {@code out[o .. o + 8)} = the lane sums of the 8 accumulators in {@code out[o .. o + 128)} (the eight-row decode kernels). */
    static void sumEight(float[] out, int o) {
        FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + 16);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 32), a3 = FloatVector.fromArray(F, out, o + 48);
        FloatVector a4 = FloatVector.fromArray(F, out, o + 64), a5 = FloatVector.fromArray(F, out, o + 80);
        FloatVector a6 = FloatVector.fromArray(F, out, o + 96), a7 = FloatVector.fromArray(F, out, o + 112);
        FloatVector p0 = a0.blend(a1, TAKE8).add(PICK8.selectFrom(a0, a1));
        FloatVector p1 = a2.blend(a3, TAKE8).add(PICK8.selectFrom(a2, a3));
        FloatVector p2 = a4.blend(a5, TAKE8).add(PICK8.selectFrom(a4, a5));
        FloatVector p3 = a6.blend(a7, TAKE8).add(PICK8.selectFrom(a6, a7));
        FloatVector q0 = p0.blend(p1, TAKE4).add(PICK4.selectFrom(p0, p1));
        FloatVector q1 = p2.blend(p3, TAKE4).add(PICK4.selectFrom(p2, p3));
        FloatVector u = q0.blend(q1, TAKE2).add(PICK2.selectFrom(q0, q1));
        u.add(u.rearrange(VectorMath.FOLD1)).rearrange(EIGHT_IN_ORDER).intoArray(out, o);
    }

    /** {@code out[o .. o + 4)} = the lane sums of the 4 accumulators in {@code out[o .. o + 64)}. */
    static void sumFour(float[] out, int o) {
        FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + 16);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 32), a3 = FloatVector.fromArray(F, out, o + 48);
        FloatVector p0 = a0.blend(a1, TAKE8).add(PICK8.selectFrom(a0, a1));
        FloatVector p1 = a2.blend(a3, TAKE8).add(PICK8.selectFrom(a2, a3));
        FloatVector q = p0.blend(p1, TAKE4).add(PICK4.selectFrom(p0, p1));
        q = q.add(q.rearrange(VectorMath.FOLD2));
        q.add(q.rearrange(VectorMath.FOLD1)).rearrange(FOUR_IN_ORDER).intoArray(out, o);
    }

    private static VectorMask<Float> take(int k) {
        return SIXTEEN ? VectorMask.fromLong(F, IntStream.range(0, 16).filter(i -> (i & k) != 0).mapToLong(i -> 1L << i).sum()) : null;
    }

    private static FloatVector pick(int k) {
        if (!SIXTEEN) {
            return null;
        }
        float[] index = new float[16];
        for (int i = 0; i < 16; i++) {
            index[i] = (i & k) == 0 ? i ^ k : 16 + (i ^ k);
        }
        return FloatVector.fromArray(F, index, 0);
    }
}
