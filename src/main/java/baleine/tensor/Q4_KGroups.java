package baleine.tensor;

import baleine.tensor.quant.KQuantCodecs;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.COLUMN_BYTES;
import static baleine.tensor.NibbleColumns.L;
import static baleine.tensor.NibbleColumns.LE;
import static baleine.tensor.NibbleColumns.ROWS;
import static baleine.tensor.NibbleColumns.S;
import static baleine.tensor.NibbleColumns.nibble;
import static baleine.tensor.NibbleColumns.slot;
import static baleine.tensor.NibbleColumns.sumsOfFour;
import static baleine.tensor.NibbleColumns.sumsOfOne;
import static baleine.tensor.NibbleColumns.sumsOfTwo;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * Q4_K rows regrouped 64 at a time ({@link NibbleColumns}), multiplied by activations rounded per 256 values as
 * llama.cpp rounds them for Q4_K ({@link Int8Batch.Rounding#Q8_K}). Per super-block of 256 columns a group holds the
 * 64 rows' d (128 bytes, lanes in {@link NibbleColumns#slot} order), their dmin (128 bytes), their twelve bytes of
 * packed 6-bit scales and mins (byte k of the 64 rows together: 12 x 64 bytes), then the eight sub-blocks' 32
 * columns each: exactly the bytes of its 64 rows (64 x 144), so rows are regrouped in place.
 *
 * <p>A row's value is {@code d sc_j q - dmin m_j} in sub-block j (q 0..15). With {@code S = sum (q - 8) x} (the
 * 16-bit sums) and {@code X = sum x}: {@code sum value * x = F_j S + G_j X}, where {@code F_j = d sc_j} and {@code
 * G_j = 8 F_j - dmin m_j} (both formed once per super-block for all the vectors). Each row adds {@code (F_j S + G_j
 * X) d_x} to its float total, sub-block after sub-block, the same whatever the batch. The vector kernels have a
 * scalar twin ({@link #dotScalar}) that the tests compare them with.
 */
final class Q4_KGroups {
    static final int SUPER = 256;
    private static final int SUBS = SUPER / BLOCK;
    private static final int D_AT = 0, DMIN_AT = 2 * ROWS, PACKED_AT = 4 * ROWS, COLUMNS_AT = 16 * ROWS;
    /** A group's bytes per super-block: as many as its 64 rows take in Q4_K (144 bytes per row and super-block). */
    static final int SUPER_BYTES = COLUMNS_AT + SUBS * COLUMN_BYTES;
    /** Floats of scratch {@link #dot} takes: the factors F and G of a super-block's eight sub-blocks, 64 rows each. */
    static final int FACTORS = 2 * SUBS * ROWS;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;
    private static final VectorSpecies<Byte> B = Species.B;

    private Q4_KGroups() {
    }

    /**
     * Regroups the 64 Q4_K rows at {@code off} ({@code supers} super-blocks each) of {@code source} into the
     * same place of {@code target} (the same segment: in place).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int supers) {
        int rowBytes = 144 * supers, bytes = ROWS * rowBytes;
        byte[][] buffers = NibbleColumns.regroupBuffers(source, off, bytes);
        byte[] rows = buffers[0], group = buffers[1];
        for (int b = 0; b < supers; b++) {
            int to = SUPER_BYTES * b;
            for (int r = 0; r < ROWS; r++) {
                placeHead(rows, r * rowBytes + 144 * b, group, to, r);
            }
            // chunk c's byte l holds sub-block 2c's column l (low nibble) and sub-block 2c + 1's (high)
            for (int c = 0; c < 4; c++) {
                int low = to + COLUMNS_AT + COLUMN_BYTES * 2 * c;
                NibbleColumns.placeNibbles(rows, rowBytes, 144 * b + 16 + 32 * c, 32, group, low, NibbleColumns.COLUMNS, low + COLUMN_BYTES, NibbleColumns.COLUMNS);
            }
        }
        MemorySegment.copy(group, 0, target, ValueLayout.JAVA_BYTE, off, bytes);
    }

    /**
     * Row r's super-block head (d, dmin and the twelve packed scale bytes, at {@code rows[from ..]}) into its place in
     * the group's super-block at {@code group[to ..]}: Q4_K's and Q5_K's, whose super-blocks start alike.
     */
    static void placeHead(byte[] rows, int from, byte[] group, int to, int r) {
        int lane = slot(r);
        group[to + D_AT + 2 * lane] = rows[from];
        group[to + D_AT + 2 * lane + 1] = rows[from + 1];
        group[to + DMIN_AT + 2 * lane] = rows[from + 2];
        group[to + DMIN_AT + 2 * lane + 1] = rows[from + 3];
        for (int k = 0; k < 12; k++) {
            group[to + PACKED_AT + ROWS * k + lane] = rows[from + 4 + k];
        }
    }

    /** Row {@code lane}'s sub-block j scale (or, with {@code min}, its min), from the packed bytes of super-block {@code o}. */
    static int sixBits(MemorySegment s, long o, int lane, int j, boolean min) {
        long first8 = 0;
        for (int k = 0; k < 8; k++) {
            first8 |= (long) (s.get(Le.I8, o + PACKED_AT + (long) ROWS * k + slot(lane)) & 0xFF) << (8 * k);
        }
        int last4 = 0;
        for (int k = 0; k < 4; k++) {
            last4 |= (s.get(Le.I8, o + PACKED_AT + (long) ROWS * (8 + k) + slot(lane)) & 0xFF) << (8 * k);
        }
        return min ? KQuantCodecs.min(first8, last4, j) : KQuantCodecs.scale(first8, last4, j);
    }

    static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(Le.I16, at));
    }

    /** Row {@code lane} of the group at {@code g} as floats, as Q4_K decodes it. */
    static void decodeRow(MemorySegment s, long g, int supers, int lane, float[] dst) {
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            float d = half(s, o + D_AT + 2L * slot(lane)), dmin = half(s, o + DMIN_AT + 2L * slot(lane));
            for (int j = 0; j < SUBS; j++) {
                float scale = d * sixBits(s, o, lane, j, false), min = dmin * sixBits(s, o, lane, j, true);
                for (int c = 0; c < BLOCK; c++) {
                    dst[SUPER * b + BLOCK * j + c] = scale * nibble(s, columns(o, j), c, lane) - min;
                }
            }
        }
    }

    private static long columns(long o, int j) {
        return o + COLUMNS_AT + (long) COLUMN_BYTES * j;
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int supers, int lane, Int8Batch x, int t) {
        float total = 0;
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            float d = half(s, o + D_AT + 2L * slot(lane)), dmin = half(s, o + DMIN_AT + 2L * slot(lane));
            for (int j = 0; j < SUBS; j++) {
                int at = x.at(SUBS * b + j, t), sum = 0;
                for (int c = 0; c < BLOCK; c++) {
                    sum += (nibble(s, columns(o, j), c, lane) - 8) * x.q[BLOCK * at + c];
                }
                float f = d * sixBits(s, o, lane, j, false), gm = 8 * f + -dmin * sixBits(s, o, lane, j, true);
                total = Math.fma(Math.fma(gm, (float) x.sums[at], f * sum), x.d[at], total);
            }
        }
        return total;
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k, sub-block after sub-block, each
     * read for all the vectors while in the first-level cache. {@code sums} is scratch of 256 shorts,
     * {@code factors} of {@link #FACTORS} floats.
     */
    static void dot(MemorySegment s, long g, int supers, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] factors) {
        if (count == 1 && L == 32) {
            one(s, g, supers, x, t0, sums, factors, out);
            return;
        }
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            factors(s, o, factors, 8f);
            for (int j = 0; j < SUBS; j++) {
                long cols = columns(o, j);
                int block = SUBS * b + j, k = 0;
                if (NibbleColumns.BATCH == 8) { // 512-bit vectors: the sums in registers, whatever the count
                    for (; k + 8 <= count; k += 8) {
                        eight(s, cols, x, block, t0 + k, j, factors, out, ROWS * k);
                    }
                    for (; k + 4 <= count; k += 4) {
                        four(s, cols, x, block, t0 + k, j, factors, out, ROWS * k);
                    }
                    for (; k + 2 <= count; k += 2) {
                        two(s, cols, x, block, t0 + k, j, factors, out, ROWS * k);
                    }
                    if (k < count) {
                        single(s, cols, x, block, t0 + k, j, factors, out, ROWS * k);
                    }
                    continue;
                }
                for (; k + 4 <= count; k += 4) {
                    sumsOfFour(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
                    addSubBlock(x, block, t0 + k, 4, j, sums, factors, out, ROWS * k);
                }
                for (; k + 2 <= count; k += 2) {
                    sumsOfTwo(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
                    addSubBlock(x, block, t0 + k, 2, j, sums, factors, out, ROWS * k);
                }
                if (k < count) {
                    sumsOfOne(s, cols, x.q, BLOCK * x.at(block, t0 + k), sums);
                    addSubBlock(x, block, t0 + k, 1, j, sums, factors, out, ROWS * k);
                }
            }
        }
    }


    /**
     * {@link #dot} for one vector (decoding) with 512-bit vectors: as {@link #addSubBlock} adds, but with the 64 rows'
     * totals in four registers from the row's first column to its last.
     */
    private static void one(MemorySegment s, long g, int supers, Int8Batch x, int t, short[] sums, float[] f, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0; // rows in slot order, 16 at a time
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            factors(s, o, f, 8f);
            for (int j = 0; j < SUBS; j++) {
                long cols = columns(o, j);
                int at = x.at(SUBS * b + j, t), xb = BLOCK * at;
                NibbleColumns.sumsOfOneWide(s, cols, x.q, xb, x.sums[at], sums); // the sums of (q - 8) x
                ShortVector lo = ShortVector.fromArray(S, sums, 0), hi = ShortVector.fromArray(S, sums, 32);
                FloatVector sumX = FloatVector.broadcast(F, (float) x.sums[at]), dx = FloatVector.broadcast(F, x.d[at]);
                int fj = ROWS * j, gj = ROWS * (SUBS + j);
                IntVector pairs = lo.reinterpretAsInts();
                a0 = FloatVector.fromArray(F, f, gj).fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .mul(FloatVector.fromArray(F, f, fj))).fma(dx, a0);
                a1 = FloatVector.fromArray(F, f, gj + 16).fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .mul(FloatVector.fromArray(F, f, fj + 16))).fma(dx, a1);
                pairs = hi.reinterpretAsInts();
                a2 = FloatVector.fromArray(F, f, gj + 32).fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .mul(FloatVector.fromArray(F, f, fj + 32))).fma(dx, a2);
                a3 = FloatVector.fromArray(F, f, gj + 48).fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .mul(FloatVector.fromArray(F, f, fj + 48))).fma(dx, a3);
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, 16);
        a2.intoArray(out, 32);
        a3.intoArray(out, 48);
    }

    /**
     * Sub-block j (columns at {@code cols}) for eight vectors t .. t + 7 (512-bit vectors only), added to the totals
     * at {@code out[oo ..]} as {@link #addSubBlock} adds them: each column's nibbles unpacked once for the eight, and
     * the sums taken from registers. Written out: vectors kept in memory between the two steps, or passed to a
     * method, cost a sixth of the speed (as in {@link Q4_0Groups}). The low nibbles' sums are taken from the whole
     * bytes' (as {@link NibbleColumns#sumsOfOneWide}: mod 2^16 the byte's sum less 16 times the high nibble's): with a
     * nibble mask and a low-nibble vector besides the sixteen sums and eight broadcasts, C2 spilled three sums to the
     * stack at every column (Qwen-shape Q4_K pp64, five pairs side by side: 447 -> 575 tok/s).
     */
    private static void eight(MemorySegment s, long cols, Int8Batch x, int block, int t, int j, float[] f, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(block, t), xb = BLOCK * at; // the eight vectors' blocks follow one another; x.at once (Q4_0Groups.eight)
        int[] sums = x.sums; // a byte's sum starts at -136 (-8 - 16 x 8), a high nibble's at -8 times the vector's block sum
        ShortVector l0 = ShortVector.broadcast(S, (short) (-136 * sums[at])), h0 = ShortVector.broadcast(S, (short) (-8 * sums[at]));
        ShortVector l1 = ShortVector.broadcast(S, (short) (-136 * sums[at + 1])), h1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1]));
        ShortVector l2 = ShortVector.broadcast(S, (short) (-136 * sums[at + 2])), h2 = ShortVector.broadcast(S, (short) (-8 * sums[at + 2]));
        ShortVector l3 = ShortVector.broadcast(S, (short) (-136 * sums[at + 3])), h3 = ShortVector.broadcast(S, (short) (-8 * sums[at + 3]));
        ShortVector l4 = ShortVector.broadcast(S, (short) (-136 * sums[at + 4])), h4 = ShortVector.broadcast(S, (short) (-8 * sums[at + 4]));
        ShortVector l5 = ShortVector.broadcast(S, (short) (-136 * sums[at + 5])), h5 = ShortVector.broadcast(S, (short) (-8 * sums[at + 5]));
        ShortVector l6 = ShortVector.broadcast(S, (short) (-136 * sums[at + 6])), h6 = ShortVector.broadcast(S, (short) (-8 * sums[at + 6]));
        ShortVector l7 = ShortVector.broadcast(S, (short) (-136 * sums[at + 7])), h7 = ShortVector.broadcast(S, (short) (-8 * sums[at + 7]));
        MemorySegment columns = s.asSlice(cols, 32L * BLOCK); // bounds proven once, as in Q4_0Groups.eight
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(NibbleColumns.B, columns, 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = v.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            l1 = v.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
            xc = ShortVector.broadcast(S, q[xb + 64 + c]);
            l2 = v.mul(xc).add(l2);
            h2 = hi.mul(xc).add(h2);
            xc = ShortVector.broadcast(S, q[xb + 96 + c]);
            l3 = v.mul(xc).add(l3);
            h3 = hi.mul(xc).add(h3);
            xc = ShortVector.broadcast(S, q[xb + 128 + c]);
            l4 = v.mul(xc).add(l4);
            h4 = hi.mul(xc).add(h4);
            xc = ShortVector.broadcast(S, q[xb + 160 + c]);
            l5 = v.mul(xc).add(l5);
            h5 = hi.mul(xc).add(h5);
            xc = ShortVector.broadcast(S, q[xb + 192 + c]);
            l6 = v.mul(xc).add(l6);
            h6 = hi.mul(xc).add(h6);
            xc = ShortVector.broadcast(S, q[xb + 224 + c]);
            l7 = v.mul(xc).add(l7);
            h7 = hi.mul(xc).add(h7);
        }
        l0 = l0.sub(h0.lanewise(LSHL, 4));
        l1 = l1.sub(h1.lanewise(LSHL, 4));
        l2 = l2.sub(h2.lanewise(LSHL, 4));
        l3 = l3.sub(h3.lanewise(LSHL, 4));
        l4 = l4.sub(h4.lanewise(LSHL, 4));
        l5 = l5.sub(h5.lanewise(LSHL, 4));
        l6 = l6.sub(h6.lanewise(LSHL, 4));
        l7 = l7.sub(h7.lanewise(LSHL, 4));
        // the rows' factors: F and G of rows 0..31 (even, odd) and 32..63 (even, odd)
        int fj = ROWS * j, gj = ROWS * (SUBS + j);
        FloatVector f0 = FloatVector.fromArray(F, f, fj), f1 = FloatVector.fromArray(F, f, fj + 16);
        FloatVector f2 = FloatVector.fromArray(F, f, fj + 32), f3 = FloatVector.fromArray(F, f, fj + 48);
        FloatVector g0 = FloatVector.fromArray(F, f, gj), g1 = FloatVector.fromArray(F, f, gj + 16);
        FloatVector g2 = FloatVector.fromArray(F, f, gj + 32), g3 = FloatVector.fromArray(F, f, gj + 48);
        IntVector pairs;
        FloatVector sumX, dx;
        sumX = FloatVector.broadcast(F, (float) x.sums[at]);
        dx = FloatVector.broadcast(F, x.d[at]);
        pairs = l0.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 1]);
        dx = FloatVector.broadcast(F, x.d[at + 1]);
        pairs = l1.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 2]);
        dx = FloatVector.broadcast(F, x.d[at + 2]);
        pairs = l2.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 128)).intoArray(out, oo + 128);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 144)).intoArray(out, oo + 144);
        pairs = h2.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 160)).intoArray(out, oo + 160);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 176)).intoArray(out, oo + 176);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 3]);
        dx = FloatVector.broadcast(F, x.d[at + 3]);
        pairs = l3.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 192)).intoArray(out, oo + 192);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 208)).intoArray(out, oo + 208);
        pairs = h3.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 224)).intoArray(out, oo + 224);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 240)).intoArray(out, oo + 240);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 4]);
        dx = FloatVector.broadcast(F, x.d[at + 4]);
        pairs = l4.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 256)).intoArray(out, oo + 256);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 272)).intoArray(out, oo + 272);
        pairs = h4.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 288)).intoArray(out, oo + 288);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 304)).intoArray(out, oo + 304);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 5]);
        dx = FloatVector.broadcast(F, x.d[at + 5]);
        pairs = l5.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 320)).intoArray(out, oo + 320);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 336)).intoArray(out, oo + 336);
        pairs = h5.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 352)).intoArray(out, oo + 352);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 368)).intoArray(out, oo + 368);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 6]);
        dx = FloatVector.broadcast(F, x.d[at + 6]);
        pairs = l6.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 384)).intoArray(out, oo + 384);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 400)).intoArray(out, oo + 400);
        pairs = h6.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 416)).intoArray(out, oo + 416);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 432)).intoArray(out, oo + 432);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 7]);
        dx = FloatVector.broadcast(F, x.d[at + 7]);
        pairs = l7.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 448)).intoArray(out, oo + 448);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 464)).intoArray(out, oo + 464);
        pairs = h7.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 480)).intoArray(out, oo + 480);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 496)).intoArray(out, oo + 496);
    }

    /**
     * {@link #eight} for four vectors t .. t + 3, the sums kept in registers rather than stored for {@link #addSubBlock}
     * (as {@code Q4_0Groups.four}). Written out for the same reason as eight.
     */
    private static void four(MemorySegment s, long cols, Int8Batch x, int block, int t, int j, float[] f, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(block, t), xb = BLOCK * at; // as in eight
        int[] sums = x.sums; // each sum starts at -8 times its vector's block sum (as Q4_0Groups.eight)
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * sums[at])), h0 = l0;
        ShortVector l1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1])), h1 = l1;
        ShortVector l2 = ShortVector.broadcast(S, (short) (-8 * sums[at + 2])), h2 = l2;
        ShortVector l3 = ShortVector.broadcast(S, (short) (-8 * sums[at + 3])), h3 = l3;
        MemorySegment columns = s.asSlice(cols, 32L * BLOCK); // bounds proven once, as in Q4_0Groups.eight
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(NibbleColumns.B, columns, 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            l1 = lo.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
            xc = ShortVector.broadcast(S, q[xb + 64 + c]);
            l2 = lo.mul(xc).add(l2);
            h2 = hi.mul(xc).add(h2);
            xc = ShortVector.broadcast(S, q[xb + 96 + c]);
            l3 = lo.mul(xc).add(l3);
            h3 = hi.mul(xc).add(h3);
        }
        // the rows' factors: F and G of rows 0..31 (even, odd) and 32..63 (even, odd)
        int fj = ROWS * j, gj = ROWS * (SUBS + j);
        FloatVector f0 = FloatVector.fromArray(F, f, fj), f1 = FloatVector.fromArray(F, f, fj + 16);
        FloatVector f2 = FloatVector.fromArray(F, f, fj + 32), f3 = FloatVector.fromArray(F, f, fj + 48);
        FloatVector g0 = FloatVector.fromArray(F, f, gj), g1 = FloatVector.fromArray(F, f, gj + 16);
        FloatVector g2 = FloatVector.fromArray(F, f, gj + 32), g3 = FloatVector.fromArray(F, f, gj + 48);
        IntVector pairs;
        FloatVector sumX, dx;
        sumX = FloatVector.broadcast(F, (float) x.sums[at]);
        dx = FloatVector.broadcast(F, x.d[at]);
        pairs = l0.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 1]);
        dx = FloatVector.broadcast(F, x.d[at + 1]);
        pairs = l1.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 2]);
        dx = FloatVector.broadcast(F, x.d[at + 2]);
        pairs = l2.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 128)).intoArray(out, oo + 128);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 144)).intoArray(out, oo + 144);
        pairs = h2.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 160)).intoArray(out, oo + 160);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 176)).intoArray(out, oo + 176);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 3]);
        dx = FloatVector.broadcast(F, x.d[at + 3]);
        pairs = l3.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 192)).intoArray(out, oo + 192);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 208)).intoArray(out, oo + 208);
        pairs = h3.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 224)).intoArray(out, oo + 224);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 240)).intoArray(out, oo + 240);
    }

    /** {@link #eight} for two vectors t, t + 1 (as {@link #four}). */
    private static void two(MemorySegment s, long cols, Int8Batch x, int block, int t, int j, float[] f, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(block, t), xb = BLOCK * at; // as in eight
        int[] sums = x.sums; // each sum starts at -8 times its vector's block sum (as Q4_0Groups.eight)
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * sums[at])), h0 = l0;
        ShortVector l1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1])), h1 = l1;
        MemorySegment columns = s.asSlice(cols, 32L * BLOCK); // bounds proven once, as in Q4_0Groups.eight
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(NibbleColumns.B, columns, 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            l1 = lo.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
        }
        // the rows' factors: F and G of rows 0..31 (even, odd) and 32..63 (even, odd)
        int fj = ROWS * j, gj = ROWS * (SUBS + j);
        FloatVector f0 = FloatVector.fromArray(F, f, fj), f1 = FloatVector.fromArray(F, f, fj + 16);
        FloatVector f2 = FloatVector.fromArray(F, f, fj + 32), f3 = FloatVector.fromArray(F, f, fj + 48);
        FloatVector g0 = FloatVector.fromArray(F, f, gj), g1 = FloatVector.fromArray(F, f, gj + 16);
        FloatVector g2 = FloatVector.fromArray(F, f, gj + 32), g3 = FloatVector.fromArray(F, f, gj + 48);
        IntVector pairs;
        FloatVector sumX, dx;
        sumX = FloatVector.broadcast(F, (float) x.sums[at]);
        dx = FloatVector.broadcast(F, x.d[at]);
        pairs = l0.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        sumX = FloatVector.broadcast(F, (float) x.sums[at + 1]);
        dx = FloatVector.broadcast(F, x.d[at + 1]);
        pairs = l1.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
    }

    /** {@link #eight} for vector t alone, the last of an odd batch (as {@link #four}; decoding takes {@link #one}). */
    private static void single(MemorySegment s, long cols, Int8Batch x, int block, int t, int j, float[] f, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(block, t), xb = BLOCK * at; // as in eight
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * x.sums[at])), h0 = l0; // as in eight
        MemorySegment columns = s.asSlice(cols, 32L * BLOCK); // bounds proven once, as in Q4_0Groups.eight
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(NibbleColumns.B, columns, 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
        }
        // the rows' factors: F and G of rows 0..31 (even, odd) and 32..63 (even, odd)
        int fj = ROWS * j, gj = ROWS * (SUBS + j);
        FloatVector f0 = FloatVector.fromArray(F, f, fj), f1 = FloatVector.fromArray(F, f, fj + 16);
        FloatVector f2 = FloatVector.fromArray(F, f, fj + 32), f3 = FloatVector.fromArray(F, f, fj + 48);
        FloatVector g0 = FloatVector.fromArray(F, f, gj), g1 = FloatVector.fromArray(F, f, gj + 16);
        FloatVector g2 = FloatVector.fromArray(F, f, gj + 32), g3 = FloatVector.fromArray(F, f, gj + 48);
        IntVector pairs;
        FloatVector sumX, dx;
        sumX = FloatVector.broadcast(F, (float) x.sums[at]);
        dx = FloatVector.broadcast(F, x.d[at]);
        pairs = l0.reinterpretAsInts();
        g0.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f0))
                .fma(dx, FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        g1.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f1))
                .fma(dx, FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        g2.fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f2))
                .fma(dx, FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        g3.fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(f3))
                .fma(dx, FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
    }

    /**
     * The super-block's factors into {@code f}: {@code F_j} of the 64 rows (slot order) at {@code f[64 j ..]},
     * {@code G_j = offset F_j - dmin m_j} at {@code f[64 (8 + j) ..]} (offset: what the sums' values were shifted by, 8
     * for Q4_K, 16 for Q5_K, whose super-blocks start as Q4_K's; one FMA, as both products are exact: 6-bit integers
     * times halves); the packed 6-bit scales and mins unpacked for a vector of rows at a time (scale j < 4: byte j's
     * low six bits, min j < 4: byte j + 4's; j >= 4: byte j + 4's low (scale) or high (min) four bits, their top two
     * bits those of byte j - 4 (scale) or byte j (min)). Read through a slice of the
     * super-block's head, whose bounds C2 proves once (Qwen-shape Q4_K one-token forwards 1.05x in one JVM, 200 pairs).
     */
    static void factors(MemorySegment s, long o, float[] f, float offset) {
        MemorySegment head = s.asSlice(o, COLUMNS_AT);
        for (int r = 0; r < ROWS; r += F.length()) {
            // d and -dmin as Q4_0Groups forms its scales (vectors stay in this method: passed to a helper, they were boxed)
            IntVector h = (IntVector) ShortVector.fromMemorySegment(Species.S, head, D_AT + 2L * r, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            FloatVector d = h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f);
            h = (IntVector) ShortVector.fromMemorySegment(Species.S, head, DMIN_AT + 2L * r, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            FloatVector negDmin = h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(-0x1p112f);
            long packed = PACKED_AT + r;
            for (int j = 0; j < 4; j++) { // no branch inside: vectors merging after one were boxed
                IntVector scale = ((IntVector) ByteVector.fromMemorySegment(B, head, packed + (long) ROWS * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).and(63), min = ((IntVector) ByteVector.fromMemorySegment(B, head, packed + (long) ROWS * (j + 4), LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).and(63);
                FloatVector fj = ((FloatVector) scale.convertShape(I2F, F, 0)).mul(d);
                fj.intoArray(f, ROWS * j + r);
                ((FloatVector) min.convertShape(I2F, F, 0)).fma(negDmin, fj.mul(offset)).intoArray(f, ROWS * (SUBS + j) + r);
            }
            for (int j = 4; j < SUBS; j++) {
                IntVector low = ((IntVector) ByteVector.fromMemorySegment(B, head, packed + (long) ROWS * (j + 4), LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                IntVector scale = low.and(15).or(((IntVector) ByteVector.fromMemorySegment(B, head, packed + (long) ROWS * (j - 4), LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, 6).lanewise(LSHL, 4));
                IntVector min = low.lanewise(VectorOperators.LSHR, 4).or(((IntVector) ByteVector.fromMemorySegment(B, head, packed + (long) ROWS * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, 6).lanewise(LSHL, 4));
                FloatVector fj = ((FloatVector) scale.convertShape(I2F, F, 0)).mul(d);
                fj.intoArray(f, ROWS * j + r);
                ((FloatVector) min.convertShape(I2F, F, 0)).fma(negDmin, fj.mul(offset)).intoArray(f, ROWS * (SUBS + j) + r);
            }
        }
    }

    /**
     * Adds sub-block j's sums for vectors t .. t + count (less 8 times each vector's sum, as in {@link
     * Q4_0Groups}) to the totals at {@code out[oo ..]}: {@code (F_j S + G_j X) d_x} per row.
     */
    private static void addSubBlock(Int8Batch x, int block, int t, int count, int j, short[] sums, float[] f, float[] out, int oo) {
        for (int k = 0; k < count; k++) {
            int at = x.at(block, t + k);
            short offset = (short) (8 * x.sums[at]);
            FloatVector sumX = FloatVector.broadcast(F, (float) x.sums[at]), dx = FloatVector.broadcast(F, x.d[at]);
            for (int part = 0; part < ROWS; part += L) { // L rows' sums: their even rows, then their odd ones
                IntVector pairs = ShortVector.fromArray(S, sums, ROWS * k + part).sub(offset).reinterpretAsInts();
                int even = oo + ROWS * k + part, odd = even + L / 2, fe = ROWS * j + part, ge = ROWS * (SUBS + j) + part;
                FloatVector.fromArray(F, f, ge).fma(sumX, ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, f, fe)))
                        .fma(dx, FloatVector.fromArray(F, out, even)).intoArray(out, even);
                FloatVector.fromArray(F, f, ge + L / 2).fma(sumX, ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, f, fe + L / 2)))
                        .fma(dx, FloatVector.fromArray(F, out, odd)).intoArray(out, odd);
            }
        }
    }
}
