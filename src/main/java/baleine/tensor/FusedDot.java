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
import static baleine.tensor.Species.S;
import static baleine.tensor.Species.I;

/**
 * Dot products of one stored row with a float vector, reading the row in place and converting it in
 * registers (no decoded copy). Q8_0 / Q4_0: the integer quants are widened to floats and multiplied
 * by the block's scale, then accumulated with x lane-wise, chunk after chunk; every kernel of these
 * types (one row, four rows, four vectors, tiles) follows this order, so all agree bit for bit.
 */
final class FusedDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Whether 4-bit kernels look their values up instead of converting nibbles: a float vector of 16 lanes holds
     * the sixteen values a block (Q4_0) or sub-block (Q4_K) can take, and a permutation by the nibbles picks them
     * (vpermps) in place of an int-to-float conversion and a multiply-add. Each value is computed by the same
     * operation as the conversion's (Q4_0: (q - 8) d, exact; Q4_K: fma(q, d sc, -dmin m)), so the same bits.
     * Used in the kernels that carry the work (Q4_0's eight- and four-row kernels and prompt tile, Q4_K's four-row
     * decode kernel); the one-row and four-vector kernels, which serve remainders, convert. A low nibble needs no
     * mask: {@code selectFrom} takes each index modulo the lane count (Q4_0 eight-row kernel 0.96-0.98x the time
     * without the {@code and(0x0F)}).
     */
    static final boolean NIBBLE_LOOKUP = F.length() == 16;
    /** The nibbles 0..15 as floats (on 16 lanes; see {@link #NIBBLE_LOOKUP}). */
    static final FloatVector NIBBLES = NIBBLE_LOOKUP ? FloatVector.fromArray(F, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 0) : null;
    /** Q4_0's q - 8 for the nibbles q = 0..15 (on 16 lanes). */
    static final FloatVector Q4_0_LEVELS = NIBBLE_LOOKUP ? NIBBLES.sub(8f) : null;

    private FusedDot() {
    }

    /** Whether {@code type} has a fused kernel (the others decode the row first). */
    static boolean supports(GgmlType type) {
        return Species.FUSED && switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    static float dot(GgmlType type, MemorySegment s, long off, float[] x, int xOff, int n) {
        return switch (type) {
            case F32 -> f32(s, off, x, xOff, n);
            case F16 -> f16(s, off, x, xOff, n);
            case BF16 -> bf16(s, off, x, xOff, n);
            case Q8_0 -> q8_0(s, off, x, xOff, n);
            case Q4_0 -> q4_0(s, off, x, xOff, n);
            case Q4_1, Q5_0, Q5_1 -> LegacyBlockDot.dot(type, s, off, x, xOff, n);
            case Q4_K -> q4_k(s, off, x, xOff, n);
            case Q5_K -> q5_k(s, off, x, xOff, n);
            case Q6_K -> q6_k(s, off, x, xOff, n);
            default -> throw new IllegalArgumentException("no fused kernel for " + type);
        };
    }

    /** Whether {@code type} has a kernel that converts a row once for four vectors. */
    static boolean supportsFour(GgmlType type) {
        return Species.FUSED && (type == GgmlType.F16 || type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K
                || LegacyBlockDot.supports(type));
    }

    /**
     * Four dot products with one row: each block is converted once and multiplied with four vectors.
     * Per vector the operations are those of the one-vector kernel, in the same order, so results match
     * it bit for bit.
     */
    static void dot4(GgmlType type, MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0x4(s, off, x, t0, xOff, n, out);
            case Q4_0 -> q4_0x4(s, off, x, t0, xOff, n, out);
            case Q4_1, Q5_0, Q5_1 -> LegacyBlockDot.dot4(type, s, off, x, t0, xOff, n, out);
            case Q4_K -> q4_kx4(s, off, x, t0, xOff, n, out);
            case Q5_K -> q5_kx4(s, off, x, t0, xOff, n, out);
            case Q6_K -> q6_kx4(s, off, x, t0, xOff, n, out);
            case F16 -> f16x4(s, off, x, t0, xOff, n, out);
            default -> throw new IllegalArgumentException("no four-vector kernel for " + type);
        }
    }

    static void q8_0x4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += 34) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, off)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector w = ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                int i = xOff + b + j;
                a0 = w.fma(FloatVector.fromArray(F, x0, i), a0);
                a1 = w.fma(FloatVector.fromArray(F, x1, i), a1);
                a2 = w.fma(FloatVector.fromArray(F, x2, i), a2);
                a3 = w.fma(FloatVector.fromArray(F, x3, i), a3);
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    static void q4_0x4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += 18) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, off)));
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                int i = xOff + b + j;
                a0 = hi.fma(FloatVector.fromArray(F, x0, i + 16), lo.fma(FloatVector.fromArray(F, x0, i), a0));
                a1 = hi.fma(FloatVector.fromArray(F, x1, i + 16), lo.fma(FloatVector.fromArray(F, x1, i), a1));
                a2 = hi.fma(FloatVector.fromArray(F, x2, i + 16), lo.fma(FloatVector.fromArray(F, x2, i), a2));
                a3 = hi.fma(FloatVector.fromArray(F, x3, i + 16), lo.fma(FloatVector.fromArray(F, x3, i), a3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * Q4_K: value = d*sc_j*q - dmin*m_j per sub-block j of 32, formed in registers as one fma with the
     * block's factors ({@link KQuantFactors}), then multiplied with x; the low nibbles (values 0..31 of a 64-value
     * chunk) before the high ones. Every Q4_K kernel (one or four rows, one or four vectors, tiles) follows
     * this order.
     */
    static float q4_k(MemorySegment s, long off, float[] x, int xOff, int n) {
        float[] k = KQuantFactors.scratch();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 144) {
            KQuantFactors.sixBitScales(s, off, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]);
                    FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]);
                    int i = xOff + b + 64 * c + l;
                    acc = hi.fma(FloatVector.fromArray(F, x, i + 32), lo.fma(FloatVector.fromArray(F, x, i), acc));
                }
            }
        }
        return VectorMath.sumLanes(acc);
    }

    /**
     * Q5_K: Q4_K's scales and layout plus a fifth bit per value (bit 2c of byte l of qh for value l of
     * sub-block 2c, bit 2c + 1 for sub-block 2c + 1); the same operations in the same order as {@link #q4_k}.
     */
    static float q5_k(MemorySegment s, long off, float[] x, int xOff, int n) {
        float[] k = KQuantFactors.scratch();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 176) {
            KQuantFactors.sixBitScales(s, off, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 48 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * c);
                    FloatVector lo = ((FloatVector) q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]);
                    FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]);
                    int i = xOff + b + 64 * c + l;
                    acc = hi.fma(FloatVector.fromArray(F, x, i + 32), lo.fma(FloatVector.fromArray(F, x, i), acc));
                }
            }
        }
        return VectorMath.sumLanes(acc);
    }

    /**
     * Q6_K: value = d*sc_j*(q - 32) per sub-block j of 16, formed in registers as fma(q, s, -32 s) (the exact
     * value rounded once, as (q - 32) * s), then multiplied with x; per 32-value chunk the four quarters
     * q1..q4 in order. Every Q6_K kernel follows this order.
     */
    static float q6_k(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, off += 210) {
            float d = Float.float16ToFloat(s.get(Le.I16, off + 208));
            for (int half = 0; half < 2; half++) {
                long ql = off + 64 * half, qh = off + 128 + 32 * half, sc = off + 192 + 8 * half;
                int y = xOff + b + 128 * half;
                for (int l = 0; l < 32; l += F.length()) {
                    int is = l / 16;
                    // 6-bit quants in int lanes: one widening per 16 bytes, and no byte shifts (x86 has none)
                    IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    float s1 = d * s.get(Le.I8, sc + is), s2 = d * s.get(Le.I8, sc + is + 2);
                    float s3 = d * s.get(Le.I8, sc + is + 4), s4 = d * s.get(Le.I8, sc + is + 6);
                    FloatVector w1 = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(s1, -32 * s1);
                    FloatVector w2 = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(s2, -32 * s2);
                    FloatVector w3 = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s3, -32 * s3);
                    FloatVector w4 = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s4, -32 * s4);
                    acc = w4.fma(FloatVector.fromArray(F, x, y + l + 96), w3.fma(FloatVector.fromArray(F, x, y + l + 64),
                            w2.fma(FloatVector.fromArray(F, x, y + l + 32), w1.fma(FloatVector.fromArray(F, x, y + l), acc))));
                }
            }
        }
        if (LaneFolds.SIXTEEN) { // sumLanes written out: past C2's inlining budget here, the call would box acc
            acc = acc.add(acc.rearrange(VectorMath.FOLD8));
            acc = acc.add(acc.rearrange(VectorMath.FOLD4));
            acc = acc.add(acc.rearrange(VectorMath.FOLD2));
            return acc.add(acc.rearrange(VectorMath.FOLD1)).lane(0);
        }
        return VectorMath.sumLanes(acc);
    }

    /**
     * {@link #q4_k} for four vectors: quants and scales decoded once, the same operations per vector.
     * (Accumulators are plain locals: arrays of vectors would not stay in registers.)
     */
    static void q4_kx4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] v0 = x[t0], v1 = x[t0 + 1], v2 = x[t0 + 2], v3 = x[t0 + 3];
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 256, off += 144) {
            KQuantFactors.sixBitScales(s, off, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]);
                    FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]);
                    int i = xOff + b + 64 * c + l;
                    a0 = hi.fma(FloatVector.fromArray(F, v0, i + 32), lo.fma(FloatVector.fromArray(F, v0, i), a0));
                    a1 = hi.fma(FloatVector.fromArray(F, v1, i + 32), lo.fma(FloatVector.fromArray(F, v1, i), a1));
                    a2 = hi.fma(FloatVector.fromArray(F, v2, i + 32), lo.fma(FloatVector.fromArray(F, v2, i), a2));
                    a3 = hi.fma(FloatVector.fromArray(F, v3, i + 32), lo.fma(FloatVector.fromArray(F, v3, i), a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /** {@link #q5_k} for four vectors, as {@link #q4_kx4}. */
    static void q5_kx4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] v0 = x[t0], v1 = x[t0 + 1], v2 = x[t0 + 2], v3 = x[t0 + 3];
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 256, off += 176) {
            KQuantFactors.sixBitScales(s, off, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 48 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * c);
                    FloatVector lo = ((FloatVector) q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]);
                    FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]);
                    int i = xOff + b + 64 * c + l;
                    a0 = hi.fma(FloatVector.fromArray(F, v0, i + 32), lo.fma(FloatVector.fromArray(F, v0, i), a0));
                    a1 = hi.fma(FloatVector.fromArray(F, v1, i + 32), lo.fma(FloatVector.fromArray(F, v1, i), a1));
                    a2 = hi.fma(FloatVector.fromArray(F, v2, i + 32), lo.fma(FloatVector.fromArray(F, v2, i), a2));
                    a3 = hi.fma(FloatVector.fromArray(F, v3, i + 32), lo.fma(FloatVector.fromArray(F, v3, i), a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /** {@link #q6_k} for four vectors: the quants are assembled once, the same operations per vector. */
    static void q6_kx4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] v0 = x[t0], v1 = x[t0 + 1], v2 = x[t0 + 2], v3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 256, off += 210) {
            float d = Float.float16ToFloat(s.get(Le.I16, off + 208));
            for (int half = 0; half < 2; half++) {
                long ql = off + 64 * half, qh = off + 128 + 32 * half, sc = off + 192 + 8 * half;
                int y = xOff + b + 128 * half;
                for (int l = 0; l < 32; l += F.length()) {
                    int is = l / 16;
                    IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    float s1 = d * s.get(Le.I8, sc + is), s2 = d * s.get(Le.I8, sc + is + 2);
                    float s3 = d * s.get(Le.I8, sc + is + 4), s4 = d * s.get(Le.I8, sc + is + 6);
                    FloatVector w1 = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(s1, -32 * s1);
                    FloatVector w2 = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(s2, -32 * s2);
                    FloatVector w3 = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s3, -32 * s3);
                    FloatVector w4 = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s4, -32 * s4);
                    int i = y + l;
                    a0 = w4.fma(FloatVector.fromArray(F, v0, i + 96), w3.fma(FloatVector.fromArray(F, v0, i + 64),
                            w2.fma(FloatVector.fromArray(F, v0, i + 32), w1.fma(FloatVector.fromArray(F, v0, i), a0))));
                    a1 = w4.fma(FloatVector.fromArray(F, v1, i + 96), w3.fma(FloatVector.fromArray(F, v1, i + 64),
                            w2.fma(FloatVector.fromArray(F, v1, i + 32), w1.fma(FloatVector.fromArray(F, v1, i), a1))));
                    a2 = w4.fma(FloatVector.fromArray(F, v2, i + 96), w3.fma(FloatVector.fromArray(F, v2, i + 64),
                            w2.fma(FloatVector.fromArray(F, v2, i + 32), w1.fma(FloatVector.fromArray(F, v2, i), a2))));
                    a3 = w4.fma(FloatVector.fromArray(F, v3, i + 96), w3.fma(FloatVector.fromArray(F, v3, i + 64),
                            w2.fma(FloatVector.fromArray(F, v3, i + 32), w1.fma(FloatVector.fromArray(F, v3, i), a3))));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    static float f32(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            acc = FloatVector.fromMemorySegment(F, s, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += s.get(Le.F32, off + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    /** A vector of IEEE halves at {@code off} as floats, exactly where they are finite ({@link Halves#finiteHalfBits}). */
    static FloatVector halfs(MemorySegment s, long off) {
        return Halves.finiteHalfBits((IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(VectorOperators.S2I, I, 0)); // sign-extended
    }

    /** {@link #halfs} exactly for every half, infinities and NaNs too ({@link Halves#halfBits}). */
    static FloatVector exactHalfs(MemorySegment s, long off) {
        return Halves.halfBits((IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(VectorOperators.S2I, I, 0));
    }

    static float f16(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            acc = halfs(s, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(s.get(Le.I16, off + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    /** {@link #f16} for four vectors: each chunk converted once. */
    static void f16x4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] v0 = x[t0], v1 = x[t0 + 1], v2 = x[t0 + 2], v3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector w = halfs(s, off + 2L * i);
            a0 = w.fma(FloatVector.fromArray(F, v0, xOff + i), a0);
            a1 = w.fma(FloatVector.fromArray(F, v1, xOff + i), a1);
            a2 = w.fma(FloatVector.fromArray(F, v2, xOff + i), a2);
            a3 = w.fma(FloatVector.fromArray(F, v3, xOff + i), a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        for (; i < n; i++) {
            float w = Float.float16ToFloat(s.get(Le.I16, off + 2L * i));
            out[0] += w * v0[xOff + i];
            out[1] += w * v1[xOff + i];
            out[2] += w * v2[xOff + i];
            out[3] += w * v3[xOff + i];
        }
    }

    static float bf16(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, s, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            FloatVector w = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += Float.intBitsToFloat((s.get(Le.I16, off + 2L * i) & 0xFFFF) << 16) * x[xOff + i];
        }
        return sum;
    }

    static float q8_0(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, off += 34) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, off)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector w = ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                acc = w.fma(FloatVector.fromArray(F, x, xOff + b + j), acc);
            }
        }
        return VectorMath.sumLanes(acc);
    }

    static float q4_0(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, off += 18) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, off)));
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                acc = lo.fma(FloatVector.fromArray(F, x, xOff + b + j), acc);
                acc = hi.fma(FloatVector.fromArray(F, x, xOff + b + 16 + j), acc);
            }
        }
        return VectorMath.sumLanes(acc);
    }
}
