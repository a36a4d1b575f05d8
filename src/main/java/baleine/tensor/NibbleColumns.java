package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * 4-bit rows regrouped 64 at a time so that a vector lane holds one row (Q4_0 in {@link Q4_0Groups}, Q4_K in {@link
 * Q4_KGroups}), for integer products with 8-bit activations ({@link Int8Batch}) as llama.cpp multiplies them. A
 * block of 32 columns is stored column after column, 32 bytes each, two rows' values to a byte ({@link #columnByte},
 * {@link #nibbleShift}): with 512-bit vectors byte i holds row i's value in its low nibble and row i + 32's in its
 * high one; with 256-bit vectors bytes 2i and 2i + 1 hold rows i and i + 16, then i + 32 and i + 48.
 *
 * <p>With 512 bits a column is one 32-byte load, widened to 32 shorts, its two nibbles masked apart and multiplied
 * by the activation broadcast: 64 multiply-adds in 16-bit lanes, where a float kernel converts every 4-bit value to
 * a float first (decoding skips the mask: {@code Q4_0Groups.one}). With 256 bits the column is read as 16 shorts
 * (loaded and shifted as 8 ints, see {@link #I}), whose four nibbles are the four parts of 16 rows: no widening (the
 * two byte-to-short widenings per column had limited a Zen 3 core). A block's sums of {@code (q - 8) x} stay within
 * 16 bits ({@code |q - 8| <= 8}, {@code |x| <= 127}, 32 columns: at most 32512): the sums of q (0..15) computed here
 * wrap, and subtracting 8 times the activations' block sum (after the loop, or, in the 512-bit kernels, as the sums'
 * starting value) leaves the exact sum. A vector of
 * the machine's width holds L = 32 (512 bits) or 16 (256 bits) rows' sums. Narrower machines keep the float kernels.
 */
final class NibbleColumns {
    static final int ROWS = 64;
    static final int BLOCK = 32;
    /** A block's column bytes in a group. */
    static final int COLUMN_BYTES = BLOCK * 32;
    /** Where a block's columns start, one after another ({@link #placeNibbles}). */
    static final int[] COLUMNS = new int[BLOCK];

    static {
        for (int j = 0; j < BLOCK; j++) {
            COLUMNS[j] = 32 * j;
        }
    }
    static final boolean SUPPORTED = Species.FUSED; // 256 bits or more
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Shorts in a vector as wide as the machine's floats: the rows one vector of sums holds. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, Species.F.vectorShape());
    static final int L = S.length();
    /**
     * The 256-bit kernels read a column as ints and shift those: each short's nibble k is {@code (w >>> 4k) &}
     * {@link #LOW_NIBBLES} whatever the short above it holds, the same values as shifting the shorts (this class's
     * kernels leave the mask out and {@link #unmask} their sums; {@code Q5_0Groups}' word kernels mask). C2 shifts
     * ints by a constant with an immediate, shorts only by a count it first moves into a vector register (one more
     * instruction per shift: three a column of 64 rows). Zen 3, Qwen shape in one JVM: Q4_0 decoding 1.053x, pp64
     * 1.065x, pp512 1.055x; Q5_K_M ({@code Q5_0Groups}' word kernels) pp64 1.048x, decoding 1.029x.
     */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, Species.F.vectorShape());
    static final int LOW_NIBBLES = 0x000F000F;
    /** The bytes that widen to those shorts: L rows' nibbles of a column. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Species.F.vectorBitSize() / 2));
    /** Vectors a kernel's pass over a block takes at most: eight where 32 rows' sums fit a vector (sixteen sums in 32 registers). */
    static final int BATCH = L == 32 ? 8 : 4;
    /** Vectors a group's product takes at most in one call: its totals, 64 rows each, fit the first-level cache. */
    static final int TOKENS = 64;

    /** {@link #unslot}'s two-vector selections: lane i takes lane {@code from + i / 2} of the even rows (i even) or of the odd rows (i odd), from 0 or L / 4. */
    private static final FloatVector ZIP_FIRST = zip(0), ZIP_SECOND = zip(Species.F.length() / 2);
    private static final ThreadLocal<byte[][]> REGROUP_BUFFERS = ThreadLocal.withInitial(() -> new byte[][]{new byte[0], new byte[0]});

    private NibbleColumns() {
    }

    /**
     * This thread's two regrouping buffers of at least {@code bytes} each: the rows as stored (filled from {@code source}
     * at {@code off}) and the group to write back.
     */
    static byte[][] regroupBuffers(MemorySegment source, long off, int bytes) {
        byte[][] buffers = REGROUP_BUFFERS.get();
        if (buffers[0].length < bytes) {
            buffers[0] = new byte[bytes];
            buffers[1] = new byte[bytes];
        }
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, off, buffers[0], 0, bytes);
        return buffers;
    }

    /**
     * Where row {@code lane} of a group sits among the kernels' 64 outputs and a group's per-row values (scales):
     * per L rows (one vector of sums) their even rows, then their odd ones (a 32-bit lane of the 16-bit sums holds
     * an even row and the next odd one). The layout in memory follows the machine's width.
     */
    static int slot(int lane) {
        int part = lane / L, j = lane % L;
        return part * L + (j % 2) * (L / 2) + j / 2;
    }

    /**
     * {@code y[t0 + k][at .. at + 64)} = a whole group's outputs for vector k ({@code out[64 k + slot(lane)]}) in row
     * order, for k in [0, count): per L rows their even and odd rows' halves zipped, a float vector at a time (a
     * Qwen-shape group of 64 rows by 64 vectors: 5.8 us one value at a time, the kernel's own work ~54 us).
     */
    static void unslot(float[] out, int count, float[][] y, int t0, int at) {
        int half = Species.F.length(); // L / 2: a part's even rows, then its odd ones
        for (int k = 0; k < count; k++) {
            float[] row = y[t0 + k];
            for (int part = 0; part < ROWS; part += L) {
                FloatVector even = FloatVector.fromArray(Species.F, out, ROWS * k + part);
                FloatVector odd = FloatVector.fromArray(Species.F, out, ROWS * k + part + half);
                ZIP_FIRST.selectFrom(even, odd).intoArray(row, at + part);
                ZIP_SECOND.selectFrom(even, odd).intoArray(row, at + part + half);
            }
        }
    }

    private static FloatVector zip(int from) {
        float[] index = new float[Species.F.length()];
        for (int i = 0; i < index.length; i++) {
            index[i] = (i % 2) * index.length + from + i / 2;
        }
        return FloatVector.fromArray(Species.F, index, 0);
    }

    /** The byte of a column that holds row {@code lane}'s value. */
    static int columnByte(int lane) {
        return L == 32 ? lane % 32 : 2 * (lane % 16) + lane / 32;
    }

    /** Where in {@link #columnByte} row {@code lane}'s value sits: 0 (the low nibble) or 4. */
    static int nibbleShift(int lane) {
        return L == 32 ? lane / 32 * 4 : lane % 32 / 16 * 4;
    }

    /** The row whose value is the low nibble of a column's byte k (the inverse of {@link #columnByte}). */
    static int lowRow(int k) {
        return L == 32 ? k : k / 2 + 32 * (k % 2);
    }

    /** The row whose value is the high nibble of a column's byte k. */
    static int highRow(int k) {
        return lowRow(k) + (L == 32 ? 32 : 16);
    }

    /**
     * A block's regrouped column bytes from its rows' packed bytes, each of which holds two columns' values: for each
     * column byte k and j in [0, width), the bytes x and y at {@code from + j} of rows {@link #lowRow}(k) and {@link
     * #highRow}(k) ({@code rowBytes} apart in {@code rows}) give the byte of the columns in their low nibbles, {@code
     * group[low + lowAt[j] + k] = x & 0x0F | (y & 0x0F) << 4}, and of those in their high nibbles, {@code group[high +
     * highAt[j] + k] = x >> 4 & 0x0F | y & 0xF0}. Eight k and eight j at a time: eight rows' bytes read as longs, their
     * nibbles combined, the 8 x 8 bytes transposed ({@link EightBytes}). Width: a multiple of 8.
     */
    static void placeNibbles(byte[] rows, int rowBytes, int from, int width, byte[] group, int low, int[] lowAt, int high, int[] highAt) {
        long[] lows = new long[8], highs = new long[8];
        for (int k = 0; k < 32; k += 8) {
            for (int j = 0; j < width; j += 8) {
                for (int i = 0; i < 8; i++) {
                    long x = EightBytes.get(rows, lowRow(k + i) * rowBytes + from + j), y = EightBytes.get(rows, highRow(k + i) * rowBytes + from + j);
                    lows[i] = x & EightBytes.LOW_NIBBLES | (y & EightBytes.LOW_NIBBLES) << 4;
                    highs[i] = x >>> 4 & EightBytes.LOW_NIBBLES | y & EightBytes.HIGH_NIBBLES;
                }
                EightBytes.transpose(lows);
                EightBytes.transpose(highs);
                for (int i = 0; i < 8; i++) {
                    EightBytes.set(group, low + lowAt[j + i] + k, lows[i]);
                    EightBytes.set(group, high + highAt[j + i] + k, highs[i]);
                }
            }
        }
    }

    /** Row {@code lane}'s value in column c of the block whose columns start at {@code cols}. */
    static int nibble(MemorySegment s, long cols, int c, int lane) {
        int packed = s.get(Le.I8, cols + 32L * c + columnByte(lane)) & 0xFF;
        return packed >>> nibbleShift(lane) & 0xF;
    }

    /**
     * A block's 16-bit sums of (q . x), its columns at {@code cols}, for the vector whose block starts at {@code
     * x[xb]}, with 256-bit vectors (the 512-bit kernels keep their sums in registers): rows 0..63 at {@code sums[0
     * ..]}, in 16-row parts, each a nibble of the column's 16 shorts.
     */
    static void sumsOfOne(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment columns = s.asSlice(cols, COLUMN_BYTES);
        ShortVector p0 = ShortVector.zero(S), p1 = p0, p2 = p0, p3 = p0;
        // whole shorts and the shorts shifted by 4, 8 and 12 as ints, unmasked, then unmask: four masks a column fewer
        // (Qwen-shape AVX2-width decoding, Zen 4 with 256-bit vectors, side by side: Q4_0 1.12x, Q4_K 1.07x)
        for (int c = 0; c < BLOCK; c++) {
            IntVector w = IntVector.fromMemorySegment(I, columns, 32L * c, LE);
            ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
            p0 = w.reinterpretAsShorts().mul(xc).add(p0);
            p1 = w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().mul(xc).add(p1);
            p2 = w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().mul(xc).add(p2);
            p3 = w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().mul(xc).add(p3);
        }
        p0.intoArray(sums, 0);
        p1.intoArray(sums, 16);
        p2.intoArray(sums, 32);
        p3.intoArray(sums, 48);
        unmask(sums, 0);
    }

    /**
     * A block's 16-bit sums of {@code (q - 8) x} for one vector with 512-bit vectors, its columns at {@code cols} (32
     * bytes each, widened to 32 shorts), its values at {@code x[xb ..]} summing to {@code sumX}: rows 0..31 (the
     * bytes' low nibbles, slot order) at {@code sums[0 ..]}, rows 32..63 (the high nibbles) at {@code sums[32 ..]}.
     * Without masks: per 16-bit lane (a byte b = lo + 16 hi) the sums of b x and of (b >>> 4) x, the shift taken on
     * 32-bit lanes (an immediate count, no mask), so that each even lane's also holds 4096 times the odd lane's low
     * nibbles' sum. Mod 2^16 (the 16-bit sums wrap, and each true sum fits): sum lo x = sum b x - 16 sum hi x, where that
     * extra term vanishes (16 x 4096), and it is taken back from the even lanes' high sums with the odd lanes' low sums.
     * Three instructions a column fewer than a mask and a 16-bit shift (C2 reloaded the mask and moved the shift's count
     * into a vector register at every column): Qwen-shape decoding with one thread, side by side on Zen 4, Q4_0 1.10x,
     * Q4_K 1.06x.
     */
    static void sumsOfOneWide(MemorySegment s, long cols, short[] x, int xb, int sumX, short[] sums) {
        MemorySegment columns = s.asSlice(cols, COLUMN_BYTES);
        // the initial values: -8 sum x for the high nibbles', -136 = -8 - 128 for the bytes' (16 x -8 taken back)
        ShortVector whole = ShortVector.broadcast(S, (short) (-136 * sumX)), hi = ShortVector.broadcast(S, (short) (-8 * sumX));
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, columns, 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
            whole = v.mul(xc).add(whole);
            hi = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().mul(xc).add(hi);
        }
        ShortVector lo = whole.sub(hi.lanewise(VectorOperators.LSHL, 4));
        IntVector low = lo.add((short) (8 * sumX)).reinterpretAsInts(); // each odd lane's sum of lo x, mod 16 at 12..15 of the even lane
        lo.intoArray(sums, 0);
        hi.sub(low.lanewise(VectorOperators.LSHR, 16).lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts())
                .intoArray(sums, 32);
    }

    /**
     * A vector's sums of whole shorts and of the shorts shifted by 4, 8 and 12 (as ints, unmasked) at {@code sums[at
     * ..]}, {@code [at + 16 ..]}, {@code [at + 32 ..]}, {@code [at + 48 ..]}, turned into its four nibbles' sums, in
     * place. Mod 2^16 each is one sum less 16 times the next (what the shifts bring down from the odd short above an
     * even one comes back 16 x 4096 times, vanishing), but the top nibble's, which in the even shorts also holds 16
     * times the odd short's whole sum.
     */
    private static void unmask(short[] sums, int at) {
        ShortVector p0 = ShortVector.fromArray(S, sums, at), p1 = ShortVector.fromArray(S, sums, at + 16);
        ShortVector p2 = ShortVector.fromArray(S, sums, at + 32), p3 = ShortVector.fromArray(S, sums, at + 48);
        p0.sub(p1.lanewise(VectorOperators.LSHL, 4)).intoArray(sums, at);
        p1.sub(p2.lanewise(VectorOperators.LSHL, 4)).intoArray(sums, at + 16);
        p2.sub(p3.lanewise(VectorOperators.LSHL, 4)).intoArray(sums, at + 32);
        IntVector whole = p0.reinterpretAsInts();
        p3.sub(whole.lanewise(VectorOperators.LSHR, 16).lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts())
                .intoArray(sums, at + 48);
    }

    /**
     * {@link #sumsOfOne} for two vectors, whose blocks start at {@code x[xb]} and 32 further (block-major
     * activations), into {@code sums[0 ..]} and 64 further; each column's nibbles unpacked once.
     */
    static void sumsOfTwo(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment columns = s.asSlice(cols, COLUMN_BYTES);
        ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int c = 0; c < BLOCK; c++) {
            IntVector w = IntVector.fromMemorySegment(I, columns, 32L * c, LE); // unmasked, as in sumsOfOne
            ShortVector n0 = w.reinterpretAsShorts(), n1 = w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            ShortVector n2 = w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts();
            ShortVector n3 = w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts();
            ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
            a0 = n0.mul(xc).add(a0);
            a1 = n1.mul(xc).add(a1);
            a2 = n2.mul(xc).add(a2);
            a3 = n3.mul(xc).add(a3);
            xc = ShortVector.broadcast(S, x[xb + 32 + c]);
            b0 = n0.mul(xc).add(b0);
            b1 = n1.mul(xc).add(b1);
            b2 = n2.mul(xc).add(b2);
            b3 = n3.mul(xc).add(b3);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, 16);
        a2.intoArray(sums, 32);
        a3.intoArray(sums, 48);
        b0.intoArray(sums, ROWS);
        b1.intoArray(sums, ROWS + 16);
        b2.intoArray(sums, ROWS + 32);
        b3.intoArray(sums, ROWS + 48);
        unmask(sums, 0);
        unmask(sums, ROWS);
    }

    /**
     * {@link #sumsOfTwo} for four vectors (into {@code sums[64 k ..]} for vector k): two passes over the columns,
     * rows 0..31 (the shorts' low bytes) then 32..63, so that the sixteen sums, two nibbles and the activation fit
     * AVX2's sixteen registers. One method: a pass as a method of its own was not inlined, and the slice it took
     * was allocated.
     */
    static void sumsOfFour(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment columns = s.asSlice(cols, COLUMN_BYTES);
        for (int shift = 0; shift <= 8; shift += 8) {
            ShortVector a0 = ShortVector.zero(S), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
            for (int c = 0; c < BLOCK; c++) {
                IntVector w = IntVector.fromMemorySegment(I, columns, 32L * c, LE).lanewise(VectorOperators.LSHR, shift); // unmasked
                ShortVector n0 = w.reinterpretAsShorts(), n1 = w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
                ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
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
            }
            int at = 4 * shift; // rows 0.. or 32..
            a0.intoArray(sums, at);
            a1.intoArray(sums, at + 16);
            b0.intoArray(sums, ROWS + at);
            b1.intoArray(sums, ROWS + at + 16);
            c0.intoArray(sums, 2 * ROWS + at);
            c1.intoArray(sums, 2 * ROWS + at + 16);
            d0.intoArray(sums, 3 * ROWS + at);
            d1.intoArray(sums, 3 * ROWS + at + 16);
        }
        for (int k = 0; k < 4; k++) {
            unmask(sums, ROWS * k);
        }
    }
}
