package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.L;
import static baleine.tensor.NibbleColumns.ROWS;
import static baleine.tensor.NibbleColumns.S;
import static baleine.tensor.NibbleColumns.slot;
import static baleine.tensor.Q5_0Groups.COLUMN;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * Q5_K rows regrouped 64 at a time, multiplied by activations rounded per 256 values as llama.cpp rounds them for
 * Q5_K ({@link Int8Batch.Rounding#Q8_K}). Per super-block of 256 columns a group holds the 64 rows' d, dmin and packed
 * 6-bit scales and mins as {@link Q4_KGroups} holds them (1024 bytes), then the eight sub-blocks' 32 columns of 40
 * bytes each, as {@link Q5_0Groups} holds a block's columns (the rows' low four bits in {@link NibbleColumns}' byte
 * order, their fifth bits per column or per pair of columns: {@link Q5_0Groups#nibblesAt}): exactly the bytes of its
 * 64 rows (64 x 176), so rows are regrouped in place.
 *
 * <p>A row's value is {@code d sc_j q - dmin m_j} in sub-block j (q 0..31). With {@code S = sum (q - 16) x} (16-bit
 * sums per half sub-block, as Q5_0's, added in 32 bits) and {@code X = sum x}: {@code sum value * x = F_j S + G_j X},
 * where {@code F_j = d sc_j} and {@code G_j = 16 F_j - dmin m_j}. Each row adds {@code (F_j S + G_j X) d_x} to its
 * float total, sub-block after sub-block, the same whatever the batch. The vector kernels have a scalar twin ({@link
 * #dotScalar}) that the tests compare them with.
 */
final class Q5_KGroups {
    static final int SUPER = 256;
    private static final int SUBS = SUPER / BLOCK;
    private static final int D_AT = 0, DMIN_AT = 2 * ROWS, COLUMNS_AT = 16 * ROWS; // the head as Q4_K's
    private static final int SUB_BYTES = BLOCK * COLUMN;
    /** A group's bytes per super-block: as many as its 64 rows take in Q5_K (176 bytes per row and super-block). */
    static final int SUPER_BYTES = COLUMNS_AT + SUBS * SUB_BYTES;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VarHandle QH = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN); // eight qh bytes

    private Q5_KGroups() {
    }

    /**
     * Regroups the 64 Q5_K rows at {@code off} ({@code supers} super-blocks each) of {@code source} into the
     * same place of {@code target} (the same segment: in place).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int supers) {
        int rowBytes = 176 * supers, bytes = ROWS * rowBytes;
        byte[][] buffers = NibbleColumns.regroupBuffers(source, off, bytes);
        byte[] rows = buffers[0], group = buffers[1];
        int[] words = new int[SUBS * ROWS]; // sub-block j's fifth bits of row r at [64 j + r], bit l: column l's
        for (int b = 0; b < supers; b++) {
            int to = SUPER_BYTES * b;
            for (int r = 0; r < ROWS; r++) {
                int from = r * rowBytes + 176 * b;
                Q4_KGroups.placeHead(rows, from, group, to, r);
                fifthBitWords(rows, from + 16, words, r);
            }
            for (int j = 0; j < SUBS; j++) {
                Q5_0Groups.placeFifthBits(group, to + COLUMNS_AT + SUB_BYTES * j, words, ROWS * j);
            }
            // sub-block j's low four bits: byte 32 (j / 2) + l of qs, the low nibble for even j, the high one for odd
            for (int c = 0; c < SUBS / 2; c++) {
                int even = to + COLUMNS_AT + SUB_BYTES * 2 * c;
                NibbleColumns.placeNibbles(rows, rowBytes, 176 * b + 48 + 32 * c, BLOCK, group, even, Q5_0Groups.NIBBLES_AT, even + SUB_BYTES, Q5_0Groups.NIBBLES_AT);
            }
        }
        MemorySegment.copy(group, 0, target, ValueLayout.JAVA_BYTE, off, bytes);
    }

    /**
     * Row r's eight sub-blocks' fifth bits, from its 32 qh bytes at {@code rows[at ..]}, into {@code words[64 j + r]}:
     * sub-block j's bit l is bit j of qh[l]. Eight qh bytes at a time: their bit j masked (one bit a byte) and
     * multiplied by 2^7 + 2^14 + ... + 2^56, which moves byte q's bit to bit 56 + q with no two products on one bit.
     */
    static void fifthBitWords(byte[] rows, int at, int[] words, int r) {
        long q0 = (long) QH.get(rows, at), q1 = (long) QH.get(rows, at + 8), q2 = (long) QH.get(rows, at + 16), q3 = (long) QH.get(rows, at + 24);
        for (int j = 0; j < SUBS; j++) {
            words[ROWS * j + r] = gather(q0 >>> j) | gather(q1 >>> j) << 8 | gather(q2 >>> j) << 16 | gather(q3 >>> j) << 24;
        }
    }

    /** Bit 0 of each of the eight bytes of {@code v}, as the eight bits of a byte (byte q's in bit q). */
    private static int gather(long v) {
        return (int) (((v & 0x0101010101010101L) * 0x0102040810204080L) >>> 56);
    }

    private static long columns(long o, int j) {
        return o + COLUMNS_AT + (long) SUB_BYTES * j;
    }

    /** Row {@code lane} of the group at {@code g} as floats, as Q5_K decodes it. */
    static void decodeRow(MemorySegment s, long g, int supers, int lane, float[] dst) {
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            float d = Q4_KGroups.half(s, o + D_AT + 2L * slot(lane)), dmin = Q4_KGroups.half(s, o + DMIN_AT + 2L * slot(lane));
            for (int j = 0; j < SUBS; j++) {
                float scale = d * Q4_KGroups.sixBits(s, o, lane, j, false), min = dmin * Q4_KGroups.sixBits(s, o, lane, j, true);
                for (int c = 0; c < BLOCK; c++) {
                    dst[SUPER * b + BLOCK * j + c] = scale * Q5_0Groups.value(s, columns(o, j), c, lane) - min;
                }
            }
        }
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int supers, int lane, Int8Batch x, int t) {
        float total = 0;
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            float d = Q4_KGroups.half(s, o + D_AT + 2L * slot(lane)), dmin = Q4_KGroups.half(s, o + DMIN_AT + 2L * slot(lane));
            for (int j = 0; j < SUBS; j++) {
                int at = x.at(SUBS * b + j, t), sum = 0;
                for (int c = 0; c < BLOCK; c++) {
                    sum += (Q5_0Groups.value(s, columns(o, j), c, lane) - 16) * x.q[BLOCK * at + c];
                }
                float f = d * Q4_KGroups.sixBits(s, o, lane, j, false), gm = 16 * f + -dmin * Q4_KGroups.sixBits(s, o, lane, j, true);
                total = Math.fma(Math.fma(gm, (float) x.sums[at], f * sum), x.d[at], total);
            }
        }
        return total;
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k, sub-block after sub-block, each read
     * for all the vectors while in the first-level cache. {@code sums} is scratch of 1024 shorts (eight vectors' sums),
     * {@code factors} of {@link Q4_KGroups#FACTORS} floats.
     */
    static void dot(MemorySegment s, long g, int supers, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] factors) {
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            Q4_KGroups.factors(s, o, factors, 16f);
            for (int j = 0; j < SUBS; j++) {
                columnsTimes(s, columns(o, j), x, SUBS * b + j, t0, count, sums, factors, ROWS * j, ROWS * (SUBS + j), out);
            }
        }
    }

    /**
     * The 32 columns of 40 bytes at {@code cols} (Q5_0's layout; activation block {@code block}) times vectors t0 ..
     * t0 + count, added to their totals as {@code (F S + G X) d_x}, the rows' F at {@code f[fe ..]} and G at {@code
     * f[ge ..]} (slot order): Q5_K's sub-blocks and Q5_1's blocks.
     */
    static void columnsTimes(MemorySegment s, long cols, Int8Batch x, int block, int t0, int count, short[] sums, float[] f, int fe, int ge, float[] out) {
        if (count == 1) {
            oneVector(s, cols, x, block, t0, sums, f, fe, ge, out);
            return;
        }
        int k = 0;
        if (NibbleColumns.BATCH == 8) {
            for (; k + 8 <= count; k += 8) {
                sumsOfEight(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
                addSums(x, block, t0 + k, 8, sums, f, fe, ge, out, ROWS * k);
            }
        }
        for (; k + 4 <= count; k += 4) {
            Q5_0Groups.sumsOfFour(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
            addSums(x, block, t0 + k, 4, sums, f, fe, ge, out, ROWS * k);
        }
        for (; k + 2 <= count; k += 2) {
            Q5_0Groups.sumsOfTwo(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
            addSums(x, block, t0 + k, 2, sums, f, fe, ge, out, ROWS * k);
        }
        if (k < count) {
            Q5_0Groups.sumsOfOne(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
            addSums(x, block, t0 + k, 1, sums, f, fe, ge, out, ROWS * k);
        }
    }

    /**
     * {@link #columnsTimes} for one vector (decoding), a method of its own: with the passes for prompts around it, a
     * decode that followed a prompt was often left with boxed vectors (V2-Lite-shape Q5_K_M, pp64 then tg32: 4–9 MiB of
     * heap per generated token in 5 runs of 9; with this method 1 of 8).
     */
    private static void oneVector(MemorySegment s, long cols, Int8Batch x, int block, int t, short[] sums, float[] f, int fe, int ge, float[] out) {
        Q5_0Groups.sumsOfOne(s, cols, x.q, BLOCK * x.at(block, t), sums);
        addSums(x, block, t, 1, sums, f, fe, ge, out, 0);
    }

    /**
     * {@link Q5_0Groups#sumsOfFour} for eight vectors (512-bit vectors only: sixteen sums in registers), vector k's
     * sums at {@code sums[128 k ..]}: each column's bits unpacked once for the eight. Written out: vectors in arrays,
     * or passed to a method, are boxed.
     */
    private static void sumsOfEight(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        for (int half = 0; half < BLOCK; half += 16) {
            ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
            ShortVector l4 = l0, h4 = l0, l5 = l0, h5 = l0, l6 = l0, h6 = l0, l7 = l0, h7 = l0;
            // the half's columns through a slice of exactly their bytes, indexed from 0: C2 proves the loads in bounds
            // once, where against the whole matrix it set up each column's bounds check anew (~60 scalar instructions a
            // column beside 49 vector ones)
            MemorySegment columns = s.asSlice(cols + (long) COLUMN * half, COLUMN * 16L);
            for (int c = half; c < half + 16; c++) {
                long at = (long) COLUMN * (c - half);
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(NibbleColumns.B, columns, at, NibbleColumns.LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                long fifth = columns.get(Le.I64, at + 32);
                ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth));
                ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> 32));
                ShortVector xc;
                xc = ShortVector.broadcast(S, x[xb + c]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
                xc = ShortVector.broadcast(S, x[xb + 32 + c]);
                l1 = lo.mul(xc).add(l1);
                h1 = hi.mul(xc).add(h1);
                xc = ShortVector.broadcast(S, x[xb + 64 + c]);
                l2 = lo.mul(xc).add(l2);
                h2 = hi.mul(xc).add(h2);
                xc = ShortVector.broadcast(S, x[xb + 96 + c]);
                l3 = lo.mul(xc).add(l3);
                h3 = hi.mul(xc).add(h3);
                xc = ShortVector.broadcast(S, x[xb + 128 + c]);
                l4 = lo.mul(xc).add(l4);
                h4 = hi.mul(xc).add(h4);
                xc = ShortVector.broadcast(S, x[xb + 160 + c]);
                l5 = lo.mul(xc).add(l5);
                h5 = hi.mul(xc).add(h5);
                xc = ShortVector.broadcast(S, x[xb + 192 + c]);
                l6 = lo.mul(xc).add(l6);
                h6 = hi.mul(xc).add(h6);
                xc = ShortVector.broadcast(S, x[xb + 224 + c]);
                l7 = lo.mul(xc).add(l7);
                h7 = hi.mul(xc).add(h7);
            }
            l0.intoArray(sums, 4 * half);
            h0.intoArray(sums, 4 * half + 32);
            l1.intoArray(sums, 128 + 4 * half);
            h1.intoArray(sums, 128 + 4 * half + 32);
            l2.intoArray(sums, 256 + 4 * half);
            h2.intoArray(sums, 256 + 4 * half + 32);
            l3.intoArray(sums, 384 + 4 * half);
            h3.intoArray(sums, 384 + 4 * half + 32);
            l4.intoArray(sums, 512 + 4 * half);
            h4.intoArray(sums, 512 + 4 * half + 32);
            l5.intoArray(sums, 640 + 4 * half);
            h5.intoArray(sums, 640 + 4 * half + 32);
            l6.intoArray(sums, 768 + 4 * half);
            h6.intoArray(sums, 768 + 4 * half + 32);
            l7.intoArray(sums, 896 + 4 * half);
            h7.intoArray(sums, 896 + 4 * half + 32);
        }
    }

    /**
     * Adds a sub-block's sums for vectors t .. t + count to the totals at {@code out[oo ..]}: each half's sums less 16
     * times the half's activation sum (exact in 16 bits, as in {@link Q5_0Groups}), the halves added in 32 bits, then
     * {@code (F S + G X) d_x} per row.
     */
    private static void addSums(Int8Batch x, int block, int t, int count, short[] sums, float[] f, int fe0, int ge0, float[] out, int oo) {
        for (int k = 0; k < count; k++) {
            int at = x.at(block, t + k);
            short first = (short) (16 * x.halves[at]), second = (short) (16 * (x.sums[at] - x.halves[at]));
            FloatVector sumX = FloatVector.broadcast(F, (float) x.sums[at]), dx = FloatVector.broadcast(F, x.d[at]);
            for (int part = 0; part < ROWS; part += L) { // L rows' sums: their even rows, then their odd ones
                IntVector a = ShortVector.fromArray(S, sums, 128 * k + part).sub(first).reinterpretAsInts();
                IntVector c = ShortVector.fromArray(S, sums, 128 * k + 64 + part).sub(second).reinterpretAsInts();
                IntVector evens = a.lanewise(LSHL, 16).lanewise(ASHR, 16).add(c.lanewise(LSHL, 16).lanewise(ASHR, 16));
                IntVector odds = a.lanewise(ASHR, 16).add(c.lanewise(ASHR, 16));
                int even = oo + ROWS * k + part, odd = even + L / 2, fe = fe0 + part, ge = ge0 + part;
                FloatVector.fromArray(F, f, ge).fma(sumX, ((FloatVector) evens.convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, f, fe)))
                        .fma(dx, FloatVector.fromArray(F, out, even)).intoArray(out, even);
                FloatVector.fromArray(F, f, ge + L / 2).fma(sumX, ((FloatVector) odds.convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, f, fe + L / 2)))
                        .fma(dx, FloatVector.fromArray(F, out, odd)).intoArray(out, odd);
            }
        }
    }
}
