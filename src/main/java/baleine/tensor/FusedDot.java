package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import baleine.tensor.quant.KQuantCodecs;

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

    private FusedDot() {
    }

    /** Whether {@code type} has a fused kernel (the others decode the row first). */
    static boolean supports(GgmlType type) {
        return Species.FUSED && switch (type) {
            case F32, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    static float dot(GgmlType type, MemorySegment s, long off, float[] x, int xOff, int n) {
        return switch (type) {
            case F32 -> f32(s, off, x, xOff, n);
            case BF16 -> bf16(s, off, x, xOff, n);
            case Q8_0 -> q8_0(s, off, x, xOff, n);
            case Q4_0 -> q4_0(s, off, x, xOff, n);
            case Q4_K -> q4_k(s, off, x, xOff, n);
            case Q6_K -> q6_k(s, off, x, xOff, n);
            default -> throw new IllegalArgumentException("no fused kernel for " + type);
        };
    }

    /** Whether {@code type} has a kernel that converts a row once for four vectors. */
    static boolean supportsFour(GgmlType type) {
        return Species.FUSED && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q6_K);
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
            case Q4_K -> q4_kx4(s, off, x, t0, xOff, n, out);
            case Q6_K -> q6_kx4(s, off, x, t0, xOff, n, out);
            default -> throw new IllegalArgumentException("no four-vector kernel for " + type);
        }
    }

    static void q8_0x4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += 34) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, off)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector w = ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).castShape(F, 0)).mul(d);
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
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).castShape(I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, d.mul(-8f));
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, d.mul(-8f));
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
     * Q4_K: value = d*sc_j*q - dmin*m_j per sub-block j of 32. Accumulates q * (x * d*sc_j) and x * dmin*m_j
     * in two registers, so no sum is reduced per sub-block.
     */
    static float q4_k(MemorySegment s, long off, float[] x, int xOff, int n) {
        // four independent sums (low and high nibbles, their mins) so that no fma waits on the one before
        FloatVector acc = FloatVector.zero(F), accHigh = acc, mins = acc, minsHigh = acc;
        for (int b = 0; b < n; b += 256, off += 144) {
            float d = Float.float16ToFloat(s.get(Le.I16, off)), dmin = Float.float16ToFloat(s.get(Le.I16, off + 2));
            long first8 = s.get(Le.I64, off + 4);
            int last4 = s.get(Le.I32, off + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector lowScale = FloatVector.broadcast(F, d * KQuantCodecs.scale(first8, last4, 2 * c));
                FloatVector lowMin = FloatVector.broadcast(F, dmin * KQuantCodecs.min(first8, last4, 2 * c));
                FloatVector highScale = FloatVector.broadcast(F, d * KQuantCodecs.scale(first8, last4, 2 * c + 1));
                FloatVector highMin = FloatVector.broadcast(F, dmin * KQuantCodecs.min(first8, last4, 2 * c + 1));
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + 32 * c + l, LE).castShape(I, 0);
                    FloatVector lo = (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector xl = FloatVector.fromArray(F, x, xOff + b + 64 * c + l);
                    FloatVector xh = FloatVector.fromArray(F, x, xOff + b + 64 * c + 32 + l);
                    acc = lo.fma(xl.mul(lowScale), acc);
                    accHigh = hi.fma(xh.mul(highScale), accHigh);
                    mins = xl.fma(lowMin, mins);
                    minsHigh = xh.fma(highMin, minsHigh);
                }
            }
        }
        return VectorMath.sumLanes(acc.add(accHigh)) - VectorMath.sumLanes(mins.add(minsHigh));
    }

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
                    IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l + 32, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    FloatVector q1 = (FloatVector) lowA.and(0x0F).or(high.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q2 = (FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q3 = (FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q4 = (FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0);
                    acc = q1.fma(FloatVector.fromArray(F, x, y + l).mul(d * s.get(Le.U8, sc + is)), acc);
                    acc = q2.fma(FloatVector.fromArray(F, x, y + l + 32).mul(d * s.get(Le.U8, sc + is + 2)), acc);
                    acc = q3.fma(FloatVector.fromArray(F, x, y + l + 64).mul(d * s.get(Le.U8, sc + is + 4)), acc);
                    acc = q4.fma(FloatVector.fromArray(F, x, y + l + 96).mul(d * s.get(Le.U8, sc + is + 6)), acc);
                }
            }
        }
        if (LaneFolds.SIXTEEN) { // sumLanes written out: past C2's inlining budget here, the call would box acc
            acc = acc.add(acc.rearrange(LaneFolds.SWAP8));
            acc = acc.add(acc.rearrange(LaneFolds.SWAP4));
            acc = acc.add(acc.rearrange(LaneFolds.SWAP2));
            return acc.add(acc.rearrange(LaneFolds.SWAP1)).lane(0);
        }
        return VectorMath.sumLanes(acc);
    }

    /**
     * {@link #q4_k} for four vectors: quants and scales decoded once, the same operations per vector.
     * (Accumulators are plain locals: arrays of vectors would not stay in registers.)
     */
    static void q4_kx4(MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        float[] v0 = x[t0], v1 = x[t0 + 1], v2 = x[t0 + 2], v3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, m0 = a0, m1 = a0, m2 = a0, m3 = a0;
        FloatVector h0 = a0, h1 = a0, h2 = a0, h3 = a0, p0 = a0, p1 = a0, p2 = a0, p3 = a0; // the high nibbles' sums
        for (int b = 0; b < n; b += 256, off += 144) {
            float d = Float.float16ToFloat(s.get(Le.I16, off)), dmin = Float.float16ToFloat(s.get(Le.I16, off + 2));
            long first8 = s.get(Le.I64, off + 4);
            int last4 = s.get(Le.I32, off + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector lowScale = FloatVector.broadcast(F, d * KQuantCodecs.scale(first8, last4, 2 * c));
                FloatVector lowMin = FloatVector.broadcast(F, dmin * KQuantCodecs.min(first8, last4, 2 * c));
                FloatVector highScale = FloatVector.broadcast(F, d * KQuantCodecs.scale(first8, last4, 2 * c + 1));
                FloatVector highMin = FloatVector.broadcast(F, dmin * KQuantCodecs.min(first8, last4, 2 * c + 1));
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + 32 * c + l, LE).castShape(I, 0);
                    FloatVector lo = (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).convert(VectorOperators.I2F, 0);
                    int il = xOff + b + 64 * c + l, ih = il + 32;
                    FloatVector xl = FloatVector.fromArray(F, v0, il), xh = FloatVector.fromArray(F, v0, ih);
                    a0 = lo.fma(xl.mul(lowScale), a0);
                    h0 = hi.fma(xh.mul(highScale), h0);
                    m0 = xl.fma(lowMin, m0);
                    p0 = xh.fma(highMin, p0);
                    xl = FloatVector.fromArray(F, v1, il);
                    xh = FloatVector.fromArray(F, v1, ih);
                    a1 = lo.fma(xl.mul(lowScale), a1);
                    h1 = hi.fma(xh.mul(highScale), h1);
                    m1 = xl.fma(lowMin, m1);
                    p1 = xh.fma(highMin, p1);
                    xl = FloatVector.fromArray(F, v2, il);
                    xh = FloatVector.fromArray(F, v2, ih);
                    a2 = lo.fma(xl.mul(lowScale), a2);
                    h2 = hi.fma(xh.mul(highScale), h2);
                    m2 = xl.fma(lowMin, m2);
                    p2 = xh.fma(highMin, p2);
                    xl = FloatVector.fromArray(F, v3, il);
                    xh = FloatVector.fromArray(F, v3, ih);
                    a3 = lo.fma(xl.mul(lowScale), a3);
                    h3 = hi.fma(xh.mul(highScale), h3);
                    m3 = xl.fma(lowMin, m3);
                    p3 = xh.fma(highMin, p3);
                }
            }
        }
        m0.add(p0).intoArray(out, 0);
        m1.add(p1).intoArray(out, VectorMath.LANES);
        m2.add(p2).intoArray(out, 2 * VectorMath.LANES);
        m3.add(p3).intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        float s0 = out[0], s1 = out[1], s2 = out[2], s3 = out[3];
        a0.add(h0).intoArray(out, 0);
        a1.add(h1).intoArray(out, VectorMath.LANES);
        a2.add(h2).intoArray(out, 2 * VectorMath.LANES);
        a3.add(h3).intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        out[0] -= s0;
        out[1] -= s1;
        out[2] -= s2;
        out[3] -= s3;
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
                    // 6-bit quants in int lanes: one widening per 16 bytes, and no byte shifts (x86 has none)
                    IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l + 32, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE).castShape(I, 0).lanewise(VectorOperators.AND, 0xFF);
                    FloatVector q1 = (FloatVector) lowA.and(0x0F).or(high.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q2 = (FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q3 = (FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).sub(32).convert(VectorOperators.I2F, 0);
                    FloatVector q4 = (FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0);
                    float s1 = d * s.get(Le.U8, sc + is), s2 = d * s.get(Le.U8, sc + is + 2);
                    float s3 = d * s.get(Le.U8, sc + is + 4), s4 = d * s.get(Le.U8, sc + is + 6);
                    int i = y + l;
                    a0 = q4.fma(FloatVector.fromArray(F, v0, i + 96).mul(s4), q3.fma(FloatVector.fromArray(F, v0, i + 64).mul(s3),
                            q2.fma(FloatVector.fromArray(F, v0, i + 32).mul(s2), q1.fma(FloatVector.fromArray(F, v0, i).mul(s1), a0))));
                    a1 = q4.fma(FloatVector.fromArray(F, v1, i + 96).mul(s4), q3.fma(FloatVector.fromArray(F, v1, i + 64).mul(s3),
                            q2.fma(FloatVector.fromArray(F, v1, i + 32).mul(s2), q1.fma(FloatVector.fromArray(F, v1, i).mul(s1), a1))));
                    a2 = q4.fma(FloatVector.fromArray(F, v2, i + 96).mul(s4), q3.fma(FloatVector.fromArray(F, v2, i + 64).mul(s3),
                            q2.fma(FloatVector.fromArray(F, v2, i + 32).mul(s2), q1.fma(FloatVector.fromArray(F, v2, i).mul(s1), a2))));
                    a3 = q4.fma(FloatVector.fromArray(F, v3, i + 96).mul(s4), q3.fma(FloatVector.fromArray(F, v3, i + 64).mul(s3),
                            q2.fma(FloatVector.fromArray(F, v3, i + 32).mul(s2), q1.fma(FloatVector.fromArray(F, v3, i).mul(s1), a3))));
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

    static float bf16(MemorySegment s, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, s, off + 2L * i, LE).castShape(I, 0);
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
                FloatVector w = ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).castShape(F, 0)).mul(d);
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
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 2 + j, LE).castShape(I, 0);
                FloatVector lo = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, d.mul(-8f));
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, d.mul(-8f));
                acc = lo.fma(FloatVector.fromArray(F, x, xOff + b + j), acc);
                acc = hi.fma(FloatVector.fromArray(F, x, xOff + b + 16 + j), acc);
            }
        }
        return VectorMath.sumLanes(acc);
    }
}
