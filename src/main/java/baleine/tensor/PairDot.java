package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;

/**
 * Eight rows, far apart in memory, times two vectors: {@link EightRowDot} for a batch of two (two sequences
 * decoding together, or a sampled token and one drafted after it). Each weight chunk is converted once for both
 * vectors and the eight memory streams of decoding stay in flight, where a 4x4 {@link TileDot} would multiply
 * two vectors of padding and keep four streams. Per row and vector the operations are those of the one-row
 * kernel, so results match it bit for bit. Written out, as the other multi-row kernels are.
 */
final class PairDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PairDot() {
    }

    static boolean supports(GgmlType type) {
        return EightRowDot.supports(type);
    }

    /** {@code out[k] = row(off + k * stride) . x0} and {@code out[8 + k] = row(off + k * stride) . x1}, k in 0..7. */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0(s, off, stride, x0, x1, xOff, n, out);
            case Q4_0 -> q4_0(s, off, stride, x0, x1, xOff, n, out);
            default -> throw new IllegalArgumentException("no two-vector kernel for " + type);
        }
    }

    static void q8_0(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        long o4 = off + 4 * stride, o5 = off + 5 * stride, o6 = off + 6 * stride, o7 = off + 7 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in EightRowDot.q8_0
            long at = 34L * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0 + at)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at)));
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at)));
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at)));
            FloatVector d4 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o4 + at)));
            FloatVector d5 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o5 + at)));
            FloatVector d6 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o6 + at)));
            FloatVector d7 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o7 + at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector u = FloatVector.fromArray(F, x0, xOff + 32 * k + j), v = FloatVector.fromArray(F, x1, xOff + 32 * k + j);
                long p = at + 2 + j;
                FloatVector w;
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o0 + p, LE).castShape(F, 0)).mul(d0);
                a0 = w.fma(u, a0);
                b0 = w.fma(v, b0);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o1 + p, LE).castShape(F, 0)).mul(d1);
                a1 = w.fma(u, a1);
                b1 = w.fma(v, b1);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o2 + p, LE).castShape(F, 0)).mul(d2);
                a2 = w.fma(u, a2);
                b2 = w.fma(v, b2);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o3 + p, LE).castShape(F, 0)).mul(d3);
                a3 = w.fma(u, a3);
                b3 = w.fma(v, b3);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o4 + p, LE).castShape(F, 0)).mul(d4);
                a4 = w.fma(u, a4);
                b4 = w.fma(v, b4);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o5 + p, LE).castShape(F, 0)).mul(d5);
                a5 = w.fma(u, a5);
                b5 = w.fma(v, b5);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o6 + p, LE).castShape(F, 0)).mul(d6);
                a6 = w.fma(u, a6);
                b6 = w.fma(v, b6);
                w = ((FloatVector) ByteVector.fromMemorySegment(B, s, o7 + p, LE).castShape(F, 0)).mul(d7);
                a7 = w.fma(u, a7);
                b7 = w.fma(v, b7);
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, 1 * VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        a4.intoArray(out, 4 * VectorMath.LANES);
        a5.intoArray(out, 5 * VectorMath.LANES);
        a6.intoArray(out, 6 * VectorMath.LANES);
        a7.intoArray(out, 7 * VectorMath.LANES);
        b0.intoArray(out, 8 * VectorMath.LANES);
        b1.intoArray(out, 9 * VectorMath.LANES);
        b2.intoArray(out, 10 * VectorMath.LANES);
        b3.intoArray(out, 11 * VectorMath.LANES);
        b4.intoArray(out, 12 * VectorMath.LANES);
        b5.intoArray(out, 13 * VectorMath.LANES);
        b6.intoArray(out, 14 * VectorMath.LANES);
        b7.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
    }

    /** Q4_0 as {@link EightRowDot#q4_0}: low nibbles' product added first, then the high ones'. */
    static void q4_0(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        long o4 = off + 4 * stride, o5 = off + 5 * stride, o6 = off + 6 * stride, o7 = off + 7 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            long at = 18L * k;
            for (int j = 0; j < 16; j += F.length()) {
                int c = xOff + 32 * k + j;
                FloatVector ul = FloatVector.fromArray(F, x0, c), uh = FloatVector.fromArray(F, x0, c + 16);
                FloatVector vl = FloatVector.fromArray(F, x1, c), vh = FloatVector.fromArray(F, x1, c + 16);
                FloatVector d, lo, hi;
                IntVector q;
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a0 = hi.fma(uh, lo.fma(ul, a0));
                b0 = hi.fma(vh, lo.fma(vl, b0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a1 = hi.fma(uh, lo.fma(ul, a1));
                b1 = hi.fma(vh, lo.fma(vl, b1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a2 = hi.fma(uh, lo.fma(ul, a2));
                b2 = hi.fma(vh, lo.fma(vl, b2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a3 = hi.fma(uh, lo.fma(ul, a3));
                b3 = hi.fma(vh, lo.fma(vl, b3));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o4 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o4 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a4 = hi.fma(uh, lo.fma(ul, a4));
                b4 = hi.fma(vh, lo.fma(vl, b4));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o5 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o5 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a5 = hi.fma(uh, lo.fma(ul, a5));
                b5 = hi.fma(vh, lo.fma(vl, b5));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o6 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o6 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a6 = hi.fma(uh, lo.fma(ul, a6));
                b6 = hi.fma(vh, lo.fma(vl, b6));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o7 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o7 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                if (FusedDot.NIBBLE_LOOKUP) {
                    IntVector t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                } else {
                    lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                    hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                }
                a7 = hi.fma(uh, lo.fma(ul, a7));
                b7 = hi.fma(vh, lo.fma(vl, b7));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, 1 * VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        a4.intoArray(out, 4 * VectorMath.LANES);
        a5.intoArray(out, 5 * VectorMath.LANES);
        a6.intoArray(out, 6 * VectorMath.LANES);
        a7.intoArray(out, 7 * VectorMath.LANES);
        b0.intoArray(out, 8 * VectorMath.LANES);
        b1.intoArray(out, 9 * VectorMath.LANES);
        b2.intoArray(out, 10 * VectorMath.LANES);
        b3.intoArray(out, 11 * VectorMath.LANES);
        b4.intoArray(out, 12 * VectorMath.LANES);
        b5.intoArray(out, 13 * VectorMath.LANES);
        b6.intoArray(out, 14 * VectorMath.LANES);
        b7.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
    }
}
