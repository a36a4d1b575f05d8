package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

import java.util.stream.IntStream;

import static baleine.tensor.Species.F;

/**
 * Sums 4, 8 or 16 accumulators of 16 lanes (stored one after the other) into one vector. A pair folds as
 * {@code x.blend(y, TAKEk).add(x.rearrange(SWAPk).blend(y.rearrange(SWAPk), TAKEk))}: lanes with bit k set
 * continue y's sum, the others x's, and lane i meets lane i ^ k as in {@link VectorMath#sumLanes}, so every
 * sum keeps its bits. The accumulators travel through the array, never as arguments: a vector passed to a
 * method C2 does not inline is boxed. Only for 16-lane vectors ({@link #SIXTEEN}).
 */
final class LaneFolds {
    static final boolean SIXTEEN = F.length() == 16;
    static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);
    private static final VectorMask<Float> TAKE8 = take(8), TAKE4 = take(4), TAKE2 = take(2), TAKE1 = take(1);
    /** After folding 16 accumulators pairwise at 8, 4, 2, 1: accumulator r sits in lane reverse4(r). */
    private static final VectorShuffle<Float> SIXTEEN_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> Integer.reverse(r) >>> 28) : null;
    /** After folding 8 accumulators pairwise at 8, 4, 2 and the result at 1: accumulator r sits in lane 8 (r & 1) + 4 (r >> 1 & 1) + 2 (r >> 2). */
    private static final VectorShuffle<Float> EIGHT_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> r < 8 ? 8 * (r & 1) + 4 * (r >> 1 & 1) + 2 * (r >> 2) : r) : null;
    /** After folding 4 accumulators pairwise at 8, 4 and the result at 2, 1: accumulator r sits in lane 8 (r & 1) + 4 (r >> 1). */
    private static final VectorShuffle<Float> FOUR_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> r < 4 ? 8 * (r & 1) + 4 * (r >> 1) : r) : null;

    private LaneFolds() {
    }

    /** {@code out[0 .. 16)} = the lane sums of the 16 accumulators in {@code out[0 .. 256)}. */
    static void sumSixteen(float[] out) {
        FloatVector p0 = pair(out, 0, 1), p1 = pair(out, 2, 3);
        FloatVector p2 = pair(out, 4, 5), p3 = pair(out, 6, 7);
        FloatVector p4 = pair(out, 8, 9), p5 = pair(out, 10, 11);
        FloatVector p6 = pair(out, 12, 13), p7 = pair(out, 14, 15);
        FloatVector q0 = p0.blend(p1, TAKE4).add(p0.rearrange(SWAP4).blend(p1.rearrange(SWAP4), TAKE4));
        FloatVector q1 = p2.blend(p3, TAKE4).add(p2.rearrange(SWAP4).blend(p3.rearrange(SWAP4), TAKE4));
        FloatVector q2 = p4.blend(p5, TAKE4).add(p4.rearrange(SWAP4).blend(p5.rearrange(SWAP4), TAKE4));
        FloatVector q3 = p6.blend(p7, TAKE4).add(p6.rearrange(SWAP4).blend(p7.rearrange(SWAP4), TAKE4));
        FloatVector u0 = q0.blend(q1, TAKE2).add(q0.rearrange(SWAP2).blend(q1.rearrange(SWAP2), TAKE2));
        FloatVector u1 = q2.blend(q3, TAKE2).add(q2.rearrange(SWAP2).blend(q3.rearrange(SWAP2), TAKE2));
        FloatVector v = u0.blend(u1, TAKE1).add(u0.rearrange(SWAP1).blend(u1.rearrange(SWAP1), TAKE1));
        v.rearrange(SIXTEEN_IN_ORDER).intoArray(out, 0);
    }

    /** {@code out[0 .. 8)} = the lane sums of the 8 accumulators in {@code out[0 .. 128)} (the eight-row decode kernels). */
    static void sumEight(float[] out) {
        FloatVector p0 = pair(out, 0, 1), p1 = pair(out, 2, 3);
        FloatVector p2 = pair(out, 4, 5), p3 = pair(out, 6, 7);
        FloatVector q0 = p0.blend(p1, TAKE4).add(p0.rearrange(SWAP4).blend(p1.rearrange(SWAP4), TAKE4));
        FloatVector q1 = p2.blend(p3, TAKE4).add(p2.rearrange(SWAP4).blend(p3.rearrange(SWAP4), TAKE4));
        FloatVector u = q0.blend(q1, TAKE2).add(q0.rearrange(SWAP2).blend(q1.rearrange(SWAP2), TAKE2));
        u.add(u.rearrange(SWAP1)).rearrange(EIGHT_IN_ORDER).intoArray(out, 0);
    }

    /** {@code out[0 .. 4)} = the lane sums of the 4 accumulators in {@code out[0 .. 64)}. */
    static void sumFour(float[] out) {
        FloatVector p0 = pair(out, 0, 1), p1 = pair(out, 2, 3);
        FloatVector q = p0.blend(p1, TAKE4).add(p0.rearrange(SWAP4).blend(p1.rearrange(SWAP4), TAKE4));
        q = q.add(q.rearrange(SWAP2));
        q.add(q.rearrange(SWAP1)).rearrange(FOUR_IN_ORDER).intoArray(out, 0);
    }

    /**
     * Accumulators {@code a} and {@code b} of {@code out}, folded together at distance 8 (the mask and shuffle
     * are constants here, not arguments: compiled on its own, a method sees arguments as unknown objects).
     */
    private static FloatVector pair(float[] out, int a, int b) {
        FloatVector x = FloatVector.fromArray(F, out, 16 * a), y = FloatVector.fromArray(F, out, 16 * b);
        return x.blend(y, TAKE8).add(x.rearrange(SWAP8).blend(y.rearrange(SWAP8), TAKE8));
    }

    private static VectorMask<Float> take(int k) {
        return SIXTEEN ? VectorMask.fromLong(F, IntStream.range(0, 16).filter(i -> (i & k) != 0).mapToLong(i -> 1L << i).sum()) : null;
    }

    private static VectorShuffle<Float> swap(int k) {
        return SIXTEEN ? VectorShuffle.fromOp(F, i -> i ^ k) : null;
    }
}
