package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;
import static baleine.tensor.Species.S;

/**
 * Decoding's rows, far apart in memory, times two vectors, for a batch of two (two sequences decoding together,
 * or a sampled token and one drafted after it): Q8_0 eight rows as {@link EightRowDot}, Q4_0 eight in two halves
 * of four (see {@link #q4_0}), Q4_K, Q5_K, Q6_K, BF16 and F16 four as {@link FourRowDot} (Q6_K is the head and
 * some down projections of a Q4_K_M or Q5_K_M file; BF16 and F16 are unquantized checkpoints), Q4_1 / Q5_0 / Q5_1
 * four as {@link LegacyBlockDot} (Q5_0: the down projections llama.cpp writes where Q4_K blocks do not fit). Each weight chunk
 * is converted once for both vectors, where a 4x4 {@link TileDot} would multiply two vectors of padding over four
 * streams, and the types without tiles took one row at a time. Per row and vector the operations are those of the
 * one-row kernel, so results match it bit for bit. Written out, as the other multi-row kernels are.
 */
final class PairDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PairDot() {
    }

    /** Whether the kernels take a batch of two for this type. */
    static boolean supports(GgmlType type) {
        return EightRowDot.supports(type) || Species.FUSED && switch (type) {
            case Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, BF16, F16 -> true;
            default -> false;
        };
    }

    /**
     * {@code out[k] = row(off + k * stride) . x0} and {@code out[R + k] = row(off + k * stride) . x1} for k below R,
     * the rows the type's decoding reads side by side ({@link BlockWeight#streams()}: 8 for Q8_0 and Q4_0, else 4).
     */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> {
                if (F.length() < 16) { // two halves of four rows: eight rows' sixteen sums spill AVX2's sixteen registers
                    q8_0(s, off, stride, x0, x1, xOff, n, out, 0);
                    q8_0(s, off + 4 * stride, stride, x0, x1, xOff, n, out, 4);
                } else {
                    q8_0x2(s, off, stride, x0, x1, xOff, n, out);
                }
            }
            case Q4_0 -> { // two halves of four rows: all eight in one method are more than C1 compiles (see q4_0)
                q4_0(s, off, stride, x0, x1, xOff, n, out, 0);
                q4_0(s, off + 4 * stride, stride, x0, x1, xOff, n, out, 4);
            }
            case Q4_1, Q5_0, Q5_1 -> LegacyBlockDot.fourRowsPair(type, s, off, stride, x0, x1, xOff, n, out);
            case Q4_K -> {
                if (SuperBlockDot.pairReady(type)) {
                    SuperBlockDot.q4_kPair(s, off, stride, x0, x1, xOff, n, out);
                } else {
                    q4_k(s, off, stride, x0, x1, xOff, n, out);
                }
            }
            case Q5_K -> q5_k(s, off, stride, x0, x1, xOff, n, out);
            case Q6_K -> q6_k(s, off, stride, x0, x1, xOff, n, out, SuperBlockDot.pairReady(type));
            case BF16 -> bf16(s, off, stride, x0, x1, xOff, n, out);
            case F16 -> f16(s, off, stride, x0, x1, xOff, n, out);
            default -> throw new IllegalArgumentException("no two-vector kernel for " + type);
        }
    }

    /**
     * Rows k in 0..3 from {@code off}, their sums put at {@code out[8 v + first + k]}. Four rows at a time: written
     * out for eight (16 accumulators and eight lookups a step), C1 gives up on the method ("out of virtual registers"),
     * and where the JIT had compiled it at tier 2 first, under a long C2 queue, it then stayed there, its vectors boxed
     * (a V2-Lite batch of two decoded at a few tokens a minute in 2 of ~8 runs); four rows compile at every tier.
     */
    private static void q4_0(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int first) {
        int base = 8 * VectorMath.LANES; // the eight accumulators after the sixteen results
        if (FusedDot.NIBBLE_LOOKUP) {
            q4_0x2(s, off, stride, x0, x1, xOff, n, out, base);
        } else {
            q4_0x2Converted(s, off, stride, x0, x1, xOff, n, out, base);
        }
        placeFourRows(out, base, first);
    }

    /** Four rows' sums with x0 and x1, left at {@code out[base ..]}, moved to {@code out[first ..]} and {@code out[8 + first ..]}. */
    private static void placeFourRows(float[] out, int base, int first) {
        System.arraycopy(out, base, out, first, 4);
        System.arraycopy(out, base + 4, out, 8 + first, 4);
    }

    /**
     * Rows k in 0..3 from {@code off}, their sums put at {@code out[8 v + first + k]}, on fewer than 16 lanes:
     * {@link #q8_0x2}'s sixteen sums and eight scales spilled AVX2's sixteen registers (Qwen-shape Q8_0, two
     * sequences decoding together, one thread: 21.3 / 13.3 -> 35.2 / 24.2 tok/s, side by side). Within a block row by row, each scale used as soon
     * as formed; per sum the operations of {@link #q8_0x2}, in its order. Each row through a slice of exactly its
     * bytes, as in {@link EightRowDot#q8_0}: read at offsets into the whole matrix the loop spilled 50 times per 32
     * FMAs (Zen 3, two-token forwards in one JVM: Qwen-shape Q8_0 1.126 and 1.145, V2-Lite shape 1.106).
     */
    private static void q8_0(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int first) {
        int base = 8 * VectorMath.LANES; // the eight accumulators after the sixteen results
        long rowBytes = 34L * (n / 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes);
        MemorySegment r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in EightRowDot.q8_0
            long at = 34L * k;
            int c = xOff + 32 * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector q = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                a0 = q.fma(FloatVector.fromArray(F, x0, c + j), a0);
                b0 = q.fma(FloatVector.fromArray(F, x1, c + j), b0);
            }
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector q = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
                a1 = q.fma(FloatVector.fromArray(F, x0, c + j), a1);
                b1 = q.fma(FloatVector.fromArray(F, x1, c + j), b1);
            }
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(r2.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector q = ((FloatVector) ByteVector.fromMemorySegment(B, r2, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
                a2 = q.fma(FloatVector.fromArray(F, x0, c + j), a2);
                b2 = q.fma(FloatVector.fromArray(F, x1, c + j), b2);
            }
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(r3.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector q = ((FloatVector) ByteVector.fromMemorySegment(B, r3, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
                a3 = q.fma(FloatVector.fromArray(F, x0, c + j), a3);
                b3 = q.fma(FloatVector.fromArray(F, x1, c + j), b3);
            }
        }
        a0.intoArray(out, base);
        a1.intoArray(out, base + VectorMath.LANES);
        a2.intoArray(out, base + 2 * VectorMath.LANES);
        a3.intoArray(out, base + 3 * VectorMath.LANES);
        b0.intoArray(out, base + 4 * VectorMath.LANES);
        b1.intoArray(out, base + 5 * VectorMath.LANES);
        b2.intoArray(out, base + 6 * VectorMath.LANES);
        b3.intoArray(out, base + 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, base, 8);
        placeFourRows(out, base, first);
    }

    /**
     * Eight rows times two vectors (two sequences decoding together), each row through a slice of exactly its bytes as
     * in {@link EightRowDot#q8_0} (V2-Lite-shape Q8_0, two sequences: 86-87 -> 93-95 tok/s, three side-by-side pairs).
     */
    static void q8_0x2(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        long rowBytes = 34L * (n / 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        MemorySegment r4 = s.asSlice(off + 4 * stride, rowBytes), r5 = s.asSlice(off + 5 * stride, rowBytes), r6 = s.asSlice(off + 6 * stride, rowBytes), r7 = s.asSlice(off + 7 * stride, rowBytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in EightRowDot.q8_0
            long at = 34L * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(r2.get(Le.I16, at)));
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(r3.get(Le.I16, at)));
            FloatVector d4 = FloatVector.broadcast(F, Float.float16ToFloat(r4.get(Le.I16, at)));
            FloatVector d5 = FloatVector.broadcast(F, Float.float16ToFloat(r5.get(Le.I16, at)));
            FloatVector d6 = FloatVector.broadcast(F, Float.float16ToFloat(r6.get(Le.I16, at)));
            FloatVector d7 = FloatVector.broadcast(F, Float.float16ToFloat(r7.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                int c = xOff + 32 * k + j;
                FloatVector u = FloatVector.fromArray(F, x0, c), v = FloatVector.fromArray(F, x1, c);
                long p = at + 2 + j;
                FloatVector q;
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r0, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                a0 = q.fma(u, a0); b0 = q.fma(v, b0);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r1, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
                a1 = q.fma(u, a1); b1 = q.fma(v, b1);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r2, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
                a2 = q.fma(u, a2); b2 = q.fma(v, b2);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r3, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
                a3 = q.fma(u, a3); b3 = q.fma(v, b3);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r4, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d4);
                a4 = q.fma(u, a4); b4 = q.fma(v, b4);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r5, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d5);
                a5 = q.fma(u, a5); b5 = q.fma(v, b5);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r6, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d6);
                a6 = q.fma(u, a6); b6 = q.fma(v, b6);
                q = ((FloatVector) ByteVector.fromMemorySegment(B, r7, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d7);
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

    /**
     * Q4_0 as {@link EightRowDot#q4_0}, four rows: the nibbles' values (q - 8) d looked up on 16 lanes, else formed as
     * fma(q, d, -8d), low nibbles' product added first; the eight sums put at {@code out[base ..]}.
     */
    private static void q4_0x2(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int base) {
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
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a0 = hi.fma(uh, lo.fma(ul, a0));
                b0 = hi.fma(vh, lo.fma(vl, b0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at)));
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a1 = hi.fma(uh, lo.fma(ul, a1));
                b1 = hi.fma(vh, lo.fma(vl, b1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at)));
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.selectFrom(t).reinterpretAsFloats();
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats();
                a2 = hi.fma(uh, lo.fma(ul, a2));
                b2 = hi.fma(vh, lo.fma(vl, b2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at)));
                t = FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts();
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.selectFrom(t).reinterpretAsFloats();
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

    /**
     * {@link #q4_0x2} where the nibbles are converted, not looked up (fewer than 16 lanes): within a block row by row,
     * each row's d and -8d used as soon as formed (C2 otherwise kept the four rows' out of the step loop: with the
     * eight sums, past AVX2's sixteen registers; Qwen-shape Q4_0, two sequences decoding together, one thread:
     * 22.4 / 21.9 -> 30.1 / 29.8 tok/s, side by side). Per sum the operations of the one-row kernel, in its order.
     */
    private static void q4_0x2Converted(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int base) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = z, b1 = z, b2 = z, b3 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            long at = 18L * k;
            int c = xOff + 32 * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0 + at))), m0 = d0.mul(-8f);
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0);
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0);
                a0 = hi.fma(FloatVector.fromArray(F, x0, c + j + 16), lo.fma(FloatVector.fromArray(F, x0, c + j), a0));
                b0 = hi.fma(FloatVector.fromArray(F, x1, c + j + 16), lo.fma(FloatVector.fromArray(F, x1, c + j), b0));
            }
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1 + at))), m1 = d1.mul(-8f);
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1);
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1);
                a1 = hi.fma(FloatVector.fromArray(F, x0, c + j + 16), lo.fma(FloatVector.fromArray(F, x0, c + j), a1));
                b1 = hi.fma(FloatVector.fromArray(F, x1, c + j + 16), lo.fma(FloatVector.fromArray(F, x1, c + j), b1));
            }
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2 + at))), m2 = d2.mul(-8f);
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d2, m2);
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d2, m2);
                a2 = hi.fma(FloatVector.fromArray(F, x0, c + j + 16), lo.fma(FloatVector.fromArray(F, x0, c + j), a2));
                b2 = hi.fma(FloatVector.fromArray(F, x1, c + j + 16), lo.fma(FloatVector.fromArray(F, x1, c + j), b2));
            }
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3 + at))), m3 = d3.mul(-8f);
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d3, m3);
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d3, m3);
                a3 = hi.fma(FloatVector.fromArray(F, x0, c + j + 16), lo.fma(FloatVector.fromArray(F, x0, c + j), a3));
                b3 = hi.fma(FloatVector.fromArray(F, x1, c + j + 16), lo.fma(FloatVector.fromArray(F, x1, c + j), b3));
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

    /**
     * Q4_K, four rows (its decoding's {@link FourRowDot#q4_k}, whose order it keeps) times two vectors: the block
     * factors and the sixteen-value tables formed once for both.
     */
    static void q4_k(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        if (!FusedDot.NIBBLE_LOOKUP) {
            q4_kConverted(s, off, stride, x0, x1, xOff, n, out);
            return;
        }
        float[] k = KQuantFactors.scratch();
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int u = 0, steps = n / 64; u < steps; u++) { // addresses as in FourRowDot.q4_k
            int blk = u >> 2, c = u & 3, b = 256 * blk;
            long o0 = off + 144L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            if (c == 0) {
                for (int r = 0; r < 4; r++) {
                    KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
                }
            }
            int lo = 2 * c, hi = 2 * c + 1;
            IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
            IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
            IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
            IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
            IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
            IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
            IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
            IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
            for (int l = 0; l < 32; l += F.length()) {
                int i = xOff + b + 64 * c + l;
                long q = 16 + 32 * c + l;
                FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                IntVector v;
                FloatVector w, h;
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                w = v.selectFrom(l0).reinterpretAsFloats();
                h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats();
                a0 = h.fma(uh, w.fma(ul, a0));
                b0 = h.fma(vh, w.fma(vl, b0));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                w = v.selectFrom(l1).reinterpretAsFloats();
                h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats();
                a1 = h.fma(uh, w.fma(ul, a1));
                b1 = h.fma(vh, w.fma(vl, b1));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                w = v.selectFrom(l2).reinterpretAsFloats();
                h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats();
                a2 = h.fma(uh, w.fma(ul, a2));
                b2 = h.fma(vh, w.fma(vl, b2));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                w = v.selectFrom(l3).reinterpretAsFloats();
                h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats();
                a3 = h.fma(uh, w.fma(ul, a3));
                b3 = h.fma(vh, w.fma(vl, b3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * {@link #q4_k} where the nibbles are converted, not looked up (fewer than 16 lanes), as {@link FourRowDot}'s
     * converted Q4_K kernel: per 64-column step one row's four factors at a time (all sixteen at once spilled AVX2's
     * sixteen registers; Qwen-shape Q4_K, two sequences decoding together, one thread: 13.5 / 13.7 -> 23.8 / 24.4 tok/s, side by side).
     */
    private static void q4_kConverted(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int u = 0, steps = n / 64; u < steps; u++) { // addresses as in FourRowDot.q4_k
            int blk = u >> 2, c = u & 3, i = xOff + 256 * blk + 64 * c, lo = 2 * c, hi = 2 * c + 1;
            long o0 = off + 144L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride, q = 16 + 32 * c;
            if (c == 0) {
                for (int r = 0; r < 4; r++) {
                    KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
                }
            }
            FloatVector dl0 = FloatVector.broadcast(F, k[lo]), ml0 = FloatVector.broadcast(F, k[8 + lo]);
            FloatVector dh0 = FloatVector.broadcast(F, k[hi]), mh0 = FloatVector.broadcast(F, k[8 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector w = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl0, ml0);
                FloatVector h = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh0, mh0);
                a0 = h.fma(FloatVector.fromArray(F, x0, i + l + 32), w.fma(FloatVector.fromArray(F, x0, i + l), a0));
                b0 = h.fma(FloatVector.fromArray(F, x1, i + l + 32), w.fma(FloatVector.fromArray(F, x1, i + l), b0));
            }
            FloatVector dl1 = FloatVector.broadcast(F, k[16 + lo]), ml1 = FloatVector.broadcast(F, k[24 + lo]);
            FloatVector dh1 = FloatVector.broadcast(F, k[16 + hi]), mh1 = FloatVector.broadcast(F, k[24 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector w = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl1, ml1);
                FloatVector h = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh1, mh1);
                a1 = h.fma(FloatVector.fromArray(F, x0, i + l + 32), w.fma(FloatVector.fromArray(F, x0, i + l), a1));
                b1 = h.fma(FloatVector.fromArray(F, x1, i + l + 32), w.fma(FloatVector.fromArray(F, x1, i + l), b1));
            }
            FloatVector dl2 = FloatVector.broadcast(F, k[32 + lo]), ml2 = FloatVector.broadcast(F, k[40 + lo]);
            FloatVector dh2 = FloatVector.broadcast(F, k[32 + hi]), mh2 = FloatVector.broadcast(F, k[40 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector w = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl2, ml2);
                FloatVector h = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh2, mh2);
                a2 = h.fma(FloatVector.fromArray(F, x0, i + l + 32), w.fma(FloatVector.fromArray(F, x0, i + l), a2));
                b2 = h.fma(FloatVector.fromArray(F, x1, i + l + 32), w.fma(FloatVector.fromArray(F, x1, i + l), b2));
            }
            FloatVector dl3 = FloatVector.broadcast(F, k[48 + lo]), ml3 = FloatVector.broadcast(F, k[56 + lo]);
            FloatVector dh3 = FloatVector.broadcast(F, k[48 + hi]), mh3 = FloatVector.broadcast(F, k[56 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector w = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl3, ml3);
                FloatVector h = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh3, mh3);
                a3 = h.fma(FloatVector.fromArray(F, x0, i + l + 32), w.fma(FloatVector.fromArray(F, x0, i + l), a3));
                b3 = h.fma(FloatVector.fromArray(F, x1, i + l + 32), w.fma(FloatVector.fromArray(F, x1, i + l), b3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * Q5_K, four rows as its decoding's {@link FourRowDot#q5_k} (in its order, its half-block steps) times two
     * vectors, each value formed once for both.
     */
    static void q5_k(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) { // addresses as in FourRowDot.q5_k
            int xb = xOff + 256 * blk;
            long o0 = off + 176L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
            }
            for (int half = 0; half < 2; half++) {
                int lo = 4 * half; // steps 2 half and 2 half + 1: sub-blocks lo .. lo + 3
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 128 * half + l;
                    long q = 48 + 64 * half + l, qh = 16 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o0 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    FloatVector w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo], k[8 + lo]);
                    FloatVector g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 1], k[8 + lo + 1]);
                    a0 = g.fma(uh, w.fma(ul, a0));
                    b0 = g.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o1 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo], k[24 + lo]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 1], k[24 + lo + 1]);
                    a1 = g.fma(uh, w.fma(ul, a1));
                    b1 = g.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o2 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo], k[40 + lo]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 1], k[40 + lo + 1]);
                    a2 = g.fma(uh, w.fma(ul, a2));
                    b2 = g.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o3 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo], k[56 + lo]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 1], k[56 + lo + 1]);
                    a3 = g.fma(uh, w.fma(ul, a3));
                    b3 = g.fma(vh, w.fma(vl, b3));
                }
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 128 * half + 64 + l;
                    long q = 80 + 64 * half + l, qh = 16 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o0 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    FloatVector w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 2], k[8 + lo + 2]);
                    FloatVector g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 3], k[8 + lo + 3]);
                    a0 = g.fma(uh, w.fma(ul, a0));
                    b0 = g.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o1 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 2], k[24 + lo + 2]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 3], k[24 + lo + 3]);
                    a1 = g.fma(uh, w.fma(ul, a1));
                    b1 = g.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o2 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 2], k[40 + lo + 2]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 3], k[40 + lo + 3]);
                    a2 = g.fma(uh, w.fma(ul, a2));
                    b2 = g.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o3 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    w = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 2], k[56 + lo + 2]);
                    g = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 3], k[56 + lo + 3]);
                    a3 = g.fma(uh, w.fma(ul, a3));
                    b3 = g.fma(vh, w.fma(vl, b3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * Q6_K, four rows as its decoding's {@link FourRowDot#q6_k} (block factors for the four, then two rows per call,
     * in its order) times two vectors: the six-bit values assembled and scaled once for both. Where
     * {@code wholeBlocks}, the block pairs go through {@link SuperBlockDot#q6_kBlockPairTimesTwo} (same bits).
     */
    static void q6_k(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, boolean wholeBlocks) {
        float[] k = KQuantFactors.scratch();
        Arrays.fill(out, 0, 8 * VectorMath.LANES, 0f); // rows 0..3 times x0, then times x1
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            long o0 = off + 210L * blk;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.eightBitScales(s, o0 + r * stride, k, 32 * r);
            }
            if (wholeBlocks) {
                SuperBlockDot.q6_kBlockPairTimesTwo(s, o0, o0 + stride, x0, x1, xOff + 256 * blk, k, 0, out, 0);
                SuperBlockDot.q6_kBlockPairTimesTwo(s, o0 + 2 * stride, o0 + 3 * stride, x0, x1, xOff + 256 * blk, k, 64, out, 2);
            } else {
                q6_kBlockPair(s, o0, o0 + stride, x0, x1, xOff + 256 * blk, k, 0, out, 0);
                q6_kBlockPair(s, o0 + 2 * stride, o0 + 3 * stride, x0, x1, xOff + 256 * blk, k, 64, out, 2);
            }
        }
        VectorMath.sumLanesInPlace(out, 8);
    }

    /** {@link FourRowDot}'s block of rows {@code o0} and {@code o1}, added to both vectors' accumulators in {@code out}. */
    private static void q6_kBlockPair(MemorySegment s, long o0, long o1, float[] x0, float[] x1, int xb, float[] k, int kOff, float[] out, int first) {
        FloatVector a0 = FloatVector.fromArray(F, out, first * VectorMath.LANES);
        FloatVector a1 = FloatVector.fromArray(F, out, (first + 1) * VectorMath.LANES);
        FloatVector b0 = FloatVector.fromArray(F, out, (4 + first) * VectorMath.LANES);
        FloatVector b1 = FloatVector.fromArray(F, out, (5 + first) * VectorMath.LANES);
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l += F.length()) {
                int i = xb + 128 * half + l, f0 = kOff + 8 * half + l / 16, f1 = f0 + 32;
                FloatVector u1 = FloatVector.fromArray(F, x0, i), u2 = FloatVector.fromArray(F, x0, i + 32);
                FloatVector u3 = FloatVector.fromArray(F, x0, i + 64), u4 = FloatVector.fromArray(F, x0, i + 96);
                FloatVector v1 = FloatVector.fromArray(F, x1, i), v2 = FloatVector.fromArray(F, x1, i + 32);
                FloatVector v3 = FloatVector.fromArray(F, x1, i + 64), v4 = FloatVector.fromArray(F, x1, i + 96);
                IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64 * half + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 128 + 32 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]);
                a0 = w.fma(u1, a0);
                b0 = w.fma(v1, b0);
                w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]);
                a0 = w.fma(u2, a0);
                b0 = w.fma(v2, b0);
                w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]);
                a0 = w.fma(u3, a0);
                b0 = w.fma(v3, b0);
                w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]);
                a0 = w.fma(u4, a0);
                b0 = w.fma(v4, b0);
                lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64 * half + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                high = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 128 + 32 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]);
                a1 = w.fma(u1, a1);
                b1 = w.fma(v1, b1);
                w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]);
                a1 = w.fma(u2, a1);
                b1 = w.fma(v2, b1);
                w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]);
                a1 = w.fma(u3, a1);
                b1 = w.fma(v3, b1);
                w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]);
                a1 = w.fma(u4, a1);
                b1 = w.fma(v4, b1);
            }
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
        b0.intoArray(out, (4 + first) * VectorMath.LANES);
        b1.intoArray(out, (5 + first) * VectorMath.LANES);
    }

    /**
     * BF16, four rows as {@link FourRowDot#bf16} (in its order, the columns past the last whole vector added last) times
     * two vectors, each row's whole vectors through a slice of exactly their bytes as there (two-token forwards in one
     * JVM, Qwen-shape BF16 on Zen 3: 1.078 and 1.049 against offsets into the whole matrix; F16's pair, whose
     * conversion outweighs its loads, read 1.015 and keeps them).
     */
    static void bf16(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        int vectors = n / F.length(), i = vectors * F.length();
        long rowBytes = 2L * i;
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes);
        MemorySegment r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int k = 0; k < vectors; k++) {
            long at = 2L * F.length() * k;
            int c = xOff + F.length() * k;
            FloatVector u = FloatVector.fromArray(F, x0, c), v = FloatVector.fromArray(F, x1, c);
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, r0, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w.fma(u, a0);
            b0 = w.fma(v, b0);
            w = ((IntVector) ShortVector.fromMemorySegment(S, r1, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a1 = w.fma(u, a1);
            b1 = w.fma(v, b1);
            w = ((IntVector) ShortVector.fromMemorySegment(S, r2, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a2 = w.fma(u, a2);
            b2 = w.fma(v, b2);
            w = ((IntVector) ShortVector.fromMemorySegment(S, r3, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a3 = w.fma(u, a3);
            b3 = w.fma(v, b3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
        for (int k = 0; k < 4; k++) {
            long o = off + k * stride;
            for (int t = i; t < n; t++) {
                float w = Float.intBitsToFloat((s.get(Le.I16, o + 2L * t) & 0xFFFF) << 16);
                out[k] += w * x0[xOff + t];
                out[4 + k] += w * x1[xOff + t];
            }
        }
    }

    /** IEEE half rows, four as {@link FourRowDot#f16} (its conversion, in its order) times two vectors. */
    static void f16(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector u = FloatVector.fromArray(F, x0, xOff + i), v = FloatVector.fromArray(F, x1, xOff + i), w;
            w = ((IntVector) ShortVector.fromMemorySegment(S, s, o0 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
            a0 = w.fma(u, a0);
            b0 = w.fma(v, b0);
            w = ((IntVector) ShortVector.fromMemorySegment(S, s, o1 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
            a1 = w.fma(u, a1);
            b1 = w.fma(v, b1);
            w = ((IntVector) ShortVector.fromMemorySegment(S, s, o2 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
            a2 = w.fma(u, a2);
            b2 = w.fma(v, b2);
            w = ((IntVector) ShortVector.fromMemorySegment(S, s, o3 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
            a3 = w.fma(u, a3);
            b3 = w.fma(v, b3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
        for (int k = 0; k < 4; k++) {
            long o = off + k * stride;
            for (int t = i; t < n; t++) {
                float w = Float.float16ToFloat(s.get(Le.I16, o + 2L * t));
                out[k] += w * x0[xOff + t];
                out[4 + k] += w * x1[xOff + t];
            }
        }
    }
}
