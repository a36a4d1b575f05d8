package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;
import static baleine.tensor.Species.S;

/**
 * 16-bit floats kept in {@code short}s: IEEE half precision (f16: 5 exponent bits, 10 mantissa bits) or bfloat16
 * (bf16: the upper half of a float, 8 exponent bits, 7 mantissa bits). Stored rounded to nearest, ties to even;
 * read back exactly. The vector reads have scalar twins ({@link #toFloat}) that the tests compare them with.
 */
public final class Halves {
    private static final VectorSpecies<Short> WIDE = ShortVector.SPECIES_PREFERRED;

    private Halves() {
    }

    /** The 16-bit formats. */
    public enum Format {
        F16, BF16
    }

    /** {@code v} rounded to the nearest value of the format (ties to even), as its bits. */
    public static short fromFloat(Format format, float v) {
        if (format == Format.F16) {
            return Float.floatToFloat16(v);
        }
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40); // stays a NaN (quiet) whatever its low bits were
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    public static float toFloat(Format format, short h) {
        return format == Format.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat(h << 16);
    }

    /** {@code dst[dOff + i] = v[off + i]} rounded to the format, i < n. */
    public static void fromFloats(Format format, float[] v, int off, short[] dst, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = fromFloat(format, v[off + i]);
        }
    }

    /** {@code dst[dOff + i] = src[off + i]} as floats, i < n. */
    public static void toFloats(Format format, short[] src, int off, float[] dst, int dOff, int n) {
        int i = 0;
        if (Species.FUSED) {
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                IntVector h = (IntVector) ShortVector.fromArray(S, src, off + i).convertShape(VectorOperators.S2I, I, 0); // sign-extended
                FloatVector f = format == Format.F16 ? halfBits(h) : h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                f.intoArray(dst, dOff + i);
            }
        }
        for (; i < n; i++) {
            dst[dOff + i] = toFloat(format, src[off + i]);
        }
    }

    /**
     * Lane-wise IEEE half to float, exactly: {@link #finiteHalfBits}, with exponent 31 (infinity, NaN) given the
     * float's all-ones exponent instead. Eight vector operations.
     */
    static FloatVector halfBits(IntVector h) {
        IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
        IntVector finite = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        return finite.blend(bits.or(0x7F800000), h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00)).reinterpretAsFloats();
    }

    /**
     * Lane-wise IEEE half to float, exactly for every finite half: its bits (sign-extended into int lanes) shifted
     * so that its 5 exponent and 10 mantissa bits land at the float's bits 13..27, its sign on the float's sign, read
     * as 2^-112 times its value (normals and subnormals alike; the multiplication by 2^112 is exact). Infinities and
     * NaNs read as finite values of magnitude 2^16 to 2^17 ({@link #hasNonFinite} finds them). Four operations
     * with the widening load, against {@link #halfBits}' eight: F16 weights' kernels use this one.
     */
    static FloatVector finiteHalfBits(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
    }

    /** Whether the halves {@code [off, off + 2 count)} of {@code s} hold an infinity or a NaN: a magnitude of 0x7C00 or more. */
    static boolean hasNonFinite(MemorySegment s, long off, int count) {
        ShortVector max = ShortVector.zero(WIDE);
        int i = 0;
        for (; i + WIDE.length() <= count; i += WIDE.length()) {
            max = ShortVector.fromMemorySegment(WIDE, s, off + 2L * i, ByteOrder.LITTLE_ENDIAN).and((short) 0x7FFF).max(max); // receiver: see VectorMath.softmax
        }
        int largest = max.reduceLanes(VectorOperators.MAX);
        for (; i < count; i++) {
            largest = Math.max(largest, s.get(Le.I16, off + 2L * i) & 0x7FFF);
        }
        return largest >= 0x7C00;
    }
}
