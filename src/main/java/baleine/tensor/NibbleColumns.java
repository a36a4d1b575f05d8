package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
 * block of 32 columns is stored column after column, 32 bytes each: byte i holds row i's value in its low nibble
 * and row i + 32's in its high one.
 *
 * <p>A column is one 32-byte load, widened to 32 shorts, its two nibbles masked apart and multiplied by the
 * activation broadcast: 64 multiply-adds in 16-bit lanes, where a float kernel converts every 4-bit value to a float
 * first. A block's sums of {@code (q - 8) x} stay within 16 bits ({@code |q - 8| <= 8}, {@code |x| <= 127}, 32
 * columns: at most 32512): the sums of q (0..15) computed here wrap, and subtracting 8 times the activations' block
 * sum (after the loop, or, in the 512-bit kernels, as the sums' starting value) leaves the exact sum. A vector of the machine's width holds L = 32 (512 bits) or 16 (256 bits) rows'
 * sums: with 16, a column goes as two 16-byte parts. Narrower machines keep the float kernels.
 */
final class NibbleColumns {
    static final int ROWS = 64;
    static final int BLOCK = 32;
    /** A block's column bytes in a group. */
    static final int COLUMN_BYTES = BLOCK * 32;
    static final boolean SUPPORTED = Species.FUSED; // 256 bits or more
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Shorts in a vector as wide as the machine's floats: the rows one vector of sums holds. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, Species.F.vectorShape());
    static final int L = S.length();
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
     * This thread's two regrouping buffers of at least {@code bytes} each: the rows as stored (filled from {@code s}
     * at {@code off}) and the group to write back.
     */
    static byte[][] regroupBuffers(MemorySegment s, long off, int bytes) {
        byte[][] buffers = REGROUP_BUFFERS.get();
        if (buffers[0].length < bytes) {
            buffers[0] = new byte[bytes];
            buffers[1] = new byte[bytes];
        }
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off, buffers[0], 0, bytes);
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

    /** Row {@code lane}'s value in column c of the block whose columns start at {@code cols}. */
    static int nibble(MemorySegment s, long cols, int c, int lane) {
        int packed = s.get(Le.I8, cols + 32L * c + lane % 32) & 0xFF;
        return lane < 32 ? packed & 0xF : packed >>> 4;
    }

    /**
     * A block's 16-bit sums of (q . x), its columns at {@code cols}, for the vector whose block starts at {@code
     * x[xb]}: low nibbles (rows 0..31) at {@code sums[0 ..]}, high ones (rows 32..63) at {@code sums[32 ..]}; a part
     * of L rows at a time (one part with 512-bit vectors, two with 256).
     */
    static void sumsOfOne(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        for (int p = 0; p < 32; p += L) {
            ShortVector lo = ShortVector.zero(S), hi = lo;
            for (int c = 0; c < BLOCK; c++) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, cols + 32L * c + p, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
                lo = v.and((short) 0x0F).mul(xc).add(lo);
                hi = v.lanewise(VectorOperators.LSHR, 4).mul(xc).add(hi);
            }
            lo.intoArray(sums, p);
            hi.intoArray(sums, 32 + p);
        }
    }

    /**
     * {@link #sumsOfOne} for two vectors, whose blocks start at {@code x[xb]} and 32 further (block-major
     * activations), into {@code sums[0 ..]} and 64 further; each column's nibbles unpacked once.
     */
    static void sumsOfTwo(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        for (int p = 0; p < 32; p += L) {
            ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0;
            for (int c = 0; c < BLOCK; c++) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, cols + 32L * c + p, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
                ShortVector xc = ShortVector.broadcast(S, x[xb + c]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
                xc = ShortVector.broadcast(S, x[xb + 32 + c]);
                l1 = lo.mul(xc).add(l1);
                h1 = hi.mul(xc).add(h1);
            }
            l0.intoArray(sums, p);
            h0.intoArray(sums, 32 + p);
            l1.intoArray(sums, ROWS + p);
            h1.intoArray(sums, ROWS + 32 + p);
        }
    }

    /** {@link #sumsOfTwo} for four vectors (into {@code sums[64 k ..]} for vector k). */
    static void sumsOfFour(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        for (int p = 0; p < 32; p += L) {
            sumsOfFour(s, cols + p, x, xb, sums, p);
        }
    }

    static void sumsOfFour(MemorySegment s, long cols, short[] x, int xb, short[] sums, int p) {
        ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
        for (int c = 0; c < BLOCK; c++) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, s, cols + 32L * c, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = v.and((short) 0x0F), hi = v.lanewise(VectorOperators.LSHR, 4);
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
        l0.intoArray(sums, p);
        h0.intoArray(sums, 32 + p);
        l1.intoArray(sums, 64 + p);
        h1.intoArray(sums, 96 + p);
        l2.intoArray(sums, 128 + p);
        h2.intoArray(sums, 160 + p);
        l3.intoArray(sums, 192 + p);
        h3.intoArray(sums, 224 + p);
    }

}
