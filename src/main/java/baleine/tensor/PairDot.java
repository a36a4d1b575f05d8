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
 * vectors and the eight memory streams of decoding stay in flight (Q4_0: four, see {@link #q4_0}), where a 4x4
 * {@link TileDot} would multiply two vectors of padding and keep four streams. Per row and vector the operations are
 * those of the one-row kernel, so results match it bit for bit. Written out, as the other multi-row kernels are.
 */
final class PairDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PairDot() {
    }

    /** Whether the kernels take a batch of two for this type. */
    static boolean supports(GgmlType type) {
        return EightRowDot.supports(type);
    }

    /** {@code out[8 v + k] = row(off + k * stride) . x[v]} for k in 0..7 and v in 0..1. */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[][] x, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0x2(s, off, stride, x[0], x[1], xOff, n, out);
            case Q4_0 -> { // two halves of four rows: all eight in one method are more than C1 compiles (see q4_0)
                q4_0(s, off, stride, x, xOff, n, out, 0);
                q4_0(s, off + 4 * stride, stride, x, xOff, n, out, 4);
            }
            default -> throw new IllegalArgumentException("no two-vector kernel for " + type);
        }
    }

    /**
     * Rows k in 0..3 from {@code off}, their sums put at {@code out[8 v + first + k]}. Four rows at a time: written
     * out for eight (16 accumulators and eight lookups a step), C1 gives up on the method ("out of virtual registers"),
     * and where the JIT had compiled it at tier 2 first, under a long C2 queue, it then stayed there, its vectors boxed
     * (a V2-Lite batch of two decoded at a few tokens a minute in 2 of ~8 runs); four rows compile at every tier.
     */
    private static void q4_0(MemorySegment s, long off, long stride, float[][] x, int xOff, int n, float[] out, int first) {
        int base = 8 * VectorMath.LANES; // the eight accumulators after the sixteen results
        if (FusedDot.NIBBLE_LOOKUP) {
            q4_0x2Lookup(s, off, stride, x[0], x[1], xOff, n, out, base);
        } else {
            q4_0x2Convert(s, off, stride, x[0], x[1], xOff, n, out, base);
        }
        System.arraycopy(out, base, out, first, 4);
        System.arraycopy(out, base + 4, out, 8 + first, 4);
    }

    static void q8_0x2(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
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
                int c = xOff + 32 * k + j;
                FloatVector u = FloatVector.fromArray(F, x0, c), v = FloatVector.fromArray(F, x1, c);
                long p = at + 2 + j;
                FloatVector q;
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o0 + p, LE).castShape(F, 0)).mul(d0);
                a0 = q.fma(u, a0); b0 = q.fma(v, b0);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o1 + p, LE).castShape(F, 0)).mul(d1);
                a1 = q.fma(u, a1); b1 = q.fma(v, b1);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o2 + p, LE).castShape(F, 0)).mul(d2);
                a2 = q.fma(u, a2); b2 = q.fma(v, b2);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o3 + p, LE).castShape(F, 0)).mul(d3);
                a3 = q.fma(u, a3); b3 = q.fma(v, b3);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o4 + p, LE).castShape(F, 0)).mul(d4);
                a4 = q.fma(u, a4); b4 = q.fma(v, b4);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o5 + p, LE).castShape(F, 0)).mul(d5);
                a5 = q.fma(u, a5); b5 = q.fma(v, b5);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o6 + p, LE).castShape(F, 0)).mul(d6);
                a6 = q.fma(u, a6); b6 = q.fma(v, b6);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, s, o7 + p, LE).castShape(F, 0)).mul(d7);
                a7 = q.fma(u, a7); b7 = q.fma(v, b7);
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

    /** Q4_0 as {@link EightRowDot#q4_0}, its 16 values looked up by nibble (16 lanes): low nibbles' product added first. */
    private static void q4_0x2Lookup(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int base) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            long at = 18L * k;
            for (int j = 0; j < 16; j += F.length()) {
                int c = xOff + 32 * k + j;
                FloatVector ul = FloatVector.fromArray(F, x0, c), uh = FloatVector.fromArray(F, x0, c + 16);
                FloatVector vl = FloatVector.fromArray(F, x1, c), vh = FloatVector.fromArray(F, x1, c + 16);
                FloatVector d, lo, hi;
                IntVector q, t;
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a0 = hi.fma(uh, lo.fma(ul, a0));
                b0 = hi.fma(vh, lo.fma(vl, b0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a1 = hi.fma(uh, lo.fma(ul, a1));
                b1 = hi.fma(vh, lo.fma(vl, b1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a2 = hi.fma(uh, lo.fma(ul, a2));
                b2 = hi.fma(vh, lo.fma(vl, b2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                lo = q.and(0x0F).selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a3 = hi.fma(uh, lo.fma(ul, a3));
                b3 = hi.fma(vh, lo.fma(vl, b3));
            }
        }
        a0.intoArray(out, base);
        a1.intoArray(out, base + 1 * VectorMath.LANES);
        a2.intoArray(out, base + 2 * VectorMath.LANES);
        a3.intoArray(out, base + 3 * VectorMath.LANES);
        b0.intoArray(out, base + 4 * VectorMath.LANES);
        b1.intoArray(out, base + 5 * VectorMath.LANES);
        b2.intoArray(out, base + 6 * VectorMath.LANES);
        b3.intoArray(out, base + 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, base, 8);
    }

    /** Q4_0 as {@link EightRowDot#q4_0}, the nibbles converted (fewer than 16 lanes): low nibbles' product added first. */
    private static void q4_0x2Convert(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int base) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
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
                lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a0 = hi.fma(uh, lo.fma(ul, a0));
                b0 = hi.fma(vh, lo.fma(vl, b0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a1 = hi.fma(uh, lo.fma(ul, a1));
                b1 = hi.fma(vh, lo.fma(vl, b1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a2 = hi.fma(uh, lo.fma(ul, a2));
                b2 = hi.fma(vh, lo.fma(vl, b2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at)));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a3 = hi.fma(uh, lo.fma(ul, a3));
                b3 = hi.fma(vh, lo.fma(vl, b3));
            }
        }
        a0.intoArray(out, base);
        a1.intoArray(out, base + 1 * VectorMath.LANES);
        a2.intoArray(out, base + 2 * VectorMath.LANES);
        a3.intoArray(out, base + 3 * VectorMath.LANES);
        b0.intoArray(out, base + 4 * VectorMath.LANES);
        b1.intoArray(out, base + 5 * VectorMath.LANES);
        b2.intoArray(out, base + 6 * VectorMath.LANES);
        b3.intoArray(out, base + 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, base, 8);
    }
}
