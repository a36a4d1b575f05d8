package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;

/**
 * Fused kernels for the 32-value blocks with a minimum or a fifth bit: Q4_1, Q5_0, Q5_1 (Q5_0 is what
 * llama.cpp's K-quant mixes fall back to for rows that are not a multiple of 256, e.g. DeepSeek-V2-Lite's
 * expert down projections). Value j of a block is {@code fma(q_j, d, offset)}: q_j is the nibble, plus 16
 * times bit j of {@code qh} for the 5-bit types; offset is the block's minimum m (Q4_1, Q5_1) or -16 d (Q5_0,
 * where fma(q, d, -16d) is (q - 16) d rounded once). Values 0..15 of a block, then 16..31; every kernel
 * (one or four rows, one or four vectors) follows this order, so all agree bit for bit.
 */
final class LegacyBlockDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * How a block's fifth bits reach the lanes. On 16 lanes (AVX-512) as a mask register and one masked OR of 16:
     * the four-row Q5_0 kernel 0.90-0.95x the time of spreading them by shifts (broadcast the word, shift each
     * lane's bit down, mask it, shift it to 16, OR); with AVX2, which has no mask registers, the masked form took
     * 1.10-1.14x, so there the shifts stay. The same integers either way.
     */
    private static final boolean MASKED_FIFTH_BITS = F.length() == 16;
    private static final IntVector LANE = IntVector.zero(I).addIndex(1);

    private LegacyBlockDot() {
    }

    static boolean supports(GgmlType type) {
        return Species.FUSED && (type == GgmlType.Q4_1 || type == GgmlType.Q5_0 || type == GgmlType.Q5_1);
    }

    /** Where a block keeps its parts: the minimum (or none), the fifth bits (or none), the nibbles. */
    private record Layout(int bytes, boolean hasMin, boolean hasFifthBit, int nibbles) {
        private static final Layout Q4_1 = new Layout(20, true, false, 4), Q5_0 = new Layout(22, false, true, 6), Q5_1 = new Layout(24, true, true, 8);

        /** One instance per type: a layout passed to a kernel that is not inlined would otherwise be allocated per call. */
        static Layout of(GgmlType type) {
            return switch (type) {
                case Q4_1 -> Q4_1;
                case Q5_0 -> Q5_0;
                case Q5_1 -> Q5_1;
                default -> throw new IllegalArgumentException("no legacy block kernel for " + type);
            };
        }

        /** The block's additive term: its minimum, or -16 d for Q5_0. */
        float offset(MemorySegment s, long block, float d) {
            return hasMin ? Float.float16ToFloat(s.get(Le.I16, block + 2)) : -16 * d;
        }
    }

    static float dot(GgmlType type, MemorySegment s, long off, float[] x, int xOff, int n) {
        Layout layout = Layout.of(type);
        int bytes = layout.bytes(), nibbles = layout.nibbles();
        boolean fifth = layout.hasFifthBit();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, off += bytes) {
            float d = Float.float16ToFloat(s.get(Le.I16, off));
            float offset = layout.offset(s, off, d);
            int qh = fifth ? s.get(Le.I32, off + nibbles - 4) : 0;
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lo = q.and(0x0F), hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = withFifthBits(lo, qh >>> j);
                    hi = withFifthBits(hi, qh >>> (j + 16));
                }
                FloatVector wl = ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset);
                FloatVector wh = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset);
                int i = xOff + b + j;
                acc = wh.fma(FloatVector.fromArray(F, x, i + 16), wl.fma(FloatVector.fromArray(F, x, i), acc));
            }
        }
        return VectorMath.sumLanes(acc);
    }

    /** {@link #dot} with four vectors: each block converted once, the same operations per vector. */
    static void dot4(GgmlType type, MemorySegment s, long off, float[][] x, int t0, int xOff, int n, float[] out) {
        Layout layout = Layout.of(type);
        int bytes = layout.bytes(), nibbles = layout.nibbles();
        boolean fifth = layout.hasFifthBit();
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n; b += 32, off += bytes) {
            float d = Float.float16ToFloat(s.get(Le.I16, off));
            float offset = layout.offset(s, off, d);
            int qh = fifth ? s.get(Le.I32, off + nibbles - 4) : 0;
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lo = q.and(0x0F), hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = withFifthBits(lo, qh >>> j);
                    hi = withFifthBits(hi, qh >>> (j + 16));
                }
                FloatVector wl = ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset);
                FloatVector wh = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset);
                int i = xOff + b + j;
                a0 = wh.fma(FloatVector.fromArray(F, x0, i + 16), wl.fma(FloatVector.fromArray(F, x0, i), a0));
                a1 = wh.fma(FloatVector.fromArray(F, x1, i + 16), wl.fma(FloatVector.fromArray(F, x1, i), a1));
                a2 = wh.fma(FloatVector.fromArray(F, x2, i + 16), wl.fma(FloatVector.fromArray(F, x2, i), a2));
                a3 = wh.fma(FloatVector.fromArray(F, x3, i + 16), wl.fma(FloatVector.fromArray(F, x3, i), a3));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * Four rows {@code stride} bytes apart times one vector (decoding: the rows' memory streams, each chunk of x
     * loaded once per pair of rows), the same operations per row as {@link #dot}: two passes over two rows, each
     * written out ({@link #twoRows}). A loop over the four rows selected each row's accumulator through branches
     * (V2-Lite-shape Q4_K decoding, whose expert down projections are Q5_0: +19-25% written out); four rows written
     * out in one method risk C2's inlining budget (the Q6_K kernel compiled boxed once that way).
     */
    static void fourRows(GgmlType type, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        Layout layout = Layout.of(type);
        twoRows(layout, s, off, stride, x, xOff, n, out, 0);
        twoRows(layout, s, off + 2 * stride, stride, x, xOff, n, out, 2);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * Rows {@code off} and {@code off + stride} into lanes {@code out[first * LANES ..]}, blocks addressed by index;
     * {@link #withFifthBits} written out (called eight times per step it was not inlined, and its vectors got boxed).
     */
    private static void twoRows(Layout layout, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out, int first) {
        int bytes = layout.bytes(), nibbles = layout.nibbles();
        boolean fifth = layout.hasFifthBit();
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            int b = 32 * k;
            long o0 = off + (long) bytes * k, o1 = o0 + stride;
            float d0 = Float.float16ToFloat(s.get(Le.I16, o0)), d1 = Float.float16ToFloat(s.get(Le.I16, o1));
            float m0 = layout.offset(s, o0, d0), m1 = layout.offset(s, o1, d1);
            int qh0 = fifth ? s.get(Le.I32, o0 + nibbles - 4) : 0, qh1 = fifth ? s.get(Le.I32, o1 + nibbles - 4) : 0;
            for (int j = 0; j < 16; j += F.length()) {
                int i = xOff + b + j;
                FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 16);
                IntVector q, lo, hi;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.and(0x0F);
                hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = MASKED_FIFTH_BITS ? lo.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh0 >>> j))
                            : lo.or(IntVector.broadcast(I, qh0 >>> j).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                    hi = MASKED_FIFTH_BITS ? hi.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh0 >>> (j + 16)))
                            : hi.or(IntVector.broadcast(I, qh0 >>> (j + 16)).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                a0 = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0).fma(xh, ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0).fma(xl, a0));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.and(0x0F);
                hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = MASKED_FIFTH_BITS ? lo.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh1 >>> j))
                            : lo.or(IntVector.broadcast(I, qh1 >>> j).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                    hi = MASKED_FIFTH_BITS ? hi.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh1 >>> (j + 16)))
                            : hi.or(IntVector.broadcast(I, qh1 >>> (j + 16)).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                a1 = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1).fma(xh, ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1).fma(xl, a1));
            }
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
    }

    /**
     * {@link #fourRows} times two vectors, each row's values formed once for both: {@code out[k]} for {@code x0},
     * {@code out[4 + k]} for {@code x1} ({@link PairDot}'s layout), per row and vector the operations of {@link #dot}.
     */
    static void fourRowsPair(GgmlType type, MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        Layout layout = Layout.of(type);
        twoRowsPair(layout, s, off, stride, x0, x1, xOff, n, out, 0);
        twoRowsPair(layout, s, off + 2 * stride, stride, x0, x1, xOff, n, out, 2);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /** {@link #twoRows} for two vectors: rows {@code off} and {@code off + stride} into lanes {@code first}, {@code first + 1} (x0) and {@code 4 + first}, {@code 5 + first} (x1). */
    private static void twoRowsPair(Layout layout, MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out, int first) {
        int bytes = layout.bytes(), nibbles = layout.nibbles();
        boolean fifth = layout.hasFifthBit();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            int b = 32 * k;
            long o0 = off + (long) bytes * k, o1 = o0 + stride;
            float d0 = Float.float16ToFloat(s.get(Le.I16, o0)), d1 = Float.float16ToFloat(s.get(Le.I16, o1));
            float m0 = layout.offset(s, o0, d0), m1 = layout.offset(s, o1, d1);
            int qh0 = fifth ? s.get(Le.I32, o0 + nibbles - 4) : 0, qh1 = fifth ? s.get(Le.I32, o1 + nibbles - 4) : 0;
            for (int j = 0; j < 16; j += F.length()) {
                int i = xOff + b + j;
                FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 16);
                FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 16);
                IntVector q, lo, hi;
                FloatVector wl, wh;
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.and(0x0F);
                hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = MASKED_FIFTH_BITS ? lo.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh0 >>> j))
                            : lo.or(IntVector.broadcast(I, qh0 >>> j).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                    hi = MASKED_FIFTH_BITS ? hi.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh0 >>> (j + 16)))
                            : hi.or(IntVector.broadcast(I, qh0 >>> (j + 16)).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                wl = ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0);
                wh = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d0, m0);
                a0 = wh.fma(uh, wl.fma(ul, a0));
                b0 = wh.fma(vh, wl.fma(vl, b0));
                q = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                lo = q.and(0x0F);
                hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = MASKED_FIFTH_BITS ? lo.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh1 >>> j))
                            : lo.or(IntVector.broadcast(I, qh1 >>> j).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                    hi = MASKED_FIFTH_BITS ? hi.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, qh1 >>> (j + 16)))
                            : hi.or(IntVector.broadcast(I, qh1 >>> (j + 16)).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                wl = ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1);
                wh = ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d1, m1);
                a1 = wh.fma(uh, wl.fma(ul, a1));
                b1 = wh.fma(vh, wl.fma(vl, b1));
            }
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
        b0.intoArray(out, (4 + first) * VectorMath.LANES);
        b1.intoArray(out, (5 + first) * VectorMath.LANES);
    }

    /** Row values as {@link #dot} forms them, in the order it adds them, into prefill's panel ({@link PanelDot#decode4}: chunk m at {@code p[pOff + 4 m LANES ..]}). */
    static void decode(GgmlType type, MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        Layout layout = Layout.of(type);
        int bytes = layout.bytes(), nibbles = layout.nibbles();
        boolean fifth = layout.hasFifthBit();
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            int b = 32 * k;
            long at = off + (long) bytes * k;
            float d = Float.float16ToFloat(s.get(Le.I16, at));
            float offset = layout.offset(s, at, d);
            int qh = fifth ? s.get(Le.I32, at + nibbles - 4) : 0;
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, at + nibbles + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector lo = q.and(0x0F), hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = withFifthBits(lo, qh >>> j);
                    hi = withFifthBits(hi, qh >>> (j + 16));
                }
                ((FloatVector) lo.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset).intoMemorySegment(p, 4L * (pOff + 4 * (b + 2 * j)), LE);
                ((FloatVector) hi.convertShape(VectorOperators.I2F, F, 0)).fma(d, offset).intoMemorySegment(p, 4L * (pOff + 4 * (b + 2 * j + F.length())), LE);
            }
        }
    }

    /** {@code nibbles} with 16 added in lane i where bit i of {@code bits} is set (small enough for C2 to inline: no boxing). */
    private static IntVector withFifthBits(IntVector nibbles, int bits) {
        return MASKED_FIFTH_BITS ? nibbles.lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, bits))
                : nibbles.or(IntVector.broadcast(I, bits).lanewise(VectorOperators.LSHR, LANE).and(1).lanewise(VectorOperators.LSHL, 4));
    }
}
