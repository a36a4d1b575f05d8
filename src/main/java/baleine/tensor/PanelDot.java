package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;
import static baleine.tensor.Species.S;

/**
 * Long batches (prefill): four rows are converted to floats once into a panel, each value exactly as the
 * type's kernels form it in registers, then every four vectors of the batch take sixteen products from the
 * panel with nothing left to convert. (The tile and four-vector kernels convert a row again for every four
 * vectors, which for 4- and 6-bit types costs more operations than the multiply-adds.) The panel products
 * visit the column chunks in the one-row kernel's {@link #order}, one accumulator per output, so results
 * match it bit for bit.
 */
final class PanelDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PanelDot() {
    }

    /**
     * Types with a panel: those whose conversion costs more than the panel's store and reload. Q8_0 converts in
     * three operations, and its panel pays only a little since the batch's interleaved copy is made once per
     * thread and product (Qwen-shape Q8_0 pp64 286 -> 303, pp512 266 -> 274, V2-Lite pp64 +3% side by side);
     * BF16 (two operations) was as fast with tiles at 64 vectors on AVX-512, but on AVX2, whose tiles go two rows
     * at a time, its panel pays from 24 vectors ({@code MatMul.panelFrom}; Qwen-shape BF16 pp64 1.177 in one JVM,
     * Zen 3). F32 and F16 have no tile kernel; F32's panel is a copy.
     */
    static boolean supports(GgmlType type) {
        return Species.FUSED && switch (type) {
            case F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            case BF16 -> F.length() < 16;
            default -> false;
        };
    }

    /**
     * The first column of each chunk of {@code LANES} columns, in the order the type's one-row kernel adds
     * them (e.g. Q4_K: per 64 values, the low nibbles of a chunk before the high ones), over the whole vectors
     * of a row; null where that is column order.
     */
    static int[] order(GgmlType type, int n) {
        int lanes = F.length(), whole = n - n % lanes;
        int[] order = new int[whole / lanes];
        int k = 0;
        switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1 -> { // per 32-value block: j (low nibbles), then j + 16 (high)
                for (int b = 0; b < n; b += 32) {
                    for (int j = 0; j < 16; j += lanes) {
                        order[k++] = b + j;
                        order[k++] = b + 16 + j;
                    }
                }
            }
            case Q4_K, Q5_K -> { // per 64 values: l (low nibbles), then l + 32 (high)
                for (int b = 0; b < n; b += 64) {
                    for (int l = 0; l < 32; l += lanes) {
                        order[k++] = b + l;
                        order[k++] = b + 32 + l;
                    }
                }
            }
            case Q6_K -> { // per 128 values: the four quarters of chunk l
                for (int b = 0; b < n; b += 128) {
                    for (int l = 0; l < 32; l += lanes) {
                        for (int quarter = 0; quarter < 4; quarter++) {
                            order[k++] = b + 32 * quarter + l;
                        }
                    }
                }
            }
            default -> {
                return null;
            }
        }
        for (k = 0; k < order.length; k++) {
            if (order[k] != k * lanes) {
                return order;
            }
        }
        return null;
    }

    /**
     * Rows {@code off + i * stride} for i in 0..3 ({@code n} values each) into {@code panel[pOff .. pOff + 4 n)},
     * interleaved: the m-th chunk of {@code LANES} values of row i (chunks in {@link #order}) at
     * {@code panel[pOff + (4 m + i) LANES ..]}, so that a tile reads the four rows as one stream; the values past
     * the last whole chunk (F32, F16) of row i at {@code panel[pOff + 4 whole + i (n - whole) ..]}, whole = n
     * rounded down to a multiple of LANES.
     */
    static void decode4(GgmlType type, MemorySegment s, long off, long stride, int n, MemorySegment panel, long pOff) {
        decode4(type, s, off, stride, n, panel, pOff, false);
    }

    /**
     * {@link #decode4}, F16 rows converted exactly even where a half is infinite or NaN when {@code exactHalves}
     * (the kernels' conversion, {@link FusedDot#halfs}, takes every half as finite).
     */
    static void decode4(GgmlType type, MemorySegment s, long off, long stride, int n, MemorySegment panel, long pOff, boolean exactHalves) {
        int whole = n - n % F.length();
        for (int i = 0; i < 4; i++) {
            long o = off + i * stride;
            long p = pOff + i * F.length();
            switch (type) {
                case F32 -> f32(s, o, n, panel, p, pOff + 4 * whole + i * (n - whole));
                case F16 -> f16(s, o, n, panel, p, pOff + 4 * whole + i * (n - whole), exactHalves);
                case BF16 -> bf16(s, o, n, panel, p, pOff + 4 * whole + i * (n - whole));
                case Q8_0 -> q8_0(s, o, n, panel, p);
                case Q4_0 -> q4_0(s, o, n, panel, p);
                case Q4_1, Q5_0, Q5_1 -> LegacyBlockDot.decode(type, s, o, n, panel, p);
                case Q4_K -> q4_k(s, o, n, panel, p);
                case Q5_K -> q5_k(s, o, n, panel, p);
                case Q6_K -> q6_k(s, o, n, panel, p);
                default -> throw new IllegalArgumentException("no panel for " + type);
            }
        }
    }

    private static void f32(MemorySegment s, long off, int n, MemorySegment p, long pOff, long tailOff) {
        int c = 0;
        for (; c + F.length() <= n; c += F.length()) {
            FloatVector.fromMemorySegment(F, s, off + 4L * c, LE).intoMemorySegment(p, 4L * (pOff + 4 * c), LE);
        }
        for (long t = tailOff; c < n; c++, t++) {
            p.setAtIndex(Le.F32, t, s.get(Le.F32, off + 4L * c));
        }
    }

    private static void bf16(MemorySegment s, long off, int n, MemorySegment p, long pOff, long tailOff) {
        int c = 0;
        for (; c + F.length() <= n; c += F.length()) {
            ((IntVector) ShortVector.fromMemorySegment(S, s, off + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(p, 4L * (pOff + 4 * c), LE);
        }
        for (long t = tailOff; c < n; c++, t++) {
            p.setAtIndex(Le.F32, t, Float.intBitsToFloat((s.get(Le.I16, off + 2L * c) & 0xFFFF) << 16));
        }
    }

    private static void f16(MemorySegment s, long off, int n, MemorySegment p, long pOff, long tailOff, boolean exact) {
        int c = 0;
        for (; c + F.length() <= n; c += F.length()) {
            (exact ? FusedDot.exactHalfs(s, off + 2L * c) : FusedDot.halfs(s, off + 2L * c)).intoMemorySegment(p, 4L * (pOff + 4 * c), LE);
        }
        for (long t = tailOff; c < n; c++, t++) {
            p.setAtIndex(Le.F32, t, Float.float16ToFloat(s.get(Le.I16, off + 2L * c)));
        }
    }

    /**
     * As {@link FusedDot#q8_0}: {@code q * d}. The row and the panel are read and written through slices of exactly
     * the bytes used, indexed from 0 by multiples of the block index: C2 then proves every access in bounds (offsets
     * into the whole segments cost a long bounds check set up per access and call; Qwen-shape Q8_0 pp64 +3.8%).
     */
    private static void q8_0(MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        int blocks = n / 32;
        if (blocks == 0) {
            return;
        }
        // a block is 4 x 32 floats of the panel; the row's chunks of it end LANES floats after the last one's start
        long panelBytes = 4L * 4 * 32 * (blocks - 1) + 4L * 4 * (32 - F.length()) + 4L * F.length();
        MemorySegment row = s.asSlice(off, 34L * blocks), panel = p.asSlice(4 * pOff, panelBytes);
        for (int k = 0; k < blocks; k++) {
            long at = 34L * k, to = 4L * 4 * 32 * k;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(row.get(Le.I16, at)));
            for (int j = 0; j < 32; j += F.length()) {
                ((FloatVector) ByteVector.fromMemorySegment(B, row, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoMemorySegment(panel, to + 16L * j, LE);
            }
        }
    }

    private static void q4_0(MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        long pb = 4 * pOff;
        for (int k = 0, blocks = n / 32; k < blocks; k++) {
            long at = off + 18L * k, to = pb + 4L * 4 * 32 * k;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Le.I16, at)));
            FloatVector m = d.mul(-8f);
            for (int j = 0; j < 16; j += F.length()) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, at + 2 + j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(d, m).intoMemorySegment(p, to + 16L * 2 * j, LE);
                ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(d, m).intoMemorySegment(p, to + 16L * (2 * j + F.length()), LE);
            }
        }
    }

    /** As {@link FusedDot#q4_k}: {@code fma(q, d scale, -dmin min)} per 32-value sub-block. */
    private static void q4_k(MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        float[] k = KQuantFactors.scratch();
        for (int kb = 0, blocks = n / 256; kb < blocks; kb++) {
            int b = 256 * kb;
            long at = off + 144L * kb;
            KQuantFactors.sixBitScales(s, at, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, at + 16 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    long i = pOff + 4 * (b + 64 * c + 2 * l);
                    ((FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]).intoMemorySegment(p, 4L * (i), LE);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]).intoMemorySegment(p, 4L * (i + 4 * F.length()), LE);
                }
            }
        }
    }

    /** As {@link FusedDot#q5_k}: Q4_K's values with the fifth bit from qh. */
    private static void q5_k(MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        float[] k = KQuantFactors.scratch();
        for (int kb = 0, blocks = n / 256; kb < blocks; kb++) {
            int b = 256 * kb;
            long at = off + 176L * kb;
            KQuantFactors.sixBitScales(s, at, k, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l += F.length()) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, at + 48 + 32 * c + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, s, at + 16 + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.ASHR, 2 * c);
                    long i = pOff + 4 * (b + 64 * c + 2 * l);
                    ((FloatVector) q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c], k[8 + 2 * c]).intoMemorySegment(p, 4L * (i), LE);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(k[2 * c + 1], k[9 + 2 * c]).intoMemorySegment(p, 4L * (i + 4 * F.length()), LE);
                }
            }
        }
    }

    /** As {@link FusedDot#q6_k}: {@code fma(q, s, -32 s)} per 16-value sub-block, s = d scale. */
    private static void q6_k(MemorySegment s, long off, int n, MemorySegment p, long pOff) {
        for (int b = 0; b < n; b += 256, off += 210) {
            float d = Float.float16ToFloat(s.get(Le.I16, off + 208));
            for (int half = 0; half < 2; half++) {
                long ql = off + 64 * half, qh = off + 128 + 32 * half, sc = off + 192 + 8 * half;
                long y = pOff + 4 * (b + 128 * half);
                for (int l = 0; l < 32; l += F.length()) {
                    int is = l / 16;
                    IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, ql + l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    float s1 = d * s.get(Le.I8, sc + is), s2 = d * s.get(Le.I8, sc + is + 2);
                    float s3 = d * s.get(Le.I8, sc + is + 4), s4 = d * s.get(Le.I8, sc + is + 6);
                    ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(s1, -32 * s1).intoMemorySegment(p, 4L * (y + 16 * l), LE);
                    ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(s2, -32 * s2).intoMemorySegment(p, 4L * (y + 16 * l + 4 * F.length()), LE);
                    ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s3, -32 * s3).intoMemorySegment(p, 4L * (y + 16 * l + 8 * F.length()), LE);
                    ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(s4, -32 * s4).intoMemorySegment(p, 4L * (y + 16 * l + 12 * F.length()), LE);
                }
            }
        }
    }

    /**
     * Columns {@code [c0, c1)} of the interleaved four-row panel at {@code p[pOff ..]} ({@link #decode4}) times
     * four vectors interleaved the same way ({@code x[(4 m + k) LANES ..]}), added lane-wise into the sixteen
     * accumulators at {@code acc[aOff + (4 i + k) LANES ..]}, or with {@code fresh} (a row's first column range)
     * stored there, the sums starting at zero: two streams, and the accumulators in registers for the whole column
     * range. (Zeroing the accumulators in memory and loading them back cost a Qwen-shape Q8_0 prompt 3-5%.) The loop
     * reads slices of exactly the range, indexed from 0: C2 then sets up its bounds checks in fewer instructions at
     * each call (a call costs ~100 cycles besides the loop; Qwen-shape Q8_0 pp64 +3.9% in one JVM).
     */
    static void tile(MemorySegment p, long pOff, MemorySegment x, long xOff, int c0, int c1, float[] acc, int aOff, boolean fresh) {
        if (F.length() < 16) { // two rows at a time: sixteen sums and four rows' weights spill AVX2's sixteen registers
            tileTwoRows(p, pOff, x, xOff, c0, c1, acc, aOff, fresh, 0);
            tileTwoRows(p, pOff, x, xOff, c0, c1, acc, aOff, fresh, 2);
            return;
        }
        int L = VectorMath.LANES;
        long bytes = 16L * (c1 - c0); // four chunks of L floats per column chunk
        MemorySegment ps = p.asSlice(4 * (pOff + 4L * c0), bytes), xs = x.asSlice(4 * (xOff + 4L * c0), bytes);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = fresh ? z : FloatVector.fromArray(F, acc, aOff), a01 = fresh ? z : FloatVector.fromArray(F, acc, aOff + L);
        FloatVector a02 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 2 * L), a03 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 3 * L);
        FloatVector a10 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 4 * L), a11 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 5 * L);
        FloatVector a12 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 6 * L), a13 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 7 * L);
        FloatVector a20 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 8 * L), a21 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 9 * L);
        FloatVector a22 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 10 * L), a23 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 11 * L);
        FloatVector a30 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 12 * L), a31 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 13 * L);
        FloatVector a32 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 14 * L), a33 = fresh ? z : FloatVector.fromArray(F, acc, aOff + 15 * L);
        for (long i = 0; i < bytes; i += 16L * L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, ps, i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, ps, i + 4 * L, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, ps, i + 8 * L, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, ps, i + 12 * L, LE);
            FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
            v = FloatVector.fromMemorySegment(F, xs, i + 4 * L, LE);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
            v = FloatVector.fromMemorySegment(F, xs, i + 8 * L, LE);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
            v = FloatVector.fromMemorySegment(F, xs, i + 12 * L, LE);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
        }
        a00.intoArray(acc, aOff);
        a01.intoArray(acc, aOff + L);
        a02.intoArray(acc, aOff + 2 * L);
        a03.intoArray(acc, aOff + 3 * L);
        a10.intoArray(acc, aOff + 4 * L);
        a11.intoArray(acc, aOff + 5 * L);
        a12.intoArray(acc, aOff + 6 * L);
        a13.intoArray(acc, aOff + 7 * L);
        a20.intoArray(acc, aOff + 8 * L);
        a21.intoArray(acc, aOff + 9 * L);
        a22.intoArray(acc, aOff + 10 * L);
        a23.intoArray(acc, aOff + 11 * L);
        a30.intoArray(acc, aOff + 12 * L);
        a31.intoArray(acc, aOff + 13 * L);
        a32.intoArray(acc, aOff + 14 * L);
        a33.intoArray(acc, aOff + 15 * L);
    }

    /**
     * {@link #tile}'s rows r and r + 1 (r = 0 or 2) with the four vectors: eight sums, each row's weights loaded once
     * per column chunk for the four, every sum's terms in {@link #tile}'s order (the same bits).
     */
    private static void tileTwoRows(MemorySegment p, long pOff, MemorySegment x, long xOff, int c0, int c1, float[] acc, int aOff, boolean fresh, int r) {
        int L = VectorMath.LANES;
        long bytes = 16L * (c1 - c0);
        MemorySegment ps = p.asSlice(4 * (pOff + 4L * c0), bytes), xs = x.asSlice(4 * (xOff + 4L * c0), bytes);
        int o0 = aOff + 4 * r * L, o1 = o0 + 4 * L;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = fresh ? z : FloatVector.fromArray(F, acc, o0), a01 = fresh ? z : FloatVector.fromArray(F, acc, o0 + L);
        FloatVector a02 = fresh ? z : FloatVector.fromArray(F, acc, o0 + 2 * L), a03 = fresh ? z : FloatVector.fromArray(F, acc, o0 + 3 * L);
        FloatVector a10 = fresh ? z : FloatVector.fromArray(F, acc, o1), a11 = fresh ? z : FloatVector.fromArray(F, acc, o1 + L);
        FloatVector a12 = fresh ? z : FloatVector.fromArray(F, acc, o1 + 2 * L), a13 = fresh ? z : FloatVector.fromArray(F, acc, o1 + 3 * L);
        long w = 4L * r * L;
        for (long i = 0; i < bytes; i += 16L * L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, ps, i + w, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, ps, i + w + 4 * L, LE);
            FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
            v = FloatVector.fromMemorySegment(F, xs, i + 4 * L, LE);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
            v = FloatVector.fromMemorySegment(F, xs, i + 8 * L, LE);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
            v = FloatVector.fromMemorySegment(F, xs, i + 12 * L, LE);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
        }
        a00.intoArray(acc, o0);
        a01.intoArray(acc, o0 + L);
        a02.intoArray(acc, o0 + 2 * L);
        a03.intoArray(acc, o0 + 3 * L);
        a10.intoArray(acc, o1);
        a11.intoArray(acc, o1 + L);
        a12.intoArray(acc, o1 + 2 * L);
        a13.intoArray(acc, o1 + 3 * L);
    }

    /**
     * {@link #tile} for types with block scales (FP8), over the blocks of {@code block} columns in {@code [c0, c1)}:
     * per block the sixteen sums start from zero, then each is added times its row's scale,
     * {@code acc = fma(k_i, sum, acc)}, with k_i = {@code scales[sOff + 4 b + i]} for the b-th block of the range.
     * The loop is {@link #tile}'s, written out again: calling {@code tile} on a zeroed scratch from here measured
     * 20% slower on the V3-shape FP8 prompt, some runs with boxed vectors (C2's inlining budget), and calling it
     * from the panel product followed by a separate scaling step 10% slower. All the blocks of a range in one call:
     * a call per block (eight steps of 16 columns) spent more on entering the loop than on the loop. Slices of the
     * range, as {@link #tile} reads, make each block's loop entry cheaper still (V3-shape FP8 pp64 +8.6%).
     */
    static void scaledTile(MemorySegment p, long pOff, MemorySegment x, long xOff, int c0, int c1, int block, float[] scales, int sOff,
                           float[] acc, int aOff) {
        if (F.length() < 16) { // two rows at a time, as tile
            scaledTileTwoRows(p, pOff, x, xOff, c0, c1, block, scales, sOff, acc, aOff, 0);
            scaledTileTwoRows(p, pOff, x, xOff, c0, c1, block, scales, sOff, acc, aOff, 2);
            return;
        }
        int L = VectorMath.LANES;
        long bytes = 16L * (c1 - c0);
        MemorySegment ps = p.asSlice(4 * (pOff + 4L * c0), bytes), xs = x.asSlice(4 * (xOff + 4L * c0), bytes);
        for (int j0 = 0, b = sOff; j0 < c1 - c0; j0 += block, b += 4) {
            FloatVector z = FloatVector.zero(F);
            FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
            for (long i = 16L * j0, end = 16L * (j0 + block); i < end; i += 16L * L) {
                FloatVector w0 = FloatVector.fromMemorySegment(F, ps, i, LE);
                FloatVector w1 = FloatVector.fromMemorySegment(F, ps, i + 4 * L, LE);
                FloatVector w2 = FloatVector.fromMemorySegment(F, ps, i + 8 * L, LE);
                FloatVector w3 = FloatVector.fromMemorySegment(F, ps, i + 12 * L, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
                v = FloatVector.fromMemorySegment(F, xs, i + 4 * L, LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
                v = FloatVector.fromMemorySegment(F, xs, i + 8 * L, LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
                v = FloatVector.fromMemorySegment(F, xs, i + 12 * L, LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
            }
            FloatVector g0 = FloatVector.broadcast(F, scales[b]);
            g0.fma(a00, FloatVector.fromArray(F, acc, aOff)).intoArray(acc, aOff);
            g0.fma(a01, FloatVector.fromArray(F, acc, aOff + L)).intoArray(acc, aOff + L);
            g0.fma(a02, FloatVector.fromArray(F, acc, aOff + 2 * L)).intoArray(acc, aOff + 2 * L);
            g0.fma(a03, FloatVector.fromArray(F, acc, aOff + 3 * L)).intoArray(acc, aOff + 3 * L);
            g0 = FloatVector.broadcast(F, scales[b + 1]);
            g0.fma(a10, FloatVector.fromArray(F, acc, aOff + 4 * L)).intoArray(acc, aOff + 4 * L);
            g0.fma(a11, FloatVector.fromArray(F, acc, aOff + 5 * L)).intoArray(acc, aOff + 5 * L);
            g0.fma(a12, FloatVector.fromArray(F, acc, aOff + 6 * L)).intoArray(acc, aOff + 6 * L);
            g0.fma(a13, FloatVector.fromArray(F, acc, aOff + 7 * L)).intoArray(acc, aOff + 7 * L);
            g0 = FloatVector.broadcast(F, scales[b + 2]);
            g0.fma(a20, FloatVector.fromArray(F, acc, aOff + 8 * L)).intoArray(acc, aOff + 8 * L);
            g0.fma(a21, FloatVector.fromArray(F, acc, aOff + 9 * L)).intoArray(acc, aOff + 9 * L);
            g0.fma(a22, FloatVector.fromArray(F, acc, aOff + 10 * L)).intoArray(acc, aOff + 10 * L);
            g0.fma(a23, FloatVector.fromArray(F, acc, aOff + 11 * L)).intoArray(acc, aOff + 11 * L);
            g0 = FloatVector.broadcast(F, scales[b + 3]);
            g0.fma(a30, FloatVector.fromArray(F, acc, aOff + 12 * L)).intoArray(acc, aOff + 12 * L);
            g0.fma(a31, FloatVector.fromArray(F, acc, aOff + 13 * L)).intoArray(acc, aOff + 13 * L);
            g0.fma(a32, FloatVector.fromArray(F, acc, aOff + 14 * L)).intoArray(acc, aOff + 14 * L);
            g0.fma(a33, FloatVector.fromArray(F, acc, aOff + 15 * L)).intoArray(acc, aOff + 15 * L);
        }
    }

    /** {@link #scaledTile}'s rows r and r + 1 (r = 0 or 2), as {@link #tileTwoRows} splits {@link #tile}: the same bits. */
    private static void scaledTileTwoRows(MemorySegment p, long pOff, MemorySegment x, long xOff, int c0, int c1, int block, float[] scales, int sOff,
                                          float[] acc, int aOff, int r) {
        int L = VectorMath.LANES;
        long bytes = 16L * (c1 - c0), w = 4L * r * L;
        MemorySegment ps = p.asSlice(4 * (pOff + 4L * c0), bytes), xs = x.asSlice(4 * (xOff + 4L * c0), bytes);
        int o0 = aOff + 4 * r * L, o1 = o0 + 4 * L;
        for (int j0 = 0, b = sOff; j0 < c1 - c0; j0 += block, b += 4) {
            FloatVector z = FloatVector.zero(F);
            FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            for (long i = 16L * j0, end = 16L * (j0 + block); i < end; i += 16L * L) {
                FloatVector w0 = FloatVector.fromMemorySegment(F, ps, i + w, LE);
                FloatVector w1 = FloatVector.fromMemorySegment(F, ps, i + w + 4 * L, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, xs, i, LE);
                a00 = w0.fma(v, a00); a10 = w1.fma(v, a10);
                v = FloatVector.fromMemorySegment(F, xs, i + 4 * L, LE);
                a01 = w0.fma(v, a01); a11 = w1.fma(v, a11);
                v = FloatVector.fromMemorySegment(F, xs, i + 8 * L, LE);
                a02 = w0.fma(v, a02); a12 = w1.fma(v, a12);
                v = FloatVector.fromMemorySegment(F, xs, i + 12 * L, LE);
                a03 = w0.fma(v, a03); a13 = w1.fma(v, a13);
            }
            FloatVector g0 = FloatVector.broadcast(F, scales[b + r]);
            g0.fma(a00, FloatVector.fromArray(F, acc, o0)).intoArray(acc, o0);
            g0.fma(a01, FloatVector.fromArray(F, acc, o0 + L)).intoArray(acc, o0 + L);
            g0.fma(a02, FloatVector.fromArray(F, acc, o0 + 2 * L)).intoArray(acc, o0 + 2 * L);
            g0.fma(a03, FloatVector.fromArray(F, acc, o0 + 3 * L)).intoArray(acc, o0 + 3 * L);
            g0 = FloatVector.broadcast(F, scales[b + r + 1]);
            g0.fma(a10, FloatVector.fromArray(F, acc, o1)).intoArray(acc, o1);
            g0.fma(a11, FloatVector.fromArray(F, acc, o1 + L)).intoArray(acc, o1 + L);
            g0.fma(a12, FloatVector.fromArray(F, acc, o1 + 2 * L)).intoArray(acc, o1 + 2 * L);
            g0.fma(a13, FloatVector.fromArray(F, acc, o1 + 3 * L)).intoArray(acc, o1 + 3 * L);
        }
    }
}
