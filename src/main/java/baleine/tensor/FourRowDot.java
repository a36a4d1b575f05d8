package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Four rows, far apart in memory, times one vector: the matrix-vector product of decoding. One row at a
 * time is one stream of memory reads and leaves the core waiting on memory; four rows {@code stride}
 * bytes apart keep four streams in flight (about 1.7x the bytes per second of a single stream on a
 * 2-core AVX-512 machine), and each load of x serves four rows. Per row the operations are those of the
 * one-row kernels in {@link FusedDot}, in the same order, so results match them bit for bit.
 */
final class FourRowDot {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private FourRowDot() {
    }

    static boolean supports(GgmlType type) {
        return type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.BF16;
    }

    /** {@code out[k] = row(off + k * stride) . x[xOff .. xOff + n)} for k in 0..3. */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0(s, off, stride, x, xOff, n, out);
            case Q4_0 -> q4_0(s, off, stride, x, xOff, n, out);
            case BF16 -> bf16(s, off, stride, x, xOff, n, out);
            default -> throw new IllegalArgumentException("no four-row kernel for " + type);
        }
    }

    static void q8_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, o0 += 34, o1 += 34, o2 += 34, o3 += 34) {
            FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + b + j);
                b0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE).castShape(F, 0)).fma(xv, b0);
                b1 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE).castShape(F, 0)).fma(xv, b1);
                b2 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE).castShape(F, 0)).fma(xv, b2);
                b3 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE).castShape(F, 0)).fma(xv, b3);
            }
            a0 = b0.fma(scale(s, o0), a0);
            a1 = b1.fma(scale(s, o1), a1);
            a2 = b2.fma(scale(s, o2), a2);
            a3 = b3.fma(scale(s, o3), a3);
        }
        sums(a0, a1, a2, a3, out);
    }

    static void q4_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, o0 += 18, o1 += 18, o2 += 18, o3 += 18) {
            FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
            for (int j = 0; j < 16; j += F.length()) {
                FloatVector xl = FloatVector.fromArray(F, x, xOff + b + j), xh = FloatVector.fromArray(F, x, xOff + b + 16 + j);
                ByteVector p0 = ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE);
                ByteVector p1 = ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE);
                ByteVector p2 = ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE);
                ByteVector p3 = ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE);
                b0 = high(p0).fma(xh, low(p0).fma(xl, b0));
                b1 = high(p1).fma(xh, low(p1).fma(xl, b1));
                b2 = high(p2).fma(xh, low(p2).fma(xl, b2));
                b3 = high(p3).fma(xh, low(p3).fma(xl, b3));
            }
            a0 = b0.fma(scale(s, o0), a0);
            a1 = b1.fma(scale(s, o1), a1);
            a2 = b2.fma(scale(s, o2), a2);
            a3 = b3.fma(scale(s, o3), a3);
        }
        sums(a0, a1, a2, a3, out);
    }

    static void bf16(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = bf16(s, o0 + 2L * i).fma(xv, a0);
            a1 = bf16(s, o1 + 2L * i).fma(xv, a1);
            a2 = bf16(s, o2 + 2L * i).fma(xv, a2);
            a3 = bf16(s, o3 + 2L * i).fma(xv, a3);
        }
        sums(a0, a1, a2, a3, out);
        for (int k = 0; k < 4; k++) {
            long o = off + k * stride;
            for (int t = i; t < n; t++) {
                out[k] += Float.intBitsToFloat((s.get(Le.I16, o + 2L * t) & 0xFFFF) << 16) * x[xOff + t];
            }
        }
    }

    private static FloatVector bf16(MemorySegment s, long off) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, s, off, LE).castShape(I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector low(ByteVector packed) {
        return (FloatVector) packed.and((byte) 0x0F).sub((byte) 8).castShape(F, 0);
    }

    private static FloatVector high(ByteVector packed) {
        return (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8).castShape(F, 0);
    }

    /** The block's float16 scale, in every lane. */
    private static FloatVector scale(MemorySegment s, long blockOff) {
        return FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, blockOff)));
    }

    private static void sums(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] out) {
        out[0] = VectorMath.sumLanes(a0);
        out[1] = VectorMath.sumLanes(a1);
        out[2] = VectorMath.sumLanes(a2);
        out[3] = VectorMath.sumLanes(a3);
    }
}
