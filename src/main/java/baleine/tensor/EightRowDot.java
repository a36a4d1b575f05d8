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
 * Eight rows, far apart in memory, times one vector: {@link FourRowDot} with twice the memory streams in
 * flight, for Q8_0 and Q4_0, whose rows are converted cheaply enough that decoding waits on memory
 * (V2-Lite-shape Q8_0 decode: +19% with two threads, +14% with one, against four rows). Per row the
 * operations are those of the one-row kernel, so results match it bit for bit.
 */
final class EightRowDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private EightRowDot() {
    }

    static boolean supports(GgmlType type) {
        return Species.FUSED && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0);
    }

    /** {@code out[k] = row(off + k * stride) . x[xOff .. xOff + n)} for k in 0..7. */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0(s, off, stride, x, xOff, n, out);
            case Q4_0 -> q4_0(s, off, stride, x, xOff, n, out);
            default -> throw new IllegalArgumentException("no eight-row kernel for " + type);
        }
    }

    static void q8_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        if (F.length() == 16) {
            q8_0Wide(s, off, stride, x, xOff, n, out);
            return;
        }
        long rowBytes = 34L * (n / 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        MemorySegment r4 = s.asSlice(off + 4 * stride, rowBytes), r5 = s.asSlice(off + 5 * stride, rowBytes), r6 = s.asSlice(off + 6 * stride, rowBytes), r7 = s.asSlice(off + 7 * stride, rowBytes);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        // every row through a slice of exactly its bytes, each address in it a multiple of the block index plus a
        // constant: C2 then proves the loads in bounds (running offsets per row, bumped each step, kept a check on
        // every load and spilled the offsets; fixed offsets into the whole matrix set up a check per load at every
        // call: Qwen-shape Q8_0 decoding on AVX2 +30% with the slices, one JVM).
        // Within a block row by row, each scale used as soon as it is formed: with all eight scales formed first, the
        // eight scales and eight sums took all sixteen registers of AVX2 and spilled (Qwen-shape Q8_0 decoding on AVX2,
        // one thread: 10.4 / 14.3 -> 18.7 / 26.4 tok/s, side by side; AVX-512, 1408-16384 rows x 2048: 0.94-1.01x the time)
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            long at = 34L * k;
            int xb = xOff + 32 * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(FloatVector.fromArray(F, x, xb + j), a0);
            }
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(FloatVector.fromArray(F, x, xb + j), a1);
            }
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(r2.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B, r2, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(FloatVector.fromArray(F, x, xb + j), a2);
            }
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(r3.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B, r3, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(FloatVector.fromArray(F, x, xb + j), a3);
            }
            FloatVector d4 = FloatVector.broadcast(F, Float.float16ToFloat(r4.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a4 = ((FloatVector) ByteVector.fromMemorySegment(B, r4, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d4).fma(FloatVector.fromArray(F, x, xb + j), a4);
            }
            FloatVector d5 = FloatVector.broadcast(F, Float.float16ToFloat(r5.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a5 = ((FloatVector) ByteVector.fromMemorySegment(B, r5, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d5).fma(FloatVector.fromArray(F, x, xb + j), a5);
            }
            FloatVector d6 = FloatVector.broadcast(F, Float.float16ToFloat(r6.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a6 = ((FloatVector) ByteVector.fromMemorySegment(B, r6, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d6).fma(FloatVector.fromArray(F, x, xb + j), a6);
            }
            FloatVector d7 = FloatVector.broadcast(F, Float.float16ToFloat(r7.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                a7 = ((FloatVector) ByteVector.fromMemorySegment(B, r7, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d7).fma(FloatVector.fromArray(F, x, xb + j), a7);
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        a4.intoArray(out, 4 * VectorMath.LANES);
        a5.intoArray(out, 5 * VectorMath.LANES);
        a6.intoArray(out, 6 * VectorMath.LANES);
        a7.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * {@link #q8_0} with 512-bit vectors (a block is two): the block's two activation vectors loaded once for the eight
     * rows. Written per row they were loaded eight times (C2 did not merge the heap loads across the weights' loads
     * from native memory); the same operations otherwise. The bytes are widened by {@code convertShape(B2F)}, not
     * {@code castShape}, which looks the conversion up in a call C2 must inline at each of the sixteen uses: after a
     * prompt it left one out of line (every vector spilled around it, decoding 59 -> 40 tok/s). Each row is read
     * through a slice of exactly its bytes, indexed from 0: with the rows as offsets into the whole matrix C2 set up a
     * long bounds check per load and offset at every call (one-token forwards in one JVM, 300 pairs: V2-Lite shape
     * Q8_0 +16%, Qwen shape +19%).
     */
    private static void q8_0Wide(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long rowBytes = 34L * (n / 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        MemorySegment r4 = s.asSlice(off + 4 * stride, rowBytes), r5 = s.asSlice(off + 5 * stride, rowBytes), r6 = s.asSlice(off + 6 * stride, rowBytes), r7 = s.asSlice(off + 7 * stride, rowBytes);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in q8_0
            long at = 34L * k;
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + 32 * k), x1 = FloatVector.fromArray(F, x, xOff + 32 * k + 16);
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(x0, a0);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(x1, a0);
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(x0, a1);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(x1, a1);
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(r2.get(Le.I16, at)));
            a2 = ((FloatVector) ByteVector.fromMemorySegment(B, r2, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(x0, a2);
            a2 = ((FloatVector) ByteVector.fromMemorySegment(B, r2, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(x1, a2);
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(r3.get(Le.I16, at)));
            a3 = ((FloatVector) ByteVector.fromMemorySegment(B, r3, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(x0, a3);
            a3 = ((FloatVector) ByteVector.fromMemorySegment(B, r3, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(x1, a3);
            FloatVector d4 = FloatVector.broadcast(F, Float.float16ToFloat(r4.get(Le.I16, at)));
            a4 = ((FloatVector) ByteVector.fromMemorySegment(B, r4, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d4).fma(x0, a4);
            a4 = ((FloatVector) ByteVector.fromMemorySegment(B, r4, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d4).fma(x1, a4);
            FloatVector d5 = FloatVector.broadcast(F, Float.float16ToFloat(r5.get(Le.I16, at)));
            a5 = ((FloatVector) ByteVector.fromMemorySegment(B, r5, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d5).fma(x0, a5);
            a5 = ((FloatVector) ByteVector.fromMemorySegment(B, r5, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d5).fma(x1, a5);
            FloatVector d6 = FloatVector.broadcast(F, Float.float16ToFloat(r6.get(Le.I16, at)));
            a6 = ((FloatVector) ByteVector.fromMemorySegment(B, r6, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d6).fma(x0, a6);
            a6 = ((FloatVector) ByteVector.fromMemorySegment(B, r6, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d6).fma(x1, a6);
            FloatVector d7 = FloatVector.broadcast(F, Float.float16ToFloat(r7.get(Le.I16, at)));
            a7 = ((FloatVector) ByteVector.fromMemorySegment(B, r7, at + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d7).fma(x0, a7);
            a7 = ((FloatVector) ByteVector.fromMemorySegment(B, r7, at + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d7).fma(x1, a7);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        a4.intoArray(out, 4 * VectorMath.LANES);
        a5.intoArray(out, 5 * VectorMath.LANES);
        a6.intoArray(out, 6 * VectorMath.LANES);
        a7.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * Q4_0 as {@link FourRowDot#q4_0}: per row the nibbles' values (q - 8) d formed as fma(q, d, -8d), or on 16
     * lanes looked up ({@link FusedDot#NIBBLE_LOOKUP}: Qwen-shape Q4_0 decoding +17%, V2-Lite shape +19%), low
     * nibbles' product added first. Written out: a helper called eight times per step gets its vectors boxed.
     */
    static void q4_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        long o4 = off + 4 * stride, o5 = off + 5 * stride, o6 = off + 6 * stride, o7 = off + 7 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int b = 0; b < n; b += 32, o0 += 18, o1 += 18, o2 += 18, o3 += 18, o4 += 18, o5 += 18, o6 += 18, o7 += 18) {
            for (int j = 0; j < 16; j += F.length()) {
                FloatVector xl = FloatVector.fromArray(F, x, xOff + b + j), xh = FloatVector.fromArray(F, x, xOff + b + 16 + j);
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0)));
                IntVector t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a0 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a1 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a2 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a3 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a3));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o4)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o4 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a4 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a4));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o5)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o5 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a5 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a5));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o6)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o6 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a6 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a6));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o7)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o7 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a7 = (FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xh,
                        (FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f))).fma(xl, a7));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        a4.intoArray(out, 4 * VectorMath.LANES);
        a5.intoArray(out, 5 * VectorMath.LANES);
        a6.intoArray(out, 6 * VectorMath.LANES);
        a7.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }
}
