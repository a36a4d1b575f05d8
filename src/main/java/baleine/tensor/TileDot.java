package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.F;
import static baleine.tensor.Species.B;
import static baleine.tensor.Species.I;
import static baleine.tensor.Species.S;

/**
 * Four rows times four vectors, the register tile of batched products (prefill): each weight chunk is
 * converted once for four vectors and each loaded chunk of x serves four rows, sixteen accumulators in
 * registers. Per output the operations are those of the one-row kernels in {@link FusedDot}, in the same
 * order, so results match them bit for bit. The kernels are written out without helper methods: C2
 * stops inlining inside methods this large, and a vector crossing a call that is not inlined is boxed.
 */
final class TileDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private TileDot() {
    }

    static boolean supports(GgmlType type) {
        return Species.FUSED && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.BF16);
    }

    /**
     * {@code out[4 * i + k] = row(off + i * stride) . x_k} for i, k in 0..3, the four vectors from their interleaved
     * copy at float {@code xOff} of {@code x} ({@link InterleavedBatch}, column order): column c of vector k at
     * float {@code xOff + 4 c + k LANES} for c a multiple of LANES.
     */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0(s, off, stride, x, xOff, n, out);
            case Q4_0 -> q4_0(s, off, stride, x, xOff, n, out);
            case Q4_K -> q4_k(s, off, stride, x, xOff, n, out);
            case BF16 -> bf16(s, off, stride, x, xOff, n, out);
            default -> throw new IllegalArgumentException("no tile kernel for " + type);
        }
    }

    /** Rows and vectors read through slices of exactly their bytes, as in {@link EightRowDot#q8_0} (V2-Lite-shape Q8_0 pp64 +3.9%). */
    static void q8_0(MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        long rowBytes = 34L * (n / 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        MemorySegment xs = x.asSlice(4 * xOff, 16L * (n / 32 * 32));
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in EightRowDot.q8_0
            long at = 34L * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(r2.get(Le.I16, at)));
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(r3.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
                FloatVector w2 = ((FloatVector) ByteVector.fromMemorySegment(B, r2, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
                FloatVector w3 = ((FloatVector) ByteVector.fromMemorySegment(B, r3, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
                long i = 16L * (32 * k + j);
                FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                v = FloatVector.fromMemorySegment(F, xs, i + 4L * F.length(), LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                v = FloatVector.fromMemorySegment(F, xs, i + 8L * F.length(), LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                v = FloatVector.fromMemorySegment(F, xs, i + 12L * F.length(), LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
            }
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, VectorMath.LANES);
        a02.intoArray(out, 2 * VectorMath.LANES);
        a03.intoArray(out, 3 * VectorMath.LANES);
        a10.intoArray(out, 4 * VectorMath.LANES);
        a11.intoArray(out, 5 * VectorMath.LANES);
        a12.intoArray(out, 6 * VectorMath.LANES);
        a13.intoArray(out, 7 * VectorMath.LANES);
        a20.intoArray(out, 8 * VectorMath.LANES);
        a21.intoArray(out, 9 * VectorMath.LANES);
        a22.intoArray(out, 10 * VectorMath.LANES);
        a23.intoArray(out, 11 * VectorMath.LANES);
        a30.intoArray(out, 12 * VectorMath.LANES);
        a31.intoArray(out, 13 * VectorMath.LANES);
        a32.intoArray(out, 14 * VectorMath.LANES);
        a33.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
    }

    /** Whether {@link #q8_0Eight} serves the type: Q8_0 with 512-bit vectors (its 21 vectors spill AVX2's sixteen registers). */
    static boolean supportsEight(GgmlType type) {
        return Species.FUSED && F.length() == 16 && type == GgmlType.Q8_0;
    }

    /**
     * Two rows times eight vectors, {@code out[8 * i + k] = row(off + i * stride) . x_k} for i in 0..1, k in 0..7:
     * the two fours of the interleaved copy at floats {@code xOff} and {@code xOff4}, each output's operations those of
     * {@link #q8_0} (the same bits). Each row's chunk is converted once for eight vectors instead of four: per 16
     * columns 6 conversions for 16 FMAs where the 4x4 tile does 12 for 16, and five to seven vectors (a MoE expert's
     * share of a prompt) fill one tile instead of a full one and a padded one.
     */
    static void q8_0Eight(MemorySegment s, long off, long stride, MemorySegment x, long xOff, long xOff4, int n, float[] out) {
        long rowBytes = 34L * (n / 32), xBytes = 16L * (n / 32 * 32);
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes);
        MemorySegment xs = x.asSlice(4 * xOff, xBytes), ys = x.asSlice(4 * xOff4, xBytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z;
        for (int k = 0, blocks = n / 32; k < blocks; k++) { // addresses as in q8_0
            long at = 34L * k;
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(r0.get(Le.I16, at)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(r1.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, r0, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, r1, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
                long i = 16L * (32 * k + j), v1 = 4L * F.length(), v2 = 2 * v1, v3 = 3 * v1;
                FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                v = FloatVector.fromMemorySegment(F, xs, i + v1, LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                v = FloatVector.fromMemorySegment(F, xs, i + v2, LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                v = FloatVector.fromMemorySegment(F, xs, i + v3, LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
                v = FloatVector.fromMemorySegment(F, ys, i, LE);
                a04 = w0.fma(v, a04); a14 = w1.fma(v, a14);
                v = FloatVector.fromMemorySegment(F, ys, i + v1, LE);
                a05 = w0.fma(v, a05); a15 = w1.fma(v, a15);
                v = FloatVector.fromMemorySegment(F, ys, i + v2, LE);
                a06 = w0.fma(v, a06); a16 = w1.fma(v, a16);
                v = FloatVector.fromMemorySegment(F, ys, i + v3, LE);
                a07 = w0.fma(v, a07); a17 = w1.fma(v, a17);
            }
        }
        int l = VectorMath.LANES;
        a00.intoArray(out, 0);
        a01.intoArray(out, l);
        a02.intoArray(out, 2 * l);
        a03.intoArray(out, 3 * l);
        a04.intoArray(out, 4 * l);
        a05.intoArray(out, 5 * l);
        a06.intoArray(out, 6 * l);
        a07.intoArray(out, 7 * l);
        a10.intoArray(out, 8 * l);
        a11.intoArray(out, 9 * l);
        a12.intoArray(out, 10 * l);
        a13.intoArray(out, 11 * l);
        a14.intoArray(out, 12 * l);
        a15.intoArray(out, 13 * l);
        a16.intoArray(out, 14 * l);
        a17.intoArray(out, 15 * l);
        VectorMath.sumLanesInPlace(out, 16);
    }

    static void q4_0(MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        long xb = 4 * xOff; // in bytes; column c of vector k at xb + 16 c + 4 LANES k
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int b = 0; b < n; b += 32, o0 += 18, o1 += 18, o2 += 18, o3 += 18) {
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0)));
            IntVector lut0 = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d0).reinterpretAsInts() : null;
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1)));
            IntVector lut1 = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d1).reinterpretAsInts() : null;
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2)));
            IntVector lut2 = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d2).reinterpretAsInts() : null;
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3)));
            IntVector lut3 = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d3).reinterpretAsInts() : null;
            for (int j = 0; j < 16; j += F.length()) {
                // nibbles in int lanes: one widening per 16 bytes, and no byte shifts (x86 has none)
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                long i = xb + 16L * (b + j);
                // the low nibbles (values 0..15 of the block) first, as in the one-row kernel; on 16 lanes the
                // values are looked up (FusedDot.NIBBLE_LOOKUP)
                FloatVector w0 = FusedDot.NIBBLE_LOOKUP ? q0.selectFrom(lut0).reinterpretAsFloats()
                        : ((FloatVector) q0.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d0, d0.mul(-8f));
                FloatVector w1 = FusedDot.NIBBLE_LOOKUP ? q1.selectFrom(lut1).reinterpretAsFloats()
                        : ((FloatVector) q1.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d1, d1.mul(-8f));
                FloatVector w2 = FusedDot.NIBBLE_LOOKUP ? q2.selectFrom(lut2).reinterpretAsFloats()
                        : ((FloatVector) q2.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d2, d2.mul(-8f));
                FloatVector w3 = FusedDot.NIBBLE_LOOKUP ? q3.selectFrom(lut3).reinterpretAsFloats()
                        : ((FloatVector) q3.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d3, d3.mul(-8f));
                FloatVector v = FloatVector.fromMemorySegment(F, x, i, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                v = FloatVector.fromMemorySegment(F, x, i + 4L * F.length(), LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                v = FloatVector.fromMemorySegment(F, x, i + 8L * F.length(), LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                v = FloatVector.fromMemorySegment(F, x, i + 12L * F.length(), LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
                w0 = FusedDot.NIBBLE_LOOKUP ? q0.lanewise(VectorOperators.LSHR, 4).selectFrom(lut0).reinterpretAsFloats()
                        : ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d0, d0.mul(-8f));
                w1 = FusedDot.NIBBLE_LOOKUP ? q1.lanewise(VectorOperators.LSHR, 4).selectFrom(lut1).reinterpretAsFloats()
                        : ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d1, d1.mul(-8f));
                w2 = FusedDot.NIBBLE_LOOKUP ? q2.lanewise(VectorOperators.LSHR, 4).selectFrom(lut2).reinterpretAsFloats()
                        : ((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d2, d2.mul(-8f));
                w3 = FusedDot.NIBBLE_LOOKUP ? q3.lanewise(VectorOperators.LSHR, 4).selectFrom(lut3).reinterpretAsFloats()
                        : ((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d3, d3.mul(-8f));
                v = FloatVector.fromMemorySegment(F, x, i + 16L * 16, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                v = FloatVector.fromMemorySegment(F, x, i + 16L * 16 + 4L * F.length(), LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                v = FloatVector.fromMemorySegment(F, x, i + 16L * 16 + 8L * F.length(), LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                v = FloatVector.fromMemorySegment(F, x, i + 16L * 16 + 12L * F.length(), LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
            }
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, VectorMath.LANES);
        a02.intoArray(out, 2 * VectorMath.LANES);
        a03.intoArray(out, 3 * VectorMath.LANES);
        a10.intoArray(out, 4 * VectorMath.LANES);
        a11.intoArray(out, 5 * VectorMath.LANES);
        a12.intoArray(out, 6 * VectorMath.LANES);
        a13.intoArray(out, 7 * VectorMath.LANES);
        a20.intoArray(out, 8 * VectorMath.LANES);
        a21.intoArray(out, 9 * VectorMath.LANES);
        a22.intoArray(out, 10 * VectorMath.LANES);
        a23.intoArray(out, 11 * VectorMath.LANES);
        a30.intoArray(out, 12 * VectorMath.LANES);
        a31.intoArray(out, 13 * VectorMath.LANES);
        a32.intoArray(out, 14 * VectorMath.LANES);
        a33.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
    }

    /** Q4_K, as {@link FusedDot#q4_k}: the four rows' block factors decoded side by side, low nibbles then high. */
    static void q4_k(MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        long xb = 4 * xOff; // in bytes; column c of vector k at xb + 16 c + 4 LANES k
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        float[] k = KQuantFactors.scratch();
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int b = 0; b < n; b += 256, o0 += 144, o1 += 144, o2 += 144, o3 += 144) {
            for (int r = 0; r < 4; r++) { // one call site: each inlined copy counts against C2's node budget
                KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
            }
            for (int c = 0; c < 4; c++) {
                int lo = 2 * c, hi = 2 * c + 1;
                for (int l = 0; l < 32; l += F.length()) {
                    long q = 16 + 32 * c + l;
                    long i = xb + 16L * (b + 64 * c + l);
                    IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector w0 = ((FloatVector) q0.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo], k[8 + lo]);
                    FloatVector w1 = ((FloatVector) q1.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo], k[24 + lo]);
                    FloatVector w2 = ((FloatVector) q2.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo], k[40 + lo]);
                    FloatVector w3 = ((FloatVector) q3.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo], k[56 + lo]);
                    FloatVector v = FloatVector.fromMemorySegment(F, x, i, LE);
                    a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                    v = FloatVector.fromMemorySegment(F, x, i + 4L * F.length(), LE);
                    a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                    v = FloatVector.fromMemorySegment(F, x, i + 8L * F.length(), LE);
                    a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                    v = FloatVector.fromMemorySegment(F, x, i + 12L * F.length(), LE);
                    a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
                    w0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[hi], k[8 + hi]);
                    w1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + hi], k[24 + hi]);
                    w2 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + hi], k[40 + hi]);
                    w3 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + hi], k[56 + hi]);
                    v = FloatVector.fromMemorySegment(F, x, i + 16L * 32, LE);
                    a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                    v = FloatVector.fromMemorySegment(F, x, i + 16L * 32 + 4L * F.length(), LE);
                    a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                    v = FloatVector.fromMemorySegment(F, x, i + 16L * 32 + 8L * F.length(), LE);
                    a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                    v = FloatVector.fromMemorySegment(F, x, i + 16L * 32 + 12L * F.length(), LE);
                    a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
                }
            }
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, VectorMath.LANES);
        a02.intoArray(out, 2 * VectorMath.LANES);
        a03.intoArray(out, 3 * VectorMath.LANES);
        a10.intoArray(out, 4 * VectorMath.LANES);
        a11.intoArray(out, 5 * VectorMath.LANES);
        a12.intoArray(out, 6 * VectorMath.LANES);
        a13.intoArray(out, 7 * VectorMath.LANES);
        a20.intoArray(out, 8 * VectorMath.LANES);
        a21.intoArray(out, 9 * VectorMath.LANES);
        a22.intoArray(out, 10 * VectorMath.LANES);
        a23.intoArray(out, 11 * VectorMath.LANES);
        a30.intoArray(out, 12 * VectorMath.LANES);
        a31.intoArray(out, 13 * VectorMath.LANES);
        a32.intoArray(out, 14 * VectorMath.LANES);
        a33.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
    }

    static void bf16(MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        if (F.length() < 16) { // two rows at a time: sixteen sums and four rows' weights spill AVX2's sixteen registers
            bf16TwoRows(s, off, off + stride, x, xOff, n, out, 0);
            bf16TwoRows(s, off + 2 * stride, off + 3 * stride, x, xOff, n, out, 8);
            VectorMath.sumLanesInPlace(out, 16);
            bf16Tail(s, off, stride, x, xOff, n, out);
            return;
        }
        // rows and vectors through slices of exactly their whole vectors' bytes, as in q8_0 (Qwen-shape BF16 pp64 +8.6%)
        int vectors = n / F.length();
        long rowBytes = 2L * F.length() * vectors;
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        MemorySegment xs = x.asSlice(4 * xOff, 8 * rowBytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int k = 0; k < vectors; k++) {
            // bf16 is the high half of a float: widen, shift into place
            long at = 2L * F.length() * k;
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, r0, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = ((IntVector) ShortVector.fromMemorySegment(S, r1, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = ((IntVector) ShortVector.fromMemorySegment(S, r2, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = ((IntVector) ShortVector.fromMemorySegment(S, r3, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            long i = 8 * at;
            FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
            v = FloatVector.fromMemorySegment(F, xs, i + 4L * F.length(), LE);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
            v = FloatVector.fromMemorySegment(F, xs, i + 8L * F.length(), LE);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
            v = FloatVector.fromMemorySegment(F, xs, i + 12L * F.length(), LE);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, VectorMath.LANES);
        a02.intoArray(out, 2 * VectorMath.LANES);
        a03.intoArray(out, 3 * VectorMath.LANES);
        a10.intoArray(out, 4 * VectorMath.LANES);
        a11.intoArray(out, 5 * VectorMath.LANES);
        a12.intoArray(out, 6 * VectorMath.LANES);
        a13.intoArray(out, 7 * VectorMath.LANES);
        a20.intoArray(out, 8 * VectorMath.LANES);
        a21.intoArray(out, 9 * VectorMath.LANES);
        a22.intoArray(out, 10 * VectorMath.LANES);
        a23.intoArray(out, 11 * VectorMath.LANES);
        a30.intoArray(out, 12 * VectorMath.LANES);
        a31.intoArray(out, 13 * VectorMath.LANES);
        a32.intoArray(out, 14 * VectorMath.LANES);
        a33.intoArray(out, 15 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 16);
        bf16Tail(s, off, stride, x, xOff, n, out);
    }

    /** The columns past the last whole vector, in order, as the one-row kernel adds them. */
    private static void bf16Tail(MemorySegment s, long off, long stride, MemorySegment x, long xOff, int n, float[] out) {
        int whole = n - n % F.length();
        for (int c = whole; c < n; c++) {
            for (int i = 0; i < 4; i++) {
                float w = Float.intBitsToFloat((s.get(Le.I16, off + i * stride + 2L * c) & 0xFFFF) << 16);
                for (int k = 0; k < 4; k++) {
                    out[4 * i + k] += w * x.getAtIndex(Le.F32, xOff + 4L * whole + (long) k * (n - whole) + c - whole);
                }
            }
        }
    }

    /**
     * {@link #bf16}'s whole vectors for rows {@code o0} and {@code o1} on fewer than 16 lanes (Qwen-shape BF16 on
     * AVX2, one thread: pp8 64.8 / 52.1 -> 90.2 / 88.8 tok/s, pp64 77.0 / 73.5 -> 137.9 / 87.9, side by side), the
     * same operations per sum in the same order; the eight sums' lanes into {@code out} from sum {@code first} on.
     */
    private static void bf16TwoRows(MemorySegment s, long o0, long o1, MemorySegment x, long xOff, int n, float[] out, int first) {
        long xb = 4 * xOff;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        for (int c = 0; c + F.length() <= n; c += F.length()) {
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, s, o0 + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = ((IntVector) ShortVector.fromMemorySegment(S, s, o1 + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            long i = xb + 16L * c;
            FloatVector v = FloatVector.fromMemorySegment(F, x, i, LE);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
            v = FloatVector.fromMemorySegment(F, x, i + 4L * F.length(), LE);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
            v = FloatVector.fromMemorySegment(F, x, i + 8L * F.length(), LE);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
            v = FloatVector.fromMemorySegment(F, x, i + 12L * F.length(), LE);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
        }
        a00.intoArray(out, first * VectorMath.LANES);
        a01.intoArray(out, (first + 1) * VectorMath.LANES);
        a02.intoArray(out, (first + 2) * VectorMath.LANES);
        a03.intoArray(out, (first + 3) * VectorMath.LANES);
        a10.intoArray(out, (first + 4) * VectorMath.LANES);
        a11.intoArray(out, (first + 5) * VectorMath.LANES);
        a12.intoArray(out, (first + 6) * VectorMath.LANES);
        a13.intoArray(out, (first + 7) * VectorMath.LANES);
    }
}
