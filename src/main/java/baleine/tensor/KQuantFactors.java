package baleine.tensor;

import baleine.tensor.quant.KQuantCodecs;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The per-sub-block factors of a K-quant super-block, decoded once per block and row for the fused kernels
 * (unpacking Q4_K's twelve packed 6-bit scales and mins inside the kernels took as many scalar operations as
 * the multiplications themselves). On 16-lane machines Q4_K's sixteen factors are formed together in one vector;
 * Q6_K's sixteen scales go in one or two vector steps.
 */
final class KQuantFactors {
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final boolean VECTOR = Species.I.length() == 16;
    // lane k: scale k (k < 8) or min k - 8; the byte holding its low bits, their shift and mask, and the byte
    // whose top two bits are its bits 4 and 5 (scales and mins 4..7 only)
    private static final VectorShuffle<Integer> LOW_BYTE = VECTOR ? VectorShuffle.fromValues(I16, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11) : null;
    private static final IntVector LOW_SHIFT = VECTOR ? IntVector.fromArray(I16, new int[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0) : null;
    private static final IntVector LOW_MASK = VECTOR ? IntVector.fromArray(I16, new int[]{63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0) : null;
    private static final VectorShuffle<Integer> HIGH_BYTE = VECTOR ? VectorShuffle.fromValues(I16, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7) : null;
    private static final IntVector HIGH_MASK = VECTOR ? IntVector.fromArray(I16, new int[]{0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0) : null;
    private static final VectorMask<Float> MINS = VECTOR ? VectorMask.fromLong(FloatVector.SPECIES_512, 0xFF00L) : null;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[128]);

    private KQuantFactors() {
    }

    /** Room for the factors of four rows' super-blocks (128 floats), per thread. */
    static float[] scratch() {
        return SCRATCH.get();
    }

    /**
     * Q4_K and Q5_K (the same header: d, dmin, twelve bytes of packed 6-bit scales and mins): {@code d * scale_j}
     * for sub-block j at {@code dst[o + j]} and {@code -dmin * min_j} at {@code dst[o + 8 + j]},
     * so a sub-block's value is {@code fma(q, dst[o + j], dst[o + 8 + j])}.
     */
    static void sixBitScales(MemorySegment s, long block, float[] dst, int o) {
        float d = Float.float16ToFloat(s.get(Le.I16, block)), dmin = Float.float16ToFloat(s.get(Le.I16, block + 2));
        if (VECTOR) {
            IntVector packed = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, s, block + 4, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I16, 0);
            IntVector low = packed.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(LOW_MASK);
            IntVector high = packed.rearrange(HIGH_BYTE).lanewise(VectorOperators.ASHR, 2).and(HIGH_MASK);
            FloatVector factor = FloatVector.broadcast(FloatVector.SPECIES_512, d).blend(-dmin, MINS);
            ((FloatVector) low.or(high).convertShape(VectorOperators.I2F, FloatVector.SPECIES_512, 0)).mul(factor).intoArray(dst, o);
            return;
        }
        long first8 = s.get(Le.I64, block + 4);
        int last4 = s.get(Le.I32, block + 12);
        for (int j = 0; j < 8; j++) {
            dst[o + j] = d * KQuantCodecs.scale(first8, last4, j);
            dst[o + 8 + j] = -dmin * KQuantCodecs.min(first8, last4, j);
        }
    }

    /**
     * Q6_K (sixteen 8-bit scales): {@code s_j = d * scale_j} for sub-block j at {@code dst[o + j]} and {@code -32 s_j} at {@code dst[o + 16 + j]},
     * so a sub-block's value is {@code fma(q, dst[o + j], dst[o + 16 + j])} = {@code (q - 32) s_j} (exact, rounded once).
     */
    static void eightBitScales(MemorySegment s, long block, float[] dst, int o) {
        float d = Float.float16ToFloat(s.get(Le.I16, block + 208));
        if (Species.FUSED && 16 % Species.F.length() == 0) {
            // 16 or 8 lanes: one or two steps (the scalar loop took a sixth of Q6_K decoding on AVX2; Qwen-shape Q6_K
            // decoding there, one thread: 8.1 / 8.3 -> 8.6 / 10.0 tok/s, side by side)
            for (int j = 0; j < 16; j += Species.F.length()) {
                FloatVector factors = ((FloatVector) ByteVector.fromMemorySegment(Species.B, s, block + 192 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, Species.F, 0)).mul(d);
                factors.intoArray(dst, o + j);
                factors.mul(-32f).intoArray(dst, o + 16 + j);
            }
            return;
        }
        for (int j = 0; j < 16; j++) {
            float f = d * s.get(Le.I8, block + 192 + j);
            dst[o + j] = f;
            dst[o + 16 + j] = -32 * f;
        }
    }
}
