package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

import java.util.stream.IntStream;

import static baleine.tensor.Species.F;

/**
 * {@link LaneFolds} for 8-lane vectors (AVX2): sums 4 or 8 accumulators of 8 lanes (stored one after the other)
 * into one vector. A pair folds at k as {@code x.blend(y, TAKEk).add(y.blend(x, TAKEk).rearrange(FOLDk))}, with
 * {@link VectorMath}'s lane swaps i ^ k: lanes with bit k set continue y's sum, the others x's, and lane i meets lane
 * i ^ k, as in {@link VectorMath#sumLanes}, so every sum keeps its bits. (AVX2 has no two-table permute, hence the second blend.)
 * The scalar folds these replace took 12% of a Qwen-shape Q8_0 prompt on AVX2. Written out, the accumulators
 * through the array, for the reason {@link LaneFolds} gives. Only for 8-lane vectors ({@link #EIGHT}).
 */
final class EightLaneFolds {
    static final boolean EIGHT = F.length() == 8;
    private static final VectorMask<Float> TAKE4 = take(4), TAKE2 = take(2), TAKE1 = take(1);
    /** After folding 8 accumulators pairwise at 4, 2, 1: accumulator r sits in lane reverse3(r). */
    private static final VectorShuffle<Float> EIGHT_IN_ORDER = EIGHT ? VectorShuffle.fromOp(F, r -> Integer.reverse(r) >>> 29) : null;
    /** After folding 4 accumulators pairwise at 4, 2 and the result at 1: accumulator r sits in lane 4 (r & 1) + 2 (r >> 1). */
    private static final VectorShuffle<Float> FOUR_IN_ORDER = EIGHT ? VectorShuffle.fromOp(F, r -> r < 4 ? 4 * (r & 1) + 2 * (r >> 1) : r) : null;

    private EightLaneFolds() {
    }

    /** {@code out[to .. to + 8)} = the lane sums of the 8 accumulators in {@code out[from .. from + 64)}. */
    static void sumEight(float[] out, int from, int to) {
        FloatVector a0 = FloatVector.fromArray(F, out, from), a1 = FloatVector.fromArray(F, out, from + 8);
        FloatVector a2 = FloatVector.fromArray(F, out, from + 16), a3 = FloatVector.fromArray(F, out, from + 24);
        FloatVector a4 = FloatVector.fromArray(F, out, from + 32), a5 = FloatVector.fromArray(F, out, from + 40);
        FloatVector a6 = FloatVector.fromArray(F, out, from + 48), a7 = FloatVector.fromArray(F, out, from + 56);
        FloatVector p0 = a0.blend(a1, TAKE4).add(a1.blend(a0, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector p1 = a2.blend(a3, TAKE4).add(a3.blend(a2, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector p2 = a4.blend(a5, TAKE4).add(a5.blend(a4, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector p3 = a6.blend(a7, TAKE4).add(a7.blend(a6, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector q0 = p0.blend(p1, TAKE2).add(p1.blend(p0, TAKE2).rearrange(VectorMath.FOLD2));
        FloatVector q1 = p2.blend(p3, TAKE2).add(p3.blend(p2, TAKE2).rearrange(VectorMath.FOLD2));
        FloatVector u = q0.blend(q1, TAKE1).add(q1.blend(q0, TAKE1).rearrange(VectorMath.FOLD1));
        u.rearrange(EIGHT_IN_ORDER).intoArray(out, to);
    }

    /** {@code out[o .. o + 4)} = the lane sums of the 4 accumulators in {@code out[o .. o + 32)}. */
    static void sumFour(float[] out, int o) {
        FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + 8);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 16), a3 = FloatVector.fromArray(F, out, o + 24);
        FloatVector p0 = a0.blend(a1, TAKE4).add(a1.blend(a0, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector p1 = a2.blend(a3, TAKE4).add(a3.blend(a2, TAKE4).rearrange(VectorMath.FOLD4));
        FloatVector q = p0.blend(p1, TAKE2).add(p1.blend(p0, TAKE2).rearrange(VectorMath.FOLD2));
        q.add(q.rearrange(VectorMath.FOLD1)).rearrange(FOUR_IN_ORDER).intoArray(out, o);
    }

    private static VectorMask<Float> take(int k) {
        return EIGHT ? VectorMask.fromLong(F, IntStream.range(0, 8).filter(i -> (i & k) != 0).mapToLong(i -> 1L << i).sum()) : null;
    }
}
