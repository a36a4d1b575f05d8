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

import static baleine.tensor.NibbleColumns.B;
import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.I;
import static baleine.tensor.NibbleColumns.L;
import static baleine.tensor.NibbleColumns.LOW_NIBBLES;
import static baleine.tensor.NibbleColumns.LE;
import static baleine.tensor.NibbleColumns.ROWS;
import static baleine.tensor.NibbleColumns.S;
import static baleine.tensor.NibbleColumns.slot;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * Q5_0 rows regrouped 64 at a time, multiplied by activations rounded as for Q4_0 ({@link Int8Batch.Rounding#Q8_0}).
 * Per block of 32 columns a group holds the 64 rows' 16-bit float scales (128 bytes, {@link NibbleColumns#slot}
 * order), then per column 40 bytes: the rows' low four bits in {@link NibbleColumns}' order for the machine's width,
 * and their fifth bits, as a 64-bit word per column (bit r: row r) for 512-bit vectors, in pairs of columns for
 * 256-bit ones ({@link #nibblesAt}): exactly the bytes of its 64 rows (64 x 22).
 *
 * <p>A value q is 0..31 and {@code |q - 16| <= 16}: over 16 columns its products with 8-bit activations stay within
 * 16 bits (at most 32512), over 32 they would not, so each half of a block has sums of its own (corrected by 16
 * times the half's activation sum, {@link Int8Batch#halves}), added in 32 bits before the block's sum times the two
 * scales goes into the row's float total, as for Q4_0. The vector kernels have a scalar twin ({@link #dotScalar}).
 */
final class Q5_0Groups {
    private static final int SCALE_BYTES = 2 * ROWS;
    /** A column's bytes: 32 of low nibbles, then 8 of fifth bits; two columns' with 256-bit vectors (see {@link #nibblesAt}). */
    static final int COLUMN = 40, PAIR = 2 * COLUMN;
    /** A group's bytes per block: as many as its 64 rows take in Q5_0 (22 bytes per row and block). */
    static final int BLOCK_BYTES = SCALE_BYTES + BLOCK * COLUMN;
    /** Each short's fifth bit (16) as ints: the 256-bit kernels shift ints, as {@link NibbleColumns#LOW_NIBBLES} says why. */
    private static final int FIFTH_BITS = 0x00100010;
    private static final VectorSpecies<Float> F = Species.F;
    /** {@link #nibblesAt} of each column, for {@link #regroup}. */
    static final int[] NIBBLES_AT = new int[BLOCK];
    /** Columns 16 .. 31's: those of the sources' high nibbles. */
    private static final int[] NIBBLES_AT_HIGH = new int[BLOCK / 2];
    /** For {@link #placeFifthBits}: byte q of {@code PAIR_SPREAD[v]} holds v's bit 2q in bit 0 and bit 2q + 1 in bit 4 (q < 4). */
    private static final int[] PAIR_SPREAD = new int[256];
    /** For {@link #placeFifthBits}: byte q of {@code BIT_SPREAD[v]} holds v's bit q in bit 0. */
    private static final long[] BIT_SPREAD = new long[256];

    static {
        for (int c = 0; c < BLOCK; c++) {
            NIBBLES_AT[c] = (int) nibblesAt(c);
        }
        System.arraycopy(NIBBLES_AT, BLOCK / 2, NIBBLES_AT_HIGH, 0, BLOCK / 2);
        for (int v = 0; v < 256; v++) {
            for (int q = 0; q < 8; q++) {
                BIT_SPREAD[v] |= (long) (v >>> q & 1) << 8 * q;
                PAIR_SPREAD[v] |= (v >>> q & 1) << 8 * (q / 2) + 4 * (q % 2);
            }
        }
    }

    private Q5_0Groups() {
    }

    /**
     * Regroups the 64 Q5_0 rows at {@code off} ({@code blocks} blocks each) of {@code source} into the same
     * place of {@code target} (the same segment: in place).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int blocks) {
        regroup(source, target, off, blocks, 2);
    }

    /**
     * Regroups 64 rows of 5-bit blocks whose first {@code header} bytes are 16-bit floats (Q5_0: d; Q5_1: d and m),
     * then the fifth bits (4 bytes) and the low nibbles (16): per block the rows' floats, each one's 64 values
     * together in slot order, then the 32 columns of 40 bytes.
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int blocks, int header) {
        int blockBytes = header + 20, rowBytes = blockBytes * blocks, bytes = ROWS * rowBytes, scaleBytes = ROWS * header;
        byte[][] buffers = NibbleColumns.regroupBuffers(source, off, bytes);
        byte[] rows = buffers[0], group = buffers[1];
        int[] words = new int[ROWS];
        for (int b = 0; b < blocks; b++) {
            int to = ROWS * blockBytes * b, cols = to + scaleBytes;
            for (int r = 0; r < ROWS; r++) {
                int from = r * rowBytes + blockBytes * b;
                for (int h = 0; h < header; h += 2) {
                    group[to + ROWS * h + 2 * slot(r)] = rows[from + h];
                    group[to + ROWS * h + 2 * slot(r) + 1] = rows[from + h + 1];
                }
                int qh = (rows[from + header] & 0xFF) | (rows[from + header + 1] & 0xFF) << 8 | (rows[from + header + 2] & 0xFF) << 16 | (rows[from + header + 3] & 0xFF) << 24;
                words[r] = qh;
            }
            placeFifthBits(group, cols, words, 0);
            // column byte k holds two rows' low bits (NibbleColumns.lowRow and highRow); byte c of a row's 16 holds its
            // columns c (low nibble) and c + 16
            NibbleColumns.placeNibbles(rows, rowBytes, blockBytes * b + header + 4, 16, group, cols, NIBBLES_AT, cols, NIBBLES_AT_HIGH);
        }
        MemorySegment.copy(group, 0, target, ValueLayout.JAVA_BYTE, off, bytes);
    }

    /**
     * A block's fifth bits into its columns at {@code group[cols ..]}, from the rows' words ({@code words[w + r]}, bit
     * c: row r's in column c): Q5_0's, Q5_1's or Q5_K's. Each byte is written whole, from a spread table looked up by
     * a byte of a word; bit by bit (eight sources per byte), Q5_0 regrouped at about half the rate.
     */
    static void placeFifthBits(byte[] group, int cols, int[] words, int w) {
        placeFifthBits(group, cols, words, w, L == 32);
    }

    /** {@link #placeFifthBits} for the 512-bit layout ({@code wide}) or the 256-bit one, as {@link #fifthByte} places them. */
    static void placeFifthBits(byte[] group, int cols, int[] words, int w, boolean wide) {
        if (wide) { // a column's 64 bits (bit r: row r's) after its 32 bytes of low bits: byte j has rows 8 j .. 8 j + 7
            for (int j = 0; j < ROWS / 8; j++) {
                for (int m = 0; m < 4; m++) { // columns 8 m .. 8 m + 7: byte m of the eight rows' words
                    long bytes = 0; // byte q: column 8 m + q's
                    for (int b = 0; b < 8; b++) {
                        bytes |= BIT_SPREAD[words[w + 8 * j + b] >>> 8 * m & 0xFF] << b;
                    }
                    for (int q = 0; q < 8; q++) {
                        group[cols + COLUMN * (8 * m + q) + 32 + j] = (byte) (bytes >>> 8 * q);
                    }
                }
            }
            return;
        }
        // byte i of a pair of columns' 16: rows i, i + 16, i + 32 and i + 48 of the first column in bits 0..3, of the second in 4..7
        for (int i = 0; i < 16; i++) {
            for (int m = 0; m < 4; m++) { // pairs 4 m .. 4 m + 3: byte m of the four rows' words
                int bytes = 0; // byte q: pair 4 m + q's
                for (int k = 0; k < 4; k++) {
                    bytes |= PAIR_SPREAD[words[w + i + 16 * k] >>> 8 * m & 0xFF] << k;
                }
                for (int q = 0; q < 4; q++) {
                    group[cols + PAIR * (4 * m + q) + 64 + i] = (byte) (bytes >>> 8 * q);
                }
            }
        }
    }

    /**
     * Where column c's low four bits start among a block's columns: 40 bytes a column with 512-bit vectors (32 of
     * low bits, then the fifth bits as a 64-bit word, bit r: row r); with 256-bit vectors two columns share 80 bytes
     * (the first's 32 bytes of low bits, the second's, then 16 bytes of fifth bits: byte i holds rows i, i + 16, i + 32
     * and i + 48 of the first column in bits 0..3, of the second in bits 4..7, so that widened to 16 shorts lane i
     * has the bits of the rows whose low bits it holds).
     */
    static long nibblesAt(int c) {
        return L == 32 ? (long) COLUMN * c : (long) PAIR * (c / 2) + 32 * (c % 2);
    }

    /** The byte, among a block's columns, that holds row r's fifth bit in column c (see {@link #nibblesAt}). */
    static long fifthByte(int c, int r) {
        return fifthByte(c, r, L == 32);
    }

    /** {@link #fifthByte} in the 512-bit layout ({@code wide}) or the 256-bit one. */
    static long fifthByte(int c, int r, boolean wide) {
        return wide ? (long) COLUMN * c + 32 + r / 8 : (long) PAIR * (c / 2) + 64 + r % 16;
    }

    /** That bit's place in {@link #fifthByte}. */
    static int fifthBit(int c, int r) {
        return fifthBit(c, r, L == 32);
    }

    /** {@link #fifthBit} in the 512-bit layout ({@code wide}) or the 256-bit one. */
    static int fifthBit(int c, int r, boolean wide) {
        return wide ? r % 8 : 4 * (c % 2) + r / 16;
    }

    /** Row {@code lane}'s five-bit value in column c of the block's columns at {@code cols}: Q5_0's, Q5_1's or Q5_K's. */
    static int value(MemorySegment s, long cols, int c, int lane) {
        int low = (s.get(Le.I8, cols + nibblesAt(c) + NibbleColumns.columnByte(lane)) & 0xFF) >>> NibbleColumns.nibbleShift(lane) & 0xF;
        return low | (s.get(Le.I8, cols + fifthByte(c, lane)) >>> fifthBit(c, lane) & 1) << 4;
    }

    /** Row {@code lane} of the group at {@code g} as floats, {@code (q - 16) d} as Q5_0 decodes it. */
    static void decodeRow(MemorySegment s, long g, int blocks, int lane, float[] dst) {
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            float d = Float.float16ToFloat(s.get(Le.I16, o + 2L * slot(lane)));
            for (int c = 0; c < BLOCK; c++) {
                dst[BLOCK * b + c] = (value(s, o + SCALE_BYTES, c, lane) - 16) * d + 0f;
            }
        }
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int blocks, int lane, Int8Batch x, int t) {
        return Q4_0Groups.dotScalar(s, g, blocks, BLOCK_BYTES, lane, x, t, (o, c) -> value(s, o + SCALE_BYTES, c, lane) - 16);
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k. {@code sums} is scratch of 512
     * shorts (four vectors' sums), {@code scales} of 64 floats.
     */
    static void dot(MemorySegment s, long g, int blocks, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] scales) {
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            Q4_0Groups.scales(s, o, scales); // the same 64 halves in front of the block
            int k = 0;
            if (L == 32) { // 512-bit vectors: the sums in registers
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
     * A block's 16-bit sums of (q . x) for one vector, its columns at {@code cols}: per half of the block (columns
     * 0..15, 16..31) rows 0..31 and rows 32..63, at {@code sums[0 ..]}, {@code [32 ..]} (first half), {@code [64
     * ..]}, {@code [96 ..]} (second half); a part of L rows at a time. The block's columns are read through a slice of
     * exactly their bytes: its inner loops are entered four times a call, each entry setting up long bounds checks
     * on offsets into the whole segment before (one-token forwards, one JVM: V2-Lite-shape Q5_K_M +4.8%, Qwen +3.3%).
     */
    static void sumsOfOne(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        if (L == 16) {
            sumsOfOneWords(s, cols, x, xb, sums);
            return;
        }
        MemorySegment block = s.asSlice(cols, (long) COLUMN * BLOCK);
        // 512-bit vectors, a part of 32 rows. As Q4_0Groups.one, without masks: the bytes' sums and their high nibbles'
        // (hi), and apart the sums of the activations whose rows' fifth bit is set (f, g), added 16 times at the end:
        // Q5_K 1.13x, Q5_0 1.10x (JMH, 1024 x 1024, one thread, Zen 4)
        for (int half = 0; half < BLOCK; half += 16) {
            ShortVector whole = ShortVector.zero(S), hi = whole, f = whole, g = whole;
            for (int c = half; c < half + 16; c++) {
                long at = (long) COLUMN * c;
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, block, at, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                long fifth = block.get(Le.I64, at + 32);
                ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
                whole = v.mul(xc).add(whole);
                hi = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().mul(xc).add(hi);
                f = f.add(xc, VectorMask.fromLong(S, fifth));
                g = g.add(xc, VectorMask.fromLong(S, fifth >>> 32));
            }
            ShortVector lo = whole.sub(hi.lanewise(VectorOperators.LSHL, 4));
            hi = hi.sub(lo.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16).lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts());
            lo.add(f.lanewise(VectorOperators.LSHL, 4)).intoArray(sums, 4 * half);
            hi.add(g.lanewise(VectorOperators.LSHL, 4)).intoArray(sums, 4 * half + 32);
        }
    }

    /** {@link #sumsOfOne} for two vectors (the second's blocks 32 further, its sums 128 further). */
    static void sumsOfTwo(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        if (L == 16) {
            sumsOfTwoWords(s, cols, x, xb, sums);
            return;
        }
        for (int p = 0; p < 32; p += L) {
            for (int half = 0; half < BLOCK; half += 16) {
                ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0;
                for (int c = half; c < half + 16; c++) {
                    long at = cols + (long) COLUMN * c;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, at + p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    long fifth = s.get(Le.I64, at + 32);
                    ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> p));
                    ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> (32 + p)));
                    ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
                    l0 = lo.mul(xc).add(l0);
                    h0 = hi.mul(xc).add(h0);
                    xc = ShortVector.broadcast(S, x[xb + 32 + c]);
                    l1 = lo.mul(xc).add(l1);
                    h1 = hi.mul(xc).add(h1);
                }
                l0.intoArray(sums, 4 * half + p);
                h0.intoArray(sums, 4 * half + 32 + p);
                l1.intoArray(sums, 128 + 4 * half + p);
                h1.intoArray(sums, 128 + 4 * half + 32 + p);
            }
        }
    }


    /** {@link #sumsOfOne} for four vectors (vector k's blocks 32 k further, its sums 128 k further). */
    static void sumsOfFour(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        if (L == 16) {
            sumsOfFourWords(s, cols, x, xb, sums);
            return;
        }
        for (int p = 0; p < 32; p += L) {
            for (int half = 0; half < BLOCK; half += 16) {
                ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
                for (int c = half; c < half + 16; c++) {
                    long at = cols + (long) COLUMN * c;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, at + p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    long fifth = s.get(Le.I64, at + 32);
                    ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> p));
                    ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> (32 + p)));
                    ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
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
                }
                l0.intoArray(sums, 4 * half + p);
                h0.intoArray(sums, 4 * half + 32 + p);
                l1.intoArray(sums, 128 + 4 * half + p);
                h1.intoArray(sums, 128 + 4 * half + 32 + p);
                l2.intoArray(sums, 256 + 4 * half + p);
                h2.intoArray(sums, 256 + 4 * half + 32 + p);
                l3.intoArray(sums, 384 + 4 * half + p);
                h3.intoArray(sums, 384 + 4 * half + 32 + p);
            }
        }
    }

    /**
     * {@link #sumsOfOne} with 256-bit vectors: a column's 32 bytes read as 16 shorts, whose four nibbles are rows i, i +
     * 16, i + 32 and i + 48 ({@link NibbleColumns#columnByte}: no byte-to-short widening), and a pair of columns' 16
     * bytes of fifth bits widened to 16 shorts, lane i's eight bits those of the same rows ({@link #nibblesAt}): each
     * part's fifth bit is one shift and one AND from its place to 16 (Qwen-shape Q5_K_M pp64 +16%, tg32 +10% against a
     * 64-bit word per column, broadcast per part; performance log, session 49). Part k's sums at {@code sums[4 half +
     * 16 k ..]}, as the 512-bit layout has them.
     */
    private static void sumsOfOneWords(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment block = s.asSlice(cols, (long) COLUMN * BLOCK);
        for (int half = 0; half < BLOCK; half += 16) {
            ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = half; c < half + 16; c += 2) {
                long at = (long) PAIR * (c / 2);
                IntVector f = ((ShortVector) ByteVector.fromMemorySegment(B, block, at + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).reinterpretAsInts();
                IntVector w = IntVector.fromMemorySegment(I, block, at, LE);
                ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
                a0 = w.and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a0);
                a1 = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a1);
                a2 = w.lanewise(VectorOperators.LSHR, 8).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 2).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a2);
                a3 = w.lanewise(VectorOperators.LSHR, 12).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 1).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a3);
                w = IntVector.fromMemorySegment(I, block, at + 32, LE);
                xc = ShortVector.broadcast(S, x[xb + c + 1]);
                a0 = w.and(LOW_NIBBLES).or(f.and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a0);
                a1 = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 1).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a1);
                a2 = w.lanewise(VectorOperators.LSHR, 8).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 2).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a2);
                a3 = w.lanewise(VectorOperators.LSHR, 12).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 3).and(FIFTH_BITS)).reinterpretAsShorts().mul(xc).add(a3);
            }
            a0.intoArray(sums, 4 * half);
            a1.intoArray(sums, 4 * half + 16);
            a2.intoArray(sums, 4 * half + 32);
            a3.intoArray(sums, 4 * half + 48);
        }
    }

    /** {@link #sumsOfTwo} with 256-bit vectors, as {@link #sumsOfOneWords}. */
    private static void sumsOfTwoWords(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment block = s.asSlice(cols, (long) COLUMN * BLOCK);
        for (int half = 0; half < BLOCK; half += 16) {
            ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int c = half; c < half + 16; c += 2) {
                long at = (long) PAIR * (c / 2);
                IntVector f = ((ShortVector) ByteVector.fromMemorySegment(B, block, at + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).reinterpretAsInts();
                IntVector w = IntVector.fromMemorySegment(I, block, at, LE);
                ShortVector n;
                ShortVector x0 = ShortVector.broadcast(S, x[xb + c]), x1 = ShortVector.broadcast(S, x[xb + 32 + c]);
                n = w.and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BITS)).reinterpretAsShorts();
                a0 = n.mul(x0).add(a0);
                b0 = n.mul(x1).add(b0);
                n = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BITS)).reinterpretAsShorts();
                a1 = n.mul(x0).add(a1);
                b1 = n.mul(x1).add(b1);
                n = w.lanewise(VectorOperators.LSHR, 8).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 2).and(FIFTH_BITS)).reinterpretAsShorts();
                a2 = n.mul(x0).add(a2);
                b2 = n.mul(x1).add(b2);
                n = w.lanewise(VectorOperators.LSHR, 12).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 1).and(FIFTH_BITS)).reinterpretAsShorts();
                a3 = n.mul(x0).add(a3);
                b3 = n.mul(x1).add(b3);
                w = IntVector.fromMemorySegment(I, block, at + 32, LE);
                x0 = ShortVector.broadcast(S, x[xb + c + 1]);
                x1 = ShortVector.broadcast(S, x[xb + 32 + c + 1]);
                n = w.and(LOW_NIBBLES).or(f.and(FIFTH_BITS)).reinterpretAsShorts();
                a0 = n.mul(x0).add(a0);
                b0 = n.mul(x1).add(b0);
                n = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 1).and(FIFTH_BITS)).reinterpretAsShorts();
                a1 = n.mul(x0).add(a1);
                b1 = n.mul(x1).add(b1);
                n = w.lanewise(VectorOperators.LSHR, 8).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 2).and(FIFTH_BITS)).reinterpretAsShorts();
                a2 = n.mul(x0).add(a2);
                b2 = n.mul(x1).add(b2);
                n = w.lanewise(VectorOperators.LSHR, 12).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 3).and(FIFTH_BITS)).reinterpretAsShorts();
                a3 = n.mul(x0).add(a3);
                b3 = n.mul(x1).add(b3);
            }
            a0.intoArray(sums, 4 * half);
            a1.intoArray(sums, 4 * half + 16);
            a2.intoArray(sums, 4 * half + 32);
            a3.intoArray(sums, 4 * half + 48);
            b0.intoArray(sums, 128 + 4 * half);
            b1.intoArray(sums, 128 + 4 * half + 16);
            b2.intoArray(sums, 128 + 4 * half + 32);
            b3.intoArray(sums, 128 + 4 * half + 48);
        }
    }

    /**
     * {@link #sumsOfFour} with 256-bit vectors, as {@link #sumsOfOneWords}: per half, rows 0..31 (the shorts' low
     * bytes, the fifth bits' 0, 1, 4 and 5) then 32..63, so that the sixteen sums fit AVX2's sixteen registers.
     */
    private static void sumsOfFourWords(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment block = s.asSlice(cols, (long) COLUMN * BLOCK);
        for (int pass = 0; pass < 4; pass++) {
            int half = 16 * (pass / 2), shift = 8 * (pass % 2);
            ShortVector a0 = ShortVector.zero(S), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
            for (int c = half; c < half + 16; c += 2) {
                long at = (long) PAIR * (c / 2);
                IntVector f = ((ShortVector) ByteVector.fromMemorySegment(B, block, at + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, shift / 4); // the part's bits: rows 0.. or 32..
                ShortVector n0, n1, xc;
                IntVector w = IntVector.fromMemorySegment(I, block, at, LE).lanewise(VectorOperators.LSHR, shift);
                n0 = w.and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BITS)).reinterpretAsShorts();
                n1 = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BITS)).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, x[xb + c]);
                a0 = n0.mul(xc).add(a0);
                a1 = n1.mul(xc).add(a1);
                xc = ShortVector.broadcast(S, x[xb + 32 + c]);
                b0 = n0.mul(xc).add(b0);
                b1 = n1.mul(xc).add(b1);
                xc = ShortVector.broadcast(S, x[xb + 64 + c]);
                c0 = n0.mul(xc).add(c0);
                c1 = n1.mul(xc).add(c1);
                xc = ShortVector.broadcast(S, x[xb + 96 + c]);
                d0 = n0.mul(xc).add(d0);
                d1 = n1.mul(xc).add(d1);
                w = IntVector.fromMemorySegment(I, block, at + 32, LE).lanewise(VectorOperators.LSHR, shift);
                n0 = w.and(LOW_NIBBLES).or(f.and(FIFTH_BITS)).reinterpretAsShorts();
                n1 = w.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(f.lanewise(VectorOperators.LSHR, 1).and(FIFTH_BITS)).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, x[xb + c + 1]);
                a0 = n0.mul(xc).add(a0);
                a1 = n1.mul(xc).add(a1);
                xc = ShortVector.broadcast(S, x[xb + 32 + c + 1]);
                b0 = n0.mul(xc).add(b0);
                b1 = n1.mul(xc).add(b1);
                xc = ShortVector.broadcast(S, x[xb + 64 + c + 1]);
                c0 = n0.mul(xc).add(c0);
                c1 = n1.mul(xc).add(c1);
                xc = ShortVector.broadcast(S, x[xb + 96 + c + 1]);
                d0 = n0.mul(xc).add(d0);
                d1 = n1.mul(xc).add(d1);
            }
            int at = 4 * half + 4 * shift; // the part's rows: 0.. or 32..
            a0.intoArray(sums, at);
            a1.intoArray(sums, at + 16);
            b0.intoArray(sums, 128 + at);
            b1.intoArray(sums, 128 + at + 16);
            c0.intoArray(sums, 256 + at);
            c1.intoArray(sums, 256 + at + 16);
            d0.intoArray(sums, 384 + at);
            d1.intoArray(sums, 384 + at + 16);
        }
    }

    /**
     * Block b for four vectors t .. t + 3 with 512-bit vectors: {@link #sumsOfFour} then {@link #addBlock}, the sums
     * kept in registers instead of stored and read back (as {@code Q4_0Groups.four}): each half's sums, less 16
     * times the half's activation sum, the halves added in 32 bits. A 64-row group of 2048 columns, one thread, 1 / 2
     * / 4 / 8 vectors 27 / 47 / 62 / 66 -> 33 / 52 / 77 / 80 G multiply-adds/s; Qwen-shape Q5_0 pp64 +19% to +24%, tg32
     * +10% to +17% (three pairs). Written out for the reason {@code Q4_0Groups.eight} is.
     */
    private static void four(MemorySegment s, long o, Int8Batch x, int b, int t, float[] d, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(b, t), xb = BLOCK * at; // as in Q4_0Groups.eight: x.at once, before the sums are in registers
        long cols = o + SCALE_BYTES;
        // l, h: the first half's rows 0..31 and 32..63; m, n: the second half's
        ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
        ShortVector m0 = l0, n0 = l0, m1 = l0, n1 = l0, m2 = l0, n2 = l0, m3 = l0, n3 = l0;
        for (int c = 0; c < 16; c++) {
            long column = cols + (long) COLUMN * c;
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, column, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            long fifth = s.get(Le.I64, column + 32);
            ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth));
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> 32));
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
        for (int c = 16; c < 32; c++) {
            long column = cols + (long) COLUMN * c;
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, column, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            long fifth = s.get(Le.I64, column + 32);
            ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth));
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> 32));
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            m0 = lo.mul(xc).add(m0);
            n0 = hi.mul(xc).add(n0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            m1 = lo.mul(xc).add(m1);
            n1 = hi.mul(xc).add(n1);
            xc = ShortVector.broadcast(S, q[xb + 64 + c]);
            m2 = lo.mul(xc).add(m2);
            n2 = hi.mul(xc).add(n2);
            xc = ShortVector.broadcast(S, q[xb + 96 + c]);
            m3 = lo.mul(xc).add(m3);
            n3 = hi.mul(xc).add(n3);
        }
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector first, second;
        short firstOffset, secondOffset;
        float dx;
        firstOffset = (short) (16 * x.halves[at]);
        secondOffset = (short) (16 * (x.sums[at] - x.halves[at]));
        dx = x.d[at];
        first = l0.sub(firstOffset).reinterpretAsInts();
        second = m0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        first = h0.sub(firstOffset).reinterpretAsInts();
        second = n0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        firstOffset = (short) (16 * x.halves[at + 1]);
        secondOffset = (short) (16 * (x.sums[at + 1] - x.halves[at + 1]));
        dx = x.d[at + 1];
        first = l1.sub(firstOffset).reinterpretAsInts();
        second = m1.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        first = h1.sub(firstOffset).reinterpretAsInts();
        second = n1.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
        firstOffset = (short) (16 * x.halves[at + 2]);
        secondOffset = (short) (16 * (x.sums[at + 2] - x.halves[at + 2]));
        dx = x.d[at + 2];
        first = l2.sub(firstOffset).reinterpretAsInts();
        second = m2.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 128)).intoArray(out, oo + 128);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 144)).intoArray(out, oo + 144);
        first = h2.sub(firstOffset).reinterpretAsInts();
        second = n2.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 160)).intoArray(out, oo + 160);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 176)).intoArray(out, oo + 176);
        firstOffset = (short) (16 * x.halves[at + 3]);
        secondOffset = (short) (16 * (x.sums[at + 3] - x.halves[at + 3]));
        dx = x.d[at + 3];
        first = l3.sub(firstOffset).reinterpretAsInts();
        second = m3.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 192)).intoArray(out, oo + 192);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 208)).intoArray(out, oo + 208);
        first = h3.sub(firstOffset).reinterpretAsInts();
        second = n3.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 224)).intoArray(out, oo + 224);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 240)).intoArray(out, oo + 240);
    }

    /** {@link #four} for two vectors t, t + 1. */
    private static void two(MemorySegment s, long o, Int8Batch x, int b, int t, float[] d, float[] out, int oo) {
        short[] q = x.q;
        int at = x.at(b, t), xb = BLOCK * at; // as in Q4_0Groups.eight: x.at once, before the sums are in registers
        long cols = o + SCALE_BYTES;
        // l, h: the first half's rows 0..31 and 32..63; m, n: the second half's
        ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0;
        ShortVector m0 = l0, n0 = l0, m1 = l0, n1 = l0;
        for (int c = 0; c < 16; c++) {
            long column = cols + (long) COLUMN * c;
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, column, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            long fifth = s.get(Le.I64, column + 32);
            ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth));
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> 32));
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            l1 = lo.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
        }
        for (int c = 16; c < 32; c++) {
            long column = cols + (long) COLUMN * c;
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, column, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            long fifth = s.get(Le.I64, column + 32);
            ShortVector lo = v.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth));
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, VectorMask.fromLong(S, fifth >>> 32));
            ShortVector xc = ShortVector.broadcast(S, q[xb + c]);
            m0 = lo.mul(xc).add(m0);
            n0 = hi.mul(xc).add(n0);
            xc = ShortVector.broadcast(S, q[xb + 32 + c]);
            m1 = lo.mul(xc).add(m1);
            n1 = hi.mul(xc).add(n1);
        }
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector first, second;
        short firstOffset, secondOffset;
        float dx;
        firstOffset = (short) (16 * x.halves[at]);
        secondOffset = (short) (16 * (x.sums[at] - x.halves[at]));
        dx = x.d[at];
        first = l0.sub(firstOffset).reinterpretAsInts();
        second = m0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        first = h0.sub(firstOffset).reinterpretAsInts();
        second = n0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
        firstOffset = (short) (16 * x.halves[at + 1]);
        secondOffset = (short) (16 * (x.sums[at + 1] - x.halves[at + 1]));
        dx = x.d[at + 1];
        first = l1.sub(firstOffset).reinterpretAsInts();
        second = m1.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo + 64)).intoArray(out, oo + 64);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 80)).intoArray(out, oo + 80);
        first = h1.sub(firstOffset).reinterpretAsInts();
        second = n1.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 96)).intoArray(out, oo + 96);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 112)).intoArray(out, oo + 112);
    }

    /** {@link #four} for one vector t (decoding's pass): its sums by {@link #sumsOfOne}, into {@code sums}. */
    private static void one(MemorySegment s, long o, Int8Batch x, int b, int t, short[] sums, float[] d, float[] out, int oo) {
        int at = x.at(b, t);
        sumsOfOne(s, o + SCALE_BYTES, x.q, BLOCK * at, sums);
        // l, h: the first half's rows 0..31 and 32..63; m, n: the second half's
        ShortVector l0 = ShortVector.fromArray(S, sums, 0), h0 = ShortVector.fromArray(S, sums, 32);
        ShortVector m0 = ShortVector.fromArray(S, sums, 64), n0 = ShortVector.fromArray(S, sums, 96);
        FloatVector d0 = FloatVector.fromArray(F, d, 0), d1 = FloatVector.fromArray(F, d, 16);
        FloatVector d2 = FloatVector.fromArray(F, d, 32), d3 = FloatVector.fromArray(F, d, 48);
        IntVector first, second;
        short firstOffset, secondOffset;
        float dx;
        firstOffset = (short) (16 * x.halves[at]);
        secondOffset = (short) (16 * (x.sums[at] - x.halves[at]));
        dx = x.d[at];
        first = l0.sub(firstOffset).reinterpretAsInts();
        second = m0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d0.mul(dx), FloatVector.fromArray(F, out, oo)).intoArray(out, oo);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d1.mul(dx), FloatVector.fromArray(F, out, oo + 16)).intoArray(out, oo + 16);
        first = h0.sub(firstOffset).reinterpretAsInts();
        second = n0.sub(secondOffset).reinterpretAsInts();
        ((FloatVector) first.lanewise(LSHL, 16).lanewise(ASHR, 16).add(second.lanewise(LSHL, 16).lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d2.mul(dx), FloatVector.fromArray(F, out, oo + 32)).intoArray(out, oo + 32);
        ((FloatVector) first.lanewise(ASHR, 16).add(second.lanewise(ASHR, 16)).convertShape(I2F, F, 0))
                .fma(d3.mul(dx), FloatVector.fromArray(F, out, oo + 48)).intoArray(out, oo + 48);
    }

    /**
     * Adds block b's sums for vectors t .. t + count to the totals at {@code out[oo ..]}: each half's sums less 16
     * times the half's activation sum (exact in 16 bits), the halves added in 32 bits, times the rows' scales times
     * the vector's scale.
     */
    private static void addBlock(Int8Batch x, int b, int t, int count, short[] sums, float[] d, float[] out, int oo) {
        for (int k = 0; k < count; k++) {
            int at = x.at(b, t + k);
            short first = (short) (16 * x.halves[at]), second = (short) (16 * (x.sums[at] - x.halves[at]));
            float dx = x.d[at];
            for (int part = 0; part < ROWS; part += L) { // L rows' sums: their even rows, then their odd ones
                IntVector a = ShortVector.fromArray(S, sums, 128 * k + part).sub(first).reinterpretAsInts();
                IntVector c = ShortVector.fromArray(S, sums, 128 * k + 64 + part).sub(second).reinterpretAsInts();
                int even = oo + ROWS * k + part, odd = even + L / 2;
                IntVector evens = a.lanewise(LSHL, 16).lanewise(ASHR, 16).add(c.lanewise(LSHL, 16).lanewise(ASHR, 16));
                IntVector odds = a.lanewise(ASHR, 16).add(c.lanewise(ASHR, 16));
                ((FloatVector) evens.convertShape(I2F, F, 0))
                        .fma(FloatVector.fromArray(F, d, part).mul(dx), FloatVector.fromArray(F, out, even)).intoArray(out, even);
                ((FloatVector) odds.convertShape(I2F, F, 0))
                        .fma(FloatVector.fromArray(F, d, part + L / 2).mul(dx), FloatVector.fromArray(F, out, odd)).intoArray(out, odd);
            }
        }
    }
}
