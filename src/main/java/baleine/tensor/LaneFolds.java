package baleine.tensor;

import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

import java.util.stream.IntStream;

import static baleine.tensor.Species.F;

/**
 * Constants for summing several accumulators of a 16-lane kernel into one vector. A pair of accumulators
 * folds as {@code x.blend(y, TAKEk).add(x.rearrange(SWAPk).blend(y.rearrange(SWAPk), TAKEk))}: lanes with
 * bit k set continue y's sum, the others x's, and lane i meets lane i ^ k as in
 * {@link VectorMath#sumLanes}, so every sum keeps its bits. Null unless vectors hold 16 floats.
 */
final class LaneFolds {
    static final boolean SIXTEEN = F.length() == 16;
    static final VectorMask<Float> TAKE8 = take(8), TAKE4 = take(4), TAKE2 = take(2), TAKE1 = take(1);
    static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);
    /** After folding 16 accumulators pairwise at 8, 4, 2, 1: accumulator r sits in lane reverse4(r). */
    static final VectorShuffle<Float> SIXTEEN_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> Integer.reverse(r) >>> 28) : null;
    /** After folding 4 accumulators pairwise at 8, 4 and each result at 2, 1: accumulator r sits in lane 8 (r & 1) + 4 (r >> 1). */
    static final VectorShuffle<Float> FOUR_IN_ORDER = SIXTEEN ? VectorShuffle.fromOp(F, r -> r < 4 ? 8 * (r & 1) + 4 * (r >> 1) : r) : null;

    private LaneFolds() {
    }

    private static VectorMask<Float> take(int k) {
        return SIXTEEN ? VectorMask.fromLong(F, IntStream.range(0, 16).filter(i -> (i & k) != 0).mapToLong(i -> 1L << i).sum()) : null;
    }

    private static VectorShuffle<Float> swap(int k) {
        return SIXTEEN ? VectorShuffle.fromOp(F, i -> i ^ k) : null;
    }
}
