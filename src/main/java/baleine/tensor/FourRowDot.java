package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

import static baleine.tensor.Species.F;
import static baleine.tensor.Species.B;
import static baleine.tensor.Species.S;
import static baleine.tensor.Species.I;

/**
 * Four rows, far apart in memory, times one vector: the matrix-vector product of decoding. One row at a
 * time is one stream of memory reads and leaves the core waiting on memory; four rows {@code stride}
 * bytes apart keep four streams in flight (about 1.7x the bytes per second of a single stream on a
 * 2-core AVX-512 machine), and each load of x serves four rows. Per row the operations are those of the
 * one-row kernels in {@link FusedDot}, in the same order, so results match them bit for bit. No vector
 * is passed to a method that C2 may not inline: the accumulators would then be boxed on every iteration.
 */
final class FourRowDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private FourRowDot() {
    }

    static boolean supports(GgmlType type) {
        return Species.FUSED && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K || type == GgmlType.BF16 || type == GgmlType.F16
                || LegacyBlockDot.supports(type));
    }

    /** {@code out[k] = row(off + k * stride) . x[xOff .. xOff + n)} for k in 0..3. */
    static void dot(GgmlType type, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        switch (type) {
            case Q8_0 -> q8_0(s, off, stride, x, xOff, n, out);
            case Q4_0 -> q4_0(s, off, stride, x, xOff, n, out);
            case Q4_1, Q5_0, Q5_1 -> LegacyBlockDot.fourRows(type, s, off, stride, x, xOff, n, out);
            case Q4_K -> {
                if (SuperBlockDot.ready(type)) {
                    SuperBlockDot.q4_k(s, off, stride, x, xOff, n, out);
                } else {
                    q4_k(s, off, stride, x, xOff, n, out);
                }
            }
            case Q5_K -> q5_k(s, off, stride, x, xOff, n, out);
            case Q6_K -> q6_k(s, off, stride, x, xOff, n, out, SuperBlockDot.ready(type));
            case BF16 -> bf16(s, off, stride, x, xOff, n, out);
            case F16 -> f16(s, off, stride, x, xOff, n, out);
            default -> throw new IllegalArgumentException("no four-row kernel for " + type);
        }
    }

    static void q8_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, o0 += 34, o1 += 34, o2 += 34, o3 += 34) {
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1)));
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2)));
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3)));
            for (int j = 0; j < 32; j += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + b + j);
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(xv, a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(xv, a1);
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(xv, a2);
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(xv, a3);
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    static void q4_0(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, o0 += 18, o1 += 18, o2 += 18, o3 += 18) {
            for (int j = 0; j < 16; j += F.length()) {
                FloatVector xl = FloatVector.fromArray(F, x, xOff + b + j), xh = FloatVector.fromArray(F, x, xOff + b + 16 + j);
                // nibbles in int lanes (one widening per 16 bytes, no byte shifts: x86 has none); (q - 8) * d as
                // fma(q, d, -8d): the same exact value rounded once, so the same bits, without the integer subtraction;
                // on 16 lanes looked up (FusedDot.NIBBLE_LOOKUP)
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o0)));
                IntVector t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                FloatVector hi = FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a0 = hi.fma(xh, lo.fma(xl, a0));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o1)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a1 = hi.fma(xh, lo.fma(xl, a1));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o2)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a2 = hi.fma(xh, lo.fma(xl, a2));
                d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, o3)));
                t = FusedDot.NIBBLE_LOOKUP ? FusedDot.Q4_0_LEVELS.mul(d).reinterpretAsInts() : null;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = FusedDot.NIBBLE_LOOKUP ? q.selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                hi = FusedDot.NIBBLE_LOOKUP ? q.lanewise(VectorOperators.LSHR, 4).selectFrom(t).reinterpretAsFloats()
                        : ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, d.mul(-8f));
                a3 = hi.fma(xh, lo.fma(xl, a3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /** Q4_K, as {@link FusedDot#q4_k}: the four rows' block factors decoded side by side, x loaded once for the four. */
    static void q4_k(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        if (!FusedDot.NIBBLE_LOOKUP) {
            q4_kConverted(s, off, stride, x, xOff, n, out);
            return;
        }
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        // one loop step per 64 columns, rows addressed from fixed starts by block index: C2 then checks bounds
        // with one compare per load, where a chunk loop nested in the block loop compiled to a chain of range
        // computations per chunk and row (Qwen-shape Q4_K decoding +17-20%, V2-Lite shape +2-21%)
        for (int u = 0, steps = n / 64; u < steps; u++) {
            int blk = u >> 2, c = u & 3, b = 256 * blk;
            long o0 = off + 144L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            if (c == 0) {
                for (int r = 0; r < 4; r++) { // one call site: each inlined copy counts against C2's node budget
                    KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
                }
            }
            int lo = 2 * c, hi = 2 * c + 1;
            // the sub-blocks' sixteen values each, looked up by nibble (FusedDot.NIBBLE_LOOKUP)
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
                FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * {@link #q4_k} where the nibbles are converted, not looked up (fewer than 16 lanes): per 64-column step each row's
     * four factors and then its columns, so that one row's factors are live at a time. Formed for all four rows first,
     * the sixteen factors and four sums spilled AVX2's sixteen registers (Qwen-shape Q4_K decoding on AVX2, one thread:
     * 12.3 / 11.7 -> 18.3 / 17.9 tok/s, side by side). Same operations per row, same order, same bits.
     */
    private static void q4_kConverted(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int u = 0, steps = n / 64; u < steps; u++) { // addresses as in q4_k
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
                FloatVector wl = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl0, ml0);
                FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh0, mh0);
                a0 = wh.fma(FloatVector.fromArray(F, x, i + l + 32), wl.fma(FloatVector.fromArray(F, x, i + l), a0));
            }
            FloatVector dl1 = FloatVector.broadcast(F, k[16 + lo]), ml1 = FloatVector.broadcast(F, k[24 + lo]);
            FloatVector dh1 = FloatVector.broadcast(F, k[16 + hi]), mh1 = FloatVector.broadcast(F, k[24 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector wl = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl1, ml1);
                FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh1, mh1);
                a1 = wh.fma(FloatVector.fromArray(F, x, i + l + 32), wl.fma(FloatVector.fromArray(F, x, i + l), a1));
            }
            FloatVector dl2 = FloatVector.broadcast(F, k[32 + lo]), ml2 = FloatVector.broadcast(F, k[40 + lo]);
            FloatVector dh2 = FloatVector.broadcast(F, k[32 + hi]), mh2 = FloatVector.broadcast(F, k[40 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector wl = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl2, ml2);
                FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh2, mh2);
                a2 = wh.fma(FloatVector.fromArray(F, x, i + l + 32), wl.fma(FloatVector.fromArray(F, x, i + l), a2));
            }
            FloatVector dl3 = FloatVector.broadcast(F, k[48 + lo]), ml3 = FloatVector.broadcast(F, k[56 + lo]);
            FloatVector dh3 = FloatVector.broadcast(F, k[48 + hi]), mh3 = FloatVector.broadcast(F, k[56 + hi]);
            for (int l = 0; l < 32; l += F.length()) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector wl = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(dl3, ml3);
                FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh3, mh3);
                a3 = wh.fma(FloatVector.fromArray(F, x, i + l + 32), wl.fma(FloatVector.fromArray(F, x, i + l), a3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /** Q5_K, as {@link FusedDot#q5_k}: {@link #q4_k}'s steps with the fifth bits. */
    static void q5_k(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        if (F.length() < 16) {
            q5_kNarrow(s, off, stride, x, xOff, n, out);
            return;
        }
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        // per super-block its factors, then two loop steps of 128 columns with two 64-column steps written out in
        // each, at the block's start plus constants: 0.80-0.85x the time of one loop step per 64 columns (whose
        // block and step came from the step's index), same bits; the whole block written out (four steps) is past
        // C2's inlining budget in a model (see SuperBlockDot)
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
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
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o0 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 1], k[8 + lo + 1]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo], k[8 + lo]).fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o1 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 1], k[24 + lo + 1]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo], k[24 + lo]).fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o2 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    a2 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 1], k[40 + lo + 1]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo], k[40 + lo]).fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o3 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half);
                    a3 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 1], k[56 + lo + 1]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo], k[56 + lo]).fma(xl, a3));
                }
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 128 * half + 64 + l;
                    long q = 80 + 64 * half + l, qh = 16 + l;
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o0 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 3], k[8 + lo + 3]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[lo + 2], k[8 + lo + 2]).fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o1 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 3], k[24 + lo + 3]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[16 + lo + 2], k[24 + lo + 2]).fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o2 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    a2 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 3], k[40 + lo + 3]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[32 + lo + 2], k[40 + lo + 2]).fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    h = ((IntVector) ByteVector.fromMemorySegment(B, s, o3 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 4 * half + 2);
                    a3 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 3], k[56 + lo + 3]).fma(xh,
                            ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[48 + lo + 2], k[56 + lo + 2]).fma(xl, a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * {@link #q5_k} on fewer than 16 lanes: per super-block a row at a time, each 64-column step's four factors used
     * as soon as formed. {@link #q5_k}'s form kept the four rows' sixteen factors out of the lane loop: with the four
     * sums, past AVX2's sixteen registers (Qwen-shape Q5_K decoding on AVX2, one thread: 8.8 / 9.1 -> 10.3 / 10.0 tok/s, side by side). Per row the
     * same operations in the same order, so the same bits.
     */
    private static void q5_kNarrow(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int xb = xOff + 256 * blk;
            long o0 = off + 176L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
            }
            for (int st = 0; st < 4; st++) { // 64-column steps: sub-blocks 2 st and 2 st + 1
                FloatVector dl = FloatVector.broadcast(F, k[2 * st]), ml = FloatVector.broadcast(F, k[8 + 2 * st]);
                FloatVector dh = FloatVector.broadcast(F, k[2 * st + 1]), mh = FloatVector.broadcast(F, k[8 + 2 * st + 1]);
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 * st + l;
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 48 + 32 * st + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o0 + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * st);
                    FloatVector wl = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml);
                    FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh);
                    a0 = wh.fma(FloatVector.fromArray(F, x, i + 32), wl.fma(FloatVector.fromArray(F, x, i), a0));
                }
            }
            for (int st = 0; st < 4; st++) { // 64-column steps: sub-blocks 2 st and 2 st + 1
                FloatVector dl = FloatVector.broadcast(F, k[16 + 2 * st]), ml = FloatVector.broadcast(F, k[24 + 2 * st]);
                FloatVector dh = FloatVector.broadcast(F, k[16 + 2 * st + 1]), mh = FloatVector.broadcast(F, k[24 + 2 * st + 1]);
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 * st + l;
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 48 + 32 * st + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o1 + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * st);
                    FloatVector wl = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml);
                    FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh);
                    a1 = wh.fma(FloatVector.fromArray(F, x, i + 32), wl.fma(FloatVector.fromArray(F, x, i), a1));
                }
            }
            for (int st = 0; st < 4; st++) { // 64-column steps: sub-blocks 2 st and 2 st + 1
                FloatVector dl = FloatVector.broadcast(F, k[32 + 2 * st]), ml = FloatVector.broadcast(F, k[40 + 2 * st]);
                FloatVector dh = FloatVector.broadcast(F, k[32 + 2 * st + 1]), mh = FloatVector.broadcast(F, k[40 + 2 * st + 1]);
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 * st + l;
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + 48 + 32 * st + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o2 + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * st);
                    FloatVector wl = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml);
                    FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh);
                    a2 = wh.fma(FloatVector.fromArray(F, x, i + 32), wl.fma(FloatVector.fromArray(F, x, i), a2));
                }
            }
            for (int st = 0; st < 4; st++) { // 64-column steps: sub-blocks 2 st and 2 st + 1
                FloatVector dl = FloatVector.broadcast(F, k[48 + 2 * st]), ml = FloatVector.broadcast(F, k[56 + 2 * st]);
                FloatVector dh = FloatVector.broadcast(F, k[48 + 2 * st + 1]), mh = FloatVector.broadcast(F, k[56 + 2 * st + 1]);
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 * st + l;
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + 48 + 32 * st + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, o3 + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * st);
                    FloatVector wl = ((FloatVector) v.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml);
                    FloatVector wh = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh);
                    a3 = wh.fma(FloatVector.fromArray(F, x, i + 32), wl.fma(FloatVector.fromArray(F, x, i), a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * Q6_K, as {@link FusedDot#q6_k}: per super-block the four rows' factors, then the block in two calls of
     * two rows each ({@link #q6_kBlockPair}), so that four rows stream from memory together. One method for all
     * four rows written out sat at C2's inlining budget (some runs compiled it with every vector boxed, decoding
     * 5x slower); two whole passes over two rows each read two rows at a time; a shared loop body for the four
     * rows selected each row's accumulator through branches. The calls pass no vectors, so nothing is boxed
     * whether C2 inlines them or not (at this size it does not). Qwen-shape Q6_K decoding, side by side: two
     * passes ~44 tok/s, these block pairs +0-13% (median +6%, seven pairs), four rows in one method ~57.
     * Where {@code wholeBlocks}, the block pairs go through {@link SuperBlockDot#q6_kBlockPair} (same bits).
     */
    static void q6_k(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out, boolean wholeBlocks) {
        float[] k = KQuantFactors.scratch();
        Arrays.fill(out, 0, 4 * VectorMath.LANES, 0f); // the four rows' accumulators
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            long o0 = off + 210L * blk;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.eightBitScales(s, o0 + r * stride, k, 32 * r);
            }
            if (wholeBlocks) {
                SuperBlockDot.q6_kBlockPair(s, o0, o0 + stride, x, xOff + 256 * blk, k, 0, out, 0);
                SuperBlockDot.q6_kBlockPair(s, o0 + 2 * stride, o0 + 3 * stride, x, xOff + 256 * blk, k, 64, out, 2);
            } else {
                q6_kBlockPair(s, o0, o0 + stride, x, xOff + 256 * blk, k, 0, out, 0);
                q6_kBlockPair(s, o0 + 2 * stride, o0 + 3 * stride, x, xOff + 256 * blk, k, 64, out, 2);
            }
        }
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * One super-block of rows {@code o0} and {@code o1} (factors at {@code k[kOff ..]} and {@code k[kOff + 32 ..]}),
     * added to the accumulators in lanes {@code out[first * LANES ..]} and the next.
     */
    private static void q6_kBlockPair(MemorySegment s, long o0, long o1, float[] x, int xb, float[] k, int kOff, float[] out, int first) {
        FloatVector a0 = FloatVector.fromArray(F, out, first * VectorMath.LANES);
        FloatVector a1 = FloatVector.fromArray(F, out, (first + 1) * VectorMath.LANES);
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l += F.length()) {
                int i = xb + 128 * half + l, f0 = kOff + 8 * half + l / 16, f1 = f0 + 32;
                FloatVector x1 = FloatVector.fromArray(F, x, i), x2 = FloatVector.fromArray(F, x, i + 32);
                FloatVector x3 = FloatVector.fromArray(F, x, i + 64), x4 = FloatVector.fromArray(F, x, i + 96);
                IntVector lowA0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lowB0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64 * half + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector high0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 128 + 32 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a0 = ((FloatVector) lowA0.and(0x0F).or(high0.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]).fma(x1, a0);
                a0 = ((FloatVector) lowB0.and(0x0F).or(high0.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]).fma(x2, a0);
                a0 = ((FloatVector) lowA0.lanewise(VectorOperators.LSHR, 4).or(high0.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]).fma(x3, a0);
                a0 = ((FloatVector) lowB0.lanewise(VectorOperators.LSHR, 4).or(high0.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]).fma(x4, a0);
                IntVector lowA1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lowB1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64 * half + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector high1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 128 + 32 * half + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a1 = ((FloatVector) lowA1.and(0x0F).or(high1.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]).fma(x1, a1);
                a1 = ((FloatVector) lowB1.and(0x0F).or(high1.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]).fma(x2, a1);
                a1 = ((FloatVector) lowA1.lanewise(VectorOperators.LSHR, 4).or(high1.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]).fma(x3, a1);
                a1 = ((FloatVector) lowB1.lanewise(VectorOperators.LSHR, 4).or(high1.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]).fma(x4, a1);
            }
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
    }

    static void bf16(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        // each row through a slice of exactly its whole vectors' bytes, as in EightRowDot.q8_0 (decoding +1.7%, one JVM)
        int vectors = n / F.length(), i = vectors * F.length();
        long rowBytes = 2L * i;
        MemorySegment r0 = s.asSlice(off, rowBytes), r1 = s.asSlice(off + stride, rowBytes), r2 = s.asSlice(off + 2 * stride, rowBytes), r3 = s.asSlice(off + 3 * stride, rowBytes);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < vectors; k++) {
            long at = 2L * F.length() * k;
            FloatVector xv = FloatVector.fromArray(F, x, xOff + F.length() * k);
            a0 = ((IntVector) ShortVector.fromMemorySegment(S, r0, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xv, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(S, r1, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xv, a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(S, r2, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xv, a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(S, r3, at, LE).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xv, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        for (int k = 0; k < 4; k++) {
            long o = off + k * stride;
            for (int t = i; t < n; t++) {
                out[k] += Float.intBitsToFloat((s.get(Le.I16, o + 2L * t) & 0xFFFF) << 16) * x[xOff + t];
            }
        }
    }

    /**
     * IEEE half rows, converted as {@link FusedDot#halfs} (exactly where finite: {@link BlockWeight} gives rows
     * holding an infinity or a NaN to the exact conversion).
     */
    static void f16(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        long o0 = off, o1 = off + stride, o2 = off + 2 * stride, o3 = off + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            // FusedDot.halfs written out: called four times here it is not inlined, and its vectors get boxed
            IntVector h0 = (IntVector) ShortVector.fromMemorySegment(S, s, o0 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector h1 = (IntVector) ShortVector.fromMemorySegment(S, s, o1 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector h2 = (IntVector) ShortVector.fromMemorySegment(S, s, o2 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector h3 = (IntVector) ShortVector.fromMemorySegment(S, s, o3 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            a0 = h0.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(xv, a0);
            a1 = h1.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(xv, a1);
            a2 = h2.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(xv, a2);
            a3 = h3.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(xv, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        for (int k = 0; k < 4; k++) {
            long o = off + k * stride;
            for (int t = i; t < n; t++) {
                out[k] += Float.float16ToFloat(s.get(Le.I16, o + 2L * t)) * x[xOff + t];
            }
        }
    }
}
