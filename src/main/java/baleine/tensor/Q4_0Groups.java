package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static baleine.tensor.NibbleColumns.B;
import static baleine.tensor.NibbleColumns.BATCH;
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
 * Q4_0 rows regrouped 64 at a time ({@link NibbleColumns}). Per block of 32 columns a group holds the 64 rows'
 * 16-bit float scales (128 bytes, lanes in {@link NibbleColumns#slot} order), then the block's 32 columns. A group
 * takes exactly the bytes of its 64 rows (64 x 18 per block), so rows are regrouped in place. Each row adds {@code
 * sum * (d_w d_x)} to its float total, block after block, the same whatever the batch, so batching never changes a
 * result. The vector kernels have a scalar twin ({@link #dotScalar}) that the tests compare them with.
 */
final class Q4_0Groups {
    private static final int SCALE_BYTES = 2 * ROWS;
    /** A group's bytes per block of 32 columns: as many as its 64 rows take in Q4_0 (18 bytes per row and block). */
    static final int BLOCK_BYTES = SCALE_BYTES + COLUMN_BYTES;
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;

    private Q4_0Groups() {
    }

    /**
     * Regroups the 64 Q4_0 rows at {@code off} ({@code blocks} blocks each) of {@code source} into the same
     * place of {@code target} (the same segment: in place); their scales must be finite (see {@link #scales}).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int blocks) {
        int rowBytes = 18 * blocks, bytes = ROWS * rowBytes;
        byte[][] buffers = NibbleColumns.regroupBuffers(source, off, bytes);
        byte[] rows = buffers[0], group = buffers[1];
        for (int b = 0; b < blocks; b++) {
            int to = BLOCK_BYTES * b;
            for (int r = 0; r < ROWS; r++) {
                int from = r * rowBytes + 18 * b;
                group[to + 2 * slot(r)] = rows[from];
                group[to + 2 * slot(r) + 1] = rows[from + 1];
            }
            // byte j of a row holds columns j (low nibble) and j + 16 (high)
            int columns = to + SCALE_BYTES;
            NibbleColumns.placeNibbles(rows, rowBytes, 18 * b + 2, 16, group, columns, NibbleColumns.COLUMNS, columns + 32 * 16, NibbleColumns.COLUMNS);
        }
        MemorySegment.copy(group, 0, target, ValueLayout.JAVA_BYTE, off, bytes);
    }

    /** Row {@code lane} of the group at {@code g} as floats, {@code (q - 8) d} as Q4_0 decodes it. */
    static void decodeRow(MemorySegment s, long g, int blocks, int lane, float[] dst) {
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            float d = Float.float16ToFloat(s.get(Le.I16, o + 2L * slot(lane)));
            for (int c = 0; c < BLOCK; c++) {
                dst[BLOCK * b + c] = (nibble(s, o + SCALE_BYTES, c, lane) - 8) * d;
            }
        }
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int blocks, int lane, Int8Batch x, int t) {
        return dotScalar(s, g, blocks, BLOCK_BYTES, lane, x, t, (o, c) -> nibble(s, o + SCALE_BYTES, c, lane) - 8);
    }

    /** A row's signed integer value in column c of the block at {@code o}. */
    interface BlockValue {
        int at(long o, int c);
    }

    /**
     * The scalar twin of a type whose blocks of 32 columns ({@code blockBytes} each in a group) start with the 64
     * rows' 16-bit float scales, as Q4_0's and Q5_0's do: each block's exact integer sum times the two scales
     * added to the row's total.
     */
    static float dotScalar(MemorySegment s, long g, int blocks, int blockBytes, int lane, Int8Batch x, int t, BlockValue value) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) blockBytes * b;
            int sum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += value.at(o, c) * x.q[BLOCK * x.at(b, t) + c];
            }
            float d = Float.float16ToFloat(s.get(Le.I16, o + 2L * slot(lane)));
            total = Math.fma((float) sum, d * x.d[x.at(b, t)], total);
        }
        return total;
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k. Block after block, each block's bytes are read
     * for all the vectors while they are in the first-level cache. {@code sums} is scratch of {@code 64 BATCH}
     * shorts, {@code scales} of 64 floats.
     */
    static void dot(MemorySegment s, long g, int blocks, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] scales) {
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            scales(s, o, scales);
            int k = 0;
            if (BATCH == 8) { // 512-bit vectors: the sums in registers, whatever the count
                for (; k + 8 <= count; k += 8) {
                    eight(s, o, x, b, t0 + k, scales, out, ROWS * k);
                }
                for (; k + 4 <= count; k += 4) {
                    four(s, o, x, b, t0 + k, scales, out, ROWS * k);
                }
                for (; k + 2 <= count; k += 2) {
                    two(s, o, x, b, t0 + k, scales, out, ROWS * k);
                }
                if (k < count) {
                    one(s, o, x, b, t0 + k, sums, scales, out, ROWS * k);
                }
                continue;
            }
            for (; k + 4 <= count; k += 4) {
                sumsOfFour(s, o + SCALE_BYTES, x.q, BLOCK * x.at(b, t0 + k), sums);
                addBlock(x, b, t0 + k, 4, sums, scales, out, ROWS * k);
            }
            for (; k + 2 <= count; k += 2) {
                sumsOfTwo(s, o + SCALE_BYTES, x.q, BLOCK * x.at(b, t0 + k), sums);
                addBlock(x, b, t0 + k, 2, sums, scales, out, ROWS * k);
            }
            if (k < count) {
                sumsOfOne(s, o + SCALE_BYTES, x.q, BLOCK * x.at(b, t0 + k), sums);
                addBlock(x, b, t0 + k, 1, sums, scales, out, ROWS * k);
            }
        }
    }

    /**
     * Adds block b's sums for vectors t .. t + count (less 8 times each vector's block sum) times the rows' scales
     * {@code d} times the vector's scale to the totals at {@code out[oo ..]}. Vectors never cross a call here (sums
     * and scales go through memory): passed to or returned from a method C2 did not inline, they were boxed.
     */
    private static void addBlock(Int8Batch x, int b, int t, int count, short[] sums, float[] d, float[] out, int oo) {
        for (int k = 0; k < count; k++) {
            short offset = (short) (8 * x.sums[x.at(b, t + k)]);
            float dx = x.d[x.at(b, t + k)];
            for (int part = 0; part < ROWS; part += L) { // L rows' sums: their even rows, then their odd ones
                IntVector pairs = ShortVector.fromArray(S, sums, ROWS * k + part).sub(offset).reinterpretAsInts();
                int even = oo + ROWS * k + part, odd = even + L / 2;
                ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .fma(FloatVector.fromArray(F, d, part).mul(dx), FloatVector.fromArray(F, out, even)).intoArray(out, even);
                ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                        .fma(FloatVector.fromArray(F, d, part + L / 2).mul(dx), FloatVector.fromArray(F, out, odd)).intoArray(out, odd);
            }
        }
    }

    /**
     * Block b for eight vectors t .. t + 7 (512-bit vectors only), added to the totals at {@code out[oo ..]} as
     * {@link #addBlock} adds them: each column's nibbles unpacked once for the eight, and the sums taken from
     * registers. Written out: vectors kept in memory between the two steps, or passed to a method, cost a sixth of
     * the speed (boxed where C2 did not inline; stored and reloaded otherwise).
     */
    private static void eight(MemorySegment s, long o, Int8Batch x, int b, int t, float[] d, float[] out, int oo) {
        short[] q = x.q;
        // the eight vectors' blocks follow one another; x.at is called once, before the sums are in registers (C2
        // does not inline it in a method this large, and its call after the loop spilled the sixteen sums around it)
        int at = x.at(b, t), xb = BLOCK * at;
        int[] sums = x.sums; // each sum starts at -8 times its vector's block sum: the weights' offset of 8 (see NibbleColumns)
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * sums[at])), h0 = l0;
        ShortVector l1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1])), h1 = l1;
        ShortVector l2 = ShortVector.broadcast(S, (short) (-8 * sums[at + 2])), h2 = l2;
        ShortVector l3 = ShortVector.broadcast(S, (short) (-8 * sums[at + 3])), h3 = l3;
        ShortVector l4 = ShortVector.broadcast(S, (short) (-8 * sums[at + 4])), h4 = l4;
        ShortVector l5 = ShortVector.broadcast(S, (short) (-8 * sums[at + 5])), h5 = l5;
        ShortVector l6 = ShortVector.broadcast(S, (short) (-8 * sums[at + 6])), h6 = l6;
        ShortVector l7 = ShortVector.broadcast(S, (short) (-8 * sums[at + 7])), h7 = l7;
        MemorySegment columns = s.asSlice(o + SCALE_BYTES, 32L * BLOCK); // bounds proven once (Qwen-shape Q4_0 pp64 +2.9%)
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, columns, 32L * c, LE)
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
            xc = ShortVector.broadcast(S, q[xb + 128 + c]);
            l4 = lo.mul(xc).add(l4);
            h4 = hi.mul(xc).add(h4);
            xc = ShortVector.broadcast(S, q[xb + 160 + c]);
            l5 = lo.mul(xc).add(l5);
            h5 = hi.mul(xc).add(h5);
            xc = ShortVector.broadcast(S, q[xb + 192 + c]);
            l6 = lo.mul(xc).add(l6);
            h6 = hi.mul(xc).add(h6);
            xc = ShortVector.broadcast(S, q[xb + 224 + c]);
            l7 = lo.mul(xc).add(l7);
            h7 = hi.mul(xc).add(h7);
        }
        // the rows' scales: d0 and d1 for rows 0..31 (even, odd), d2 and d3 for rows 32..63
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector pairs;
        float dx;
        dx = x.d[at];
        pairs = l0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        dx = x.d[at + 1];
        pairs = l1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
        dx = x.d[at + 2];
        pairs = l2.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 128)).intoArray(out, oo + 128);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 144)).intoArray(out, oo + 144);
        pairs = h2.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 160)).intoArray(out, oo + 160);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 176)).intoArray(out, oo + 176);
        dx = x.d[at + 3];
        pairs = l3.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 192)).intoArray(out, oo + 192);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 208)).intoArray(out, oo + 208);
        pairs = h3.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 224)).intoArray(out, oo + 224);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 240)).intoArray(out, oo + 240);
        dx = x.d[at + 4];
        pairs = l4.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 256)).intoArray(out, oo + 256);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 272)).intoArray(out, oo + 272);
        pairs = h4.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 288)).intoArray(out, oo + 288);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 304)).intoArray(out, oo + 304);
        dx = x.d[at + 5];
        pairs = l5.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 320)).intoArray(out, oo + 320);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 336)).intoArray(out, oo + 336);
        pairs = h5.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 352)).intoArray(out, oo + 352);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 368)).intoArray(out, oo + 368);
        dx = x.d[at + 6];
        pairs = l6.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 384)).intoArray(out, oo + 384);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 400)).intoArray(out, oo + 400);
        pairs = h6.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 416)).intoArray(out, oo + 416);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 432)).intoArray(out, oo + 432);
        dx = x.d[at + 7];
        pairs = l7.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 448)).intoArray(out, oo + 448);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 464)).intoArray(out, oo + 464);
        pairs = h7.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 480)).intoArray(out, oo + 480);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 496)).intoArray(out, oo + 496);
    }

    /**
     * {@link #eight} for four vectors t .. t + 3: as {@link #sumsOfFour} then {@link #addBlock} compute them, the sums
     * kept in registers (Q4_0 group of 64 rows by 2048 columns, one thread, four vectors 83 -> 106 G multiply-adds/s;
     * five to seven, which end with a pass of two or one, 80 -> 93-103). Written out for the same reason.
     */
    private static void four(MemorySegment s, long o, Int8Batch x, int b, int t, float[] d, float[] out, int oo) {
        short[] q = x.q;
        // as in eight: the vectors' blocks follow one another, x.at called once before the sums are in registers
        int at = x.at(b, t), xb = BLOCK * at;
        int[] sums = x.sums; // each sum starts at -8 times its vector's block sum: the weights' offset of 8 (see NibbleColumns)
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * sums[at])), h0 = l0;
        ShortVector l1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1])), h1 = l1;
        ShortVector l2 = ShortVector.broadcast(S, (short) (-8 * sums[at + 2])), h2 = l2;
        ShortVector l3 = ShortVector.broadcast(S, (short) (-8 * sums[at + 3])), h3 = l3;
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, o + SCALE_BYTES + 32L * c, LE)
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
        // the rows' scales: d0 and d1 for rows 0..31 (even, odd), d2 and d3 for rows 32..63
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector pairs;
        float dx;
        dx = x.d[at];
        pairs = l0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        dx = x.d[at + 1];
        pairs = l1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
        dx = x.d[at + 2];
        pairs = l2.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 128)).intoArray(out, oo + 128);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 144)).intoArray(out, oo + 144);
        pairs = h2.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 160)).intoArray(out, oo + 160);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 176)).intoArray(out, oo + 176);
        dx = x.d[at + 3];
        pairs = l3.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 192)).intoArray(out, oo + 192);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 208)).intoArray(out, oo + 208);
        pairs = h3.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 224)).intoArray(out, oo + 224);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 240)).intoArray(out, oo + 240);
    }

    /** {@link #eight} for two vectors t, t + 1 (69.6 -> 83.6 G multiply-adds/s, as {@link #four}). */
    private static void two(MemorySegment s, long o, Int8Batch x, int b, int t, float[] d, float[] out, int oo) {
        short[] q = x.q;
        // as in eight: the vectors' blocks follow one another, x.at called once before the sums are in registers
        int at = x.at(b, t), xb = BLOCK * at;
        int[] sums = x.sums; // each sum starts at -8 times its vector's block sum: the weights' offset of 8 (see NibbleColumns)
        ShortVector l0 = ShortVector.broadcast(S, (short) (-8 * sums[at])), h0 = l0;
        ShortVector l1 = ShortVector.broadcast(S, (short) (-8 * sums[at + 1])), h1 = l1;
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, o + SCALE_BYTES + 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            l1 = lo.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
        }
        // the rows' scales: d0 and d1 for rows 0..31 (even, odd), d2 and d3 for rows 32..63
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector pairs;
        float dx;
        dx = x.d[at];
        pairs = l0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        dx = x.d[at + 1];
        pairs = l1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        pairs = h1.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
    }

    /** {@link #eight} for one vector t (52 -> 58.5 G multiply-adds/s, as {@link #four}): decoding's pass. */
    private static void one(MemorySegment s, long o, Int8Batch x, int b, int t, short[] sums, float[] d, float[] out, int oo) {
        short[] q = x.q;
        // as in eight: the vectors' blocks follow one another, x.at called once before the sums are in registers
        int at = x.at(b, t), xb = BLOCK * at;
        NibbleColumns.sumsOfOneWide(s, o + SCALE_BYTES, q, xb, x.sums[at], sums); // the sums of (q - 8) x
        ShortVector l0 = ShortVector.fromArray(S, sums, 0), h0 = ShortVector.fromArray(S, sums, 32);
        // the rows' scales: d0 and d1 for rows 0..31 (even, odd), d2 and d3 for rows 32..63
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector pairs;
        float dx;
        dx = x.d[at];
        pairs = l0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        pairs = h0.reinterpretAsInts();
        ((FloatVector) pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) pairs.lanewise(ASHR, 16).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
    }

    /**
     * The block's 64 16-bit float scales as floats into {@code d}: a half's exponent and mantissa moved into a
     * float's bits read it 2^-112 too small (subnormal halves included), times 2^112; exact for every finite half.
     */
    static void scales(MemorySegment s, long o, float[] d) {
        scales(s, o, d, 0);
    }

    /** {@link #scales} into {@code d[at .. at + 64)}. */
    static void scales(MemorySegment s, long o, float[] d, int at) {
        for (int i = 0; i < ROWS; i += F.length()) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(Species.S, s, o + 2L * i, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            IntVector bits = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            bits.reinterpretAsFloats().mul(0x1p112f).intoArray(d, at + i);
        }
    }
}
