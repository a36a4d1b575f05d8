package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static baleine.tensor.EightBytes.LOW_NIBBLES;
import static baleine.tensor.EightBytes.LOW_PAIRS;
import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.L;
import static baleine.tensor.NibbleColumns.LE;
import static baleine.tensor.NibbleColumns.ROWS;
import static baleine.tensor.NibbleColumns.S;
import static baleine.tensor.NibbleColumns.slot;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q6_K rows regrouped 64 at a time, multiplied by activations rounded per 256 values ({@link
 * Int8Batch.Rounding#Q8_K}) as llama.cpp multiplies them. Per super-block of 256 columns a group holds its sixteen
 * sub-blocks, each the 64 rows' 8-bit scales (64 bytes, {@link NibbleColumns#slot} order) and then its 16 columns, and
 * after them the 64 rows' d (128 bytes, slot order): in the order the kernels read them, so that decoding streams a
 * group from its first byte to its last (with the d and all the scales ahead of the columns, a Q6_K matrix of 8192 x
 * 8192 was multiplied from memory at 10 GB/s on one Zen 4 core, against 21 GB/s so, and Qwen-shape Q4_K_M models, whose
 * output head is Q6_K, decoded 1.5x faster). The columns come four at a time, 192 bytes a quad (c .. c + 3) in three
 * 64-byte parts, read as 32 16-bit lanes: lane i of part k holds row i's q in column c + k in its low byte and row i +
 * 32's in its high byte, each byte's top two bits holding two of that row's six bits of column c + 3 (part 0 the
 * lowest). A column's 64 values are then one
 * load, an AND and a shift (column c + 3: three loads, three shifts, three masks), the lanes split as 32-bit lanes,
 * whose shifts take an immediate count. That is exactly the bytes of the 64 rows (64 x 210), so rows are regrouped in
 * place.
 *
 * <p>A row's value is {@code d sc_j (q - 32)} in sub-block j (16 columns). {@code |q - 32| <= 32}: over eight columns
 * the products with 8-bit activations stay within 16 bits (at most 32512), so each run of eight columns has 16-bit
 * sums of q x, corrected by 32 times the run's activation sum ({@link Int8Batch#eighths}); the two runs of a
 * sub-block times its scale go into a 32-bit integer sum per super-block, which times d and the activations' d is
 * added to the row's float total, as llama.cpp sums them. Decoding with 512-bit vectors ({@link #one}) keeps the sums
 * and totals in registers; prompts take eight vectors a pass ({@link #eight}), then four and two with their sums
 * through memory, and a last one a run at a time with its sums in registers ({@link #runOfOne}); decoding with 256-bit
 * vectors takes a super-block a call ({@link #oneOfNarrow}). The vector kernels have a scalar twin ({@link
 * #dotScalar}) that the tests compare them with.
 */
final class Q6_KGroups {
    static final int SUPER = 256;
    private static final int SUBS = 16;
    /** Bytes of four columns of the 64 rows, and of a run of eight. */
    private static final int QUAD = 192, RUN = 2 * QUAD;
    /** Per 16-bit lane, the low byte's six bits; the masks that gather column c + 3's bits from a quad's parts. */
    private static final int SIX = 0x003F003F, PART0 = 0x03030303, PART1 = 0x0C0C0C0C, PART2 = 0x30303030;
    /** Bytes of a sub-block: its 64 scales, then its two runs. */
    private static final int SUB_BYTES = ROWS + 2 * RUN;
    /** Where the rows' d follow the sixteen sub-blocks. */
    private static final int D_AT = SUBS * SUB_BYTES;
    /** A group's bytes per super-block: as many as its 64 rows take in Q6_K (210 bytes per row and super-block). */
    static final int SUPER_BYTES = D_AT + 2 * ROWS;
    /** This thread's super-block of 64 rows' values (row r's 256 at {@code 256 r}) while it regroups. */
    private static final ThreadLocal<byte[]> VALUES = ThreadLocal.withInitial(() -> new byte[ROWS * SUPER]);
    private static final VectorSpecies<Float> F = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;
    /** Per thread: a batch's vector alone, for {@link #one} ({@link Int8Batch#single}). */
    private static final ThreadLocal<Int8Batch> SINGLE = ThreadLocal.withInitial(Int8Batch::new);
    /** Per thread: the 32-bit sums of a super-block, 64 rows per vector (slot order). */
    private static final ThreadLocal<int[]> SUMS = ThreadLocal.withInitial(() -> new int[ROWS * NibbleColumns.TOKENS]);

    private Q6_KGroups() {
    }

    /**
     * Where sub-block j's 64 scales start in a super-block. The kernels write this and {@link #runAt} out: in a large
     * kernel C2 may stop inlining even such small calls (NodeCountInliningCutoff), and a call left in the loop boxes the
     * vectors live across it (V2-Lite-shape Q4_K_M decoding allocated 25 MiB a token in such a compile of {@link #one}).
     * {@link #dot} and the small passes write them out too: calling them there, ahead of any vector, gave the same bits
     * but Qwen-shape Q4_K_M pp64 at 0.63–0.81x in three pairs and 0.72–1.11x in three more (a noisy hour): no gain.
     */
    private static long scalesAt(int j) {
        return (long) SUB_BYTES * j;
    }

    /** Where run {@code run} (columns 8 run .. 8 run + 7) starts in a super-block. */
    private static long runAt(int run) {
        return (long) SUB_BYTES * (run / 2) + ROWS + (long) RUN * (run % 2);
    }

    /**
     * A plain super-block's 256 values (0..63) at {@code rows[from ..]} into {@code q[at .. at + 256)}, in column order,
     * eight at a time. Per half of 128 and column l, its two low-bit bytes and its high-bit byte give the values of
     * columns l, l + 32, l + 64 and l + 96 (value k of a half: its low four bits in byte k % 64 of the half's 64, the
     * high nibble for k >= 64; its top two bits at bit 2 (k / 32) of byte k % 32 of the half's 32).
     */
    private static void plainValues(byte[] rows, int from, byte[] q, int at) {
        for (int half = 0; half < 2; half++) {
            int low = from + 64 * half, high = from + 128 + 32 * half, to = at + 128 * half;
            for (int l = 0; l < 32; l += 8) {
                long a = EightBytes.get(rows, low + l), b = EightBytes.get(rows, low + 32 + l), h = EightBytes.get(rows, high + l);
                EightBytes.set(q, to + l, a & LOW_NIBBLES | (h & LOW_PAIRS) << 4);
                EightBytes.set(q, to + 32 + l, b & LOW_NIBBLES | (h >>> 2 & LOW_PAIRS) << 4);
                EightBytes.set(q, to + 64 + l, a >>> 4 & LOW_NIBBLES | (h >>> 4 & LOW_PAIRS) << 4);
                EightBytes.set(q, to + 96 + l, b >>> 4 & LOW_NIBBLES | (h >>> 6 & LOW_PAIRS) << 4);
            }
        }
    }

    /**
     * Regroups the 64 Q6_K rows at {@code off} ({@code supers} super-blocks each) of {@code source} into the same
     * place of {@code target} (the same segment: in place). A super-block's values are unpacked row by row into a
     * buffer of this thread's ({@link #plainValues}), then turned into columns eight rows by eight columns at a time
     * ({@link EightBytes#transpose}; value by value it regrouped at 0.6 GB/s on a Zen 4 core).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int supers) {
        int rowBytes = 210 * supers, bytes = ROWS * rowBytes;
        byte[][] buffers = NibbleColumns.regroupBuffers(source, off, bytes);
        byte[] rows = buffers[0], group = buffers[1];
        byte[] q = VALUES.get();
        long[] m = new long[8];
        for (int b = 0; b < supers; b++) {
            int to = SUPER_BYTES * b;
            for (int r = 0; r < ROWS; r++) {
                int from = r * rowBytes + 210 * b, lane = slot(r);
                group[to + D_AT + 2 * lane] = rows[from + 208];
                group[to + D_AT + 2 * lane + 1] = rows[from + 209];
                for (int j = 0; j < SUBS; j++) {
                    group[to + (int) scalesAt(j) + lane] = rows[from + 192 + j];
                }
                plainValues(rows, from, q, SUPER * r);
            }
            // a quad's part p, byte z: column c + p of the row in lane byte z (row z / 2 + 32 (z % 2)), its top two bits
            // two of column c + 3's
            for (int c = 0; c < SUPER; c += 8) {
                int run = to + (int) runAt(c / 8);
                for (int z = 0; z < ROWS; z += 8) {
                    for (int i = 0; i < 8; i++) {
                        int row = (z + i) / 2 + 32 * ((z + i) % 2);
                        m[i] = EightBytes.get(q, SUPER * row + c);
                    }
                    EightBytes.transpose(m); // m[j]: column c + j of the eight rows
                    for (int part = 0; part < 3; part++) {
                        EightBytes.set(group, run + 64 * part + z, m[part] | (m[3] >>> 2 * part & LOW_PAIRS) << 6);
                        EightBytes.set(group, run + QUAD + 64 * part + z, m[4 + part] | (m[7] >>> 2 * part & LOW_PAIRS) << 6);
                    }
                }
            }
        }
        MemorySegment.copy(group, 0, target, ValueLayout.JAVA_BYTE, off, bytes);
    }

    /** Row {@code lane}'s q (0..63) in column c of the super-block at {@code o}. */
    private static int value(MemorySegment s, long o, int c, int lane) {
        long at = o + runAt(c / 8) + (long) QUAD * (c / 4 % 2) + 2 * (lane % 32) + lane / 32;
        if (c % 4 < 3) {
            return s.get(Le.I8, at + 64L * (c % 4)) & 63;
        }
        int q = 0;
        for (int part = 0; part < 3; part++) {
            q |= (s.get(Le.I8, at + 64L * part) & 0xFF) >>> 6 << 2 * part;
        }
        return q;
    }

    private static float d(MemorySegment s, long o, int lane) {
        return Float.float16ToFloat(s.get(Le.I16, o + D_AT + 2L * slot(lane)));
    }

    private static int scale(MemorySegment s, long o, int j, int lane) {
        return s.get(Le.I8, o + scalesAt(j) + slot(lane));
    }

    /** Row {@code lane} of the group at {@code g} as floats, {@code d sc (q - 32)} as Q6_K decodes it. */
    static void decodeRow(MemorySegment s, long g, int supers, int lane, float[] dst) {
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            float d = d(s, o, lane);
            for (int c = 0; c < SUPER; c++) {
                dst[SUPER * b + c] = d * scale(s, o, c / 16, lane) * (value(s, o, c, lane) - 32);
            }
        }
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int supers, int lane, Int8Batch x, int t) {
        float total = 0;
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            int sum = 0;
            for (int c = 0; c < SUPER; c++) {
                sum += scale(s, o, c / 16, lane) * (value(s, o, c, lane) - 32) * x.q[BLOCK * x.at(8 * b + c / 32, t) + c % 32];
            }
            total = Math.fma((float) sum, d(s, o, lane) * x.d[x.at(8 * b, t)], total);
        }
        return total;
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k, run after run of eight columns, each
     * read for all the vectors while in the first-level cache. {@code sums} is scratch of 256 shorts, {@code d} of 64
     * floats.
     */
    static void dot(MemorySegment s, long g, int supers, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] d) {
        if (count == 1 && L == 32) {
            one(s, g, supers, x, t0, out);
            return;
        }
        if (count == 1 && L == 16) {
            oneOfNarrow(s, g, supers, x, t0, out, d);
            return;
        }
        int[] total = SUMS.get();
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            java.util.Arrays.fill(total, 0, ROWS * count, 0);
            for (int run = 0; run < SUPER / 8; run++) {
                long cols = o + (long) SUB_BYTES * (run / 2) + ROWS + (long) RUN * (run % 2);
                int block = 8 * b + run / 4, xc = 8 * (run % 4), k = 0;
                if (NibbleColumns.BATCH == 8) {
                    for (; k + 8 <= count; k += 8) {
                        eight(s, o, run, x, block, t0 + k, total, ROWS * k);
                    }
                }
                for (; k + 4 <= count; k += 4) {
                    sumsOfFour(s, cols, x.q, BLOCK * x.at(block, t0 + k) + xc, sums);
                    addRun(s, o, x, block, run, t0 + k, 4, sums, total, ROWS * k);
                }
                for (; k + 2 <= count; k += 2) {
                    sumsOfTwo(s, cols, x.q, BLOCK * x.at(block, t0 + k) + xc, sums);
                    addRun(s, o, x, block, run, t0 + k, 2, sums, total, ROWS * k);
                }
                for (; k < count; k++) {
                    runOfOne(s, o, run, x, block, t0 + k, total, ROWS * k);
                }
            }
            addSuper(s, o, x, 8 * b, t0, count, total, d, out);
        }
    }

    /**
     * A run of eight columns (two quads) times vector t, added to its 32-bit sums at {@code total[tt ..]} as {@link
     * #addRun} adds them: the 16-bit sums of q x for L rows at a time (rows p .. p + L in the parts' low bytes, rows 32
     * + p .. in their high bytes) stay in registers, less 32 times the run's activation sum, times the rows' scale. Each
     * quad's columns are written out here and in the other passes: a helper returning the column's vector was compiled
     * out of line, its vector boxed.
     */
    private static void runOfOne(MemorySegment s, long o, int run, Int8Batch x, int block, int t, int[] total, int tt) {
        MemorySegment r = s.asSlice(o + (long) SUB_BYTES * (run / 2) + ROWS + (long) RUN * (run % 2), RUN);
        long scales = o + (long) SUB_BYTES * (run / 2);
        int at = x.at(block, t), xb = BLOCK * at + 8 * (run % 4);
        short[] q = x.q;
        short offset = (short) (32 * x.eighths[4 * at + run % 4]);
        for (int p = 0; p < 32; p += L) {
            ShortVector l0 = ShortVector.zero(S), h0 = l0;
            for (int quad = 0; quad < 2; quad++) {
                long from = (long) QUAD * quad + 2L * p;
                ShortVector lo, hi, xc;
                for (int part = 0; part < 3; part++) {
                    IntVector v = IntVector.fromMemorySegment(I, r, from + 64L * part, LE);
                    lo = v.and(SIX).reinterpretAsShorts();
                    hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                    xc = ShortVector.broadcast(S, q[xb + 4 * quad + part]);
                    l0 = lo.mul(xc).add(l0);
                    h0 = hi.mul(xc).add(h0);
                }
                IntVector v = IntVector.fromMemorySegment(I, r, from, LE).lanewise(LSHR, 6).and(PART0)
                        .or(IntVector.fromMemorySegment(I, r, from + 64, LE).lanewise(LSHR, 4).and(PART1))
                        .or(IntVector.fromMemorySegment(I, r, from + 128, LE).lanewise(LSHR, 2).and(PART2));
                lo = v.and(SIX).reinterpretAsShorts();
                hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, q[xb + 4 * quad + 3]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
            }
            // as addRun: rows p .. p + L from l0 (part p), rows 32 + p .. from h0 (part 32 + p)
            IntVector pairs = l0.sub(offset).reinterpretAsInts();
            int even = tt + p, odd = even + L / 2;
            IntVector sc = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + p, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, even)).intoArray(total, even);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + p + L / 2, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, odd)).intoArray(total, odd);
            pairs = h0.sub(offset).reinterpretAsInts();
            even = tt + 32 + p;
            odd = even + L / 2;
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 32 + p, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, even)).intoArray(total, even);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 32 + p + L / 2, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, odd)).intoArray(total, odd);
        }
    }

    /** A run of eight columns (two quads at {@code cols}) times four vectors, whose values start at {@code x[xb]} and 32
     * further each: the 16-bit sums of q x of vector k's rows 0..31 at {@code sums[64 k ..]}, rows 32..63 32 further. */
    private static void sumsOfFour(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment r = s.asSlice(cols, RUN);
        for (int p = 0; p < 32; p += L) {
            ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
            for (int quad = 0; quad < 2; quad++) {
                long from = (long) QUAD * quad + 2L * p;
                ShortVector lo, hi, xc;
                for (int part = 0; part < 3; part++) {
                    IntVector v = IntVector.fromMemorySegment(I, r, from + 64L * part, LE);
                    lo = v.and(SIX).reinterpretAsShorts();
                    hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                    xc = ShortVector.broadcast(S, x[xb + 4 * quad + part]);
                    l0 = lo.mul(xc).add(l0);
                    h0 = hi.mul(xc).add(h0);
                    xc = ShortVector.broadcast(S, x[xb + 32 + 4 * quad + part]);
                    l1 = lo.mul(xc).add(l1);
                    h1 = hi.mul(xc).add(h1);
                    xc = ShortVector.broadcast(S, x[xb + 64 + 4 * quad + part]);
                    l2 = lo.mul(xc).add(l2);
                    h2 = hi.mul(xc).add(h2);
                    xc = ShortVector.broadcast(S, x[xb + 96 + 4 * quad + part]);
                    l3 = lo.mul(xc).add(l3);
                    h3 = hi.mul(xc).add(h3);
                }
                IntVector v = IntVector.fromMemorySegment(I, r, from, LE).lanewise(LSHR, 6).and(PART0)
                        .or(IntVector.fromMemorySegment(I, r, from + 64, LE).lanewise(LSHR, 4).and(PART1))
                        .or(IntVector.fromMemorySegment(I, r, from + 128, LE).lanewise(LSHR, 2).and(PART2));
                lo = v.and(SIX).reinterpretAsShorts();
                hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, x[xb + 4 * quad + 3]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
                xc = ShortVector.broadcast(S, x[xb + 32 + 4 * quad + 3]);
                l1 = lo.mul(xc).add(l1);
                h1 = hi.mul(xc).add(h1);
                xc = ShortVector.broadcast(S, x[xb + 64 + 4 * quad + 3]);
                l2 = lo.mul(xc).add(l2);
                h2 = hi.mul(xc).add(h2);
                xc = ShortVector.broadcast(S, x[xb + 96 + 4 * quad + 3]);
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

    /** {@link #sumsOfFour} for two vectors. */
    private static void sumsOfTwo(MemorySegment s, long cols, short[] x, int xb, short[] sums) {
        MemorySegment r = s.asSlice(cols, RUN);
        for (int p = 0; p < 32; p += L) {
            ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0;
            for (int quad = 0; quad < 2; quad++) {
                long from = (long) QUAD * quad + 2L * p;
                ShortVector lo, hi, xc;
                for (int part = 0; part < 3; part++) {
                    IntVector v = IntVector.fromMemorySegment(I, r, from + 64L * part, LE);
                    lo = v.and(SIX).reinterpretAsShorts();
                    hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                    xc = ShortVector.broadcast(S, x[xb + 4 * quad + part]);
                    l0 = lo.mul(xc).add(l0);
                    h0 = hi.mul(xc).add(h0);
                    xc = ShortVector.broadcast(S, x[xb + 32 + 4 * quad + part]);
                    l1 = lo.mul(xc).add(l1);
                    h1 = hi.mul(xc).add(h1);
                }
                IntVector v = IntVector.fromMemorySegment(I, r, from, LE).lanewise(LSHR, 6).and(PART0)
                        .or(IntVector.fromMemorySegment(I, r, from + 64, LE).lanewise(LSHR, 4).and(PART1))
                        .or(IntVector.fromMemorySegment(I, r, from + 128, LE).lanewise(LSHR, 2).and(PART2));
                lo = v.and(SIX).reinterpretAsShorts();
                hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, x[xb + 4 * quad + 3]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
                xc = ShortVector.broadcast(S, x[xb + 32 + 4 * quad + 3]);
                l1 = lo.mul(xc).add(l1);
                h1 = hi.mul(xc).add(h1);
            }
            l0.intoArray(sums, p);
            h0.intoArray(sums, 32 + p);
            l1.intoArray(sums, 64 + p);
            h1.intoArray(sums, 96 + p);
        }
    }

    /**
     * A run of eight columns for eight vectors t .. t + 7 (512-bit vectors only), added to the 32-bit sums at {@code
     * total[tt ..]} as {@link #addRun} adds them: each column unpacked once for the eight, the sums taken from
     * registers. Written out, as {@link Q4_KGroups}'s eight-vector pass.
     */
    private static void eight(MemorySegment s, long o, int run, Int8Batch x, int block, int t, int[] total, int tt) {
        short[] q = x.q;
        int at = x.at(block, t), xb = BLOCK * at + 8 * (run % 4), r = run % 4; // the eight vectors' values 32 apart
        long cols = o + (long) SUB_BYTES * (run / 2) + ROWS + (long) RUN * (run % 2);
        ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
        ShortVector l4 = l0, h4 = l0, l5 = l0, h5 = l0, l6 = l0, h6 = l0, l7 = l0, h7 = l0;
        for (int quad = 0; quad < 2; quad++) {
            long from = cols + (long) QUAD * quad;
            ShortVector lo, hi, xc;
            for (int part = 0; part < 3; part++) {
                IntVector v = IntVector.fromMemorySegment(I, s, from + 64L * part, LE);
                lo = v.and(SIX).reinterpretAsShorts();
                hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
                xc = ShortVector.broadcast(S, q[xb + 4 * quad + part]);
                l0 = lo.mul(xc).add(l0);
                h0 = hi.mul(xc).add(h0);
                xc = ShortVector.broadcast(S, q[xb + 32 + 4 * quad + part]);
                l1 = lo.mul(xc).add(l1);
                h1 = hi.mul(xc).add(h1);
                xc = ShortVector.broadcast(S, q[xb + 64 + 4 * quad + part]);
                l2 = lo.mul(xc).add(l2);
                h2 = hi.mul(xc).add(h2);
                xc = ShortVector.broadcast(S, q[xb + 96 + 4 * quad + part]);
                l3 = lo.mul(xc).add(l3);
                h3 = hi.mul(xc).add(h3);
                xc = ShortVector.broadcast(S, q[xb + 128 + 4 * quad + part]);
                l4 = lo.mul(xc).add(l4);
                h4 = hi.mul(xc).add(h4);
                xc = ShortVector.broadcast(S, q[xb + 160 + 4 * quad + part]);
                l5 = lo.mul(xc).add(l5);
                h5 = hi.mul(xc).add(h5);
                xc = ShortVector.broadcast(S, q[xb + 192 + 4 * quad + part]);
                l6 = lo.mul(xc).add(l6);
                h6 = hi.mul(xc).add(h6);
                xc = ShortVector.broadcast(S, q[xb + 224 + 4 * quad + part]);
                l7 = lo.mul(xc).add(l7);
                h7 = hi.mul(xc).add(h7);
            }
            IntVector v = IntVector.fromMemorySegment(I, s, from, LE).lanewise(LSHR, 6).and(PART0)
                    .or(IntVector.fromMemorySegment(I, s, from + 64, LE).lanewise(LSHR, 4).and(PART1))
                    .or(IntVector.fromMemorySegment(I, s, from + 128, LE).lanewise(LSHR, 2).and(PART2));
            lo = v.and(SIX).reinterpretAsShorts();
            hi = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts();
            xc = ShortVector.broadcast(S, q[xb + 4 * quad + 3]);
            l0 = lo.mul(xc).add(l0);
            h0 = hi.mul(xc).add(h0);
            xc = ShortVector.broadcast(S, q[xb + 32 + 4 * quad + 3]);
            l1 = lo.mul(xc).add(l1);
            h1 = hi.mul(xc).add(h1);
            xc = ShortVector.broadcast(S, q[xb + 64 + 4 * quad + 3]);
            l2 = lo.mul(xc).add(l2);
            h2 = hi.mul(xc).add(h2);
            xc = ShortVector.broadcast(S, q[xb + 96 + 4 * quad + 3]);
            l3 = lo.mul(xc).add(l3);
            h3 = hi.mul(xc).add(h3);
            xc = ShortVector.broadcast(S, q[xb + 128 + 4 * quad + 3]);
            l4 = lo.mul(xc).add(l4);
            h4 = hi.mul(xc).add(h4);
            xc = ShortVector.broadcast(S, q[xb + 160 + 4 * quad + 3]);
            l5 = lo.mul(xc).add(l5);
            h5 = hi.mul(xc).add(h5);
            xc = ShortVector.broadcast(S, q[xb + 192 + 4 * quad + 3]);
            l6 = lo.mul(xc).add(l6);
            h6 = hi.mul(xc).add(h6);
            xc = ShortVector.broadcast(S, q[xb + 224 + 4 * quad + 3]);
            l7 = lo.mul(xc).add(l7);
            h7 = hi.mul(xc).add(h7);
        }
        long scales = o + (long) SUB_BYTES * (run / 2);
        IntVector sc0 = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector sc1 = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 16, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 32, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector sc3 = (IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 48, LE).convertShape(VectorOperators.B2I, I, 0);
        short offset;
        IntVector pairs;
        offset = (short) (32 * x.eighths[4 * (at + 0) + r]);
        pairs = l0.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 0)).intoArray(total, tt + 0);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 16)).intoArray(total, tt + 16);
        pairs = h0.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 32)).intoArray(total, tt + 32);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 48)).intoArray(total, tt + 48);
        offset = (short) (32 * x.eighths[4 * (at + 1) + r]);
        pairs = l1.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 64)).intoArray(total, tt + 64);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 80)).intoArray(total, tt + 80);
        pairs = h1.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 96)).intoArray(total, tt + 96);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 112)).intoArray(total, tt + 112);
        offset = (short) (32 * x.eighths[4 * (at + 2) + r]);
        pairs = l2.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 128)).intoArray(total, tt + 128);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 144)).intoArray(total, tt + 144);
        pairs = h2.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 160)).intoArray(total, tt + 160);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 176)).intoArray(total, tt + 176);
        offset = (short) (32 * x.eighths[4 * (at + 3) + r]);
        pairs = l3.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 192)).intoArray(total, tt + 192);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 208)).intoArray(total, tt + 208);
        pairs = h3.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 224)).intoArray(total, tt + 224);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 240)).intoArray(total, tt + 240);
        offset = (short) (32 * x.eighths[4 * (at + 4) + r]);
        pairs = l4.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 256)).intoArray(total, tt + 256);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 272)).intoArray(total, tt + 272);
        pairs = h4.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 288)).intoArray(total, tt + 288);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 304)).intoArray(total, tt + 304);
        offset = (short) (32 * x.eighths[4 * (at + 5) + r]);
        pairs = l5.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 320)).intoArray(total, tt + 320);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 336)).intoArray(total, tt + 336);
        pairs = h5.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 352)).intoArray(total, tt + 352);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 368)).intoArray(total, tt + 368);
        offset = (short) (32 * x.eighths[4 * (at + 6) + r]);
        pairs = l6.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 384)).intoArray(total, tt + 384);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 400)).intoArray(total, tt + 400);
        pairs = h6.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 416)).intoArray(total, tt + 416);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 432)).intoArray(total, tt + 432);
        offset = (short) (32 * x.eighths[4 * (at + 7) + r]);
        pairs = l7.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc0).add(IntVector.fromArray(I, total, tt + 448)).intoArray(total, tt + 448);
        pairs.lanewise(ASHR, 16).mul(sc1).add(IntVector.fromArray(I, total, tt + 464)).intoArray(total, tt + 464);
        pairs = h7.sub(offset).reinterpretAsInts();
        pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc2).add(IntVector.fromArray(I, total, tt + 480)).intoArray(total, tt + 480);
        pairs.lanewise(ASHR, 16).mul(sc3).add(IntVector.fromArray(I, total, tt + 496)).intoArray(total, tt + 496);
    }

    /**
     * Adds a run's 16-bit sums for vectors t .. t + count, less 32 times the run's activation sum (exact in 16 bits),
     * times the rows' scale of the run's sub-block, to the 32-bit sums at {@code total[tt ..]}.
     */
    private static void addRun(MemorySegment s, long o, Int8Batch x, int block, int run, int t, int count, short[] sums, int[] total, int tt) {
        MemorySegment scales = s.asSlice(o + (long) SUB_BYTES * (run / 2), ROWS);
        for (int k = 0; k < count; k++) {
            short offset = (short) (32 * x.eighths[4 * x.at(block, t + k) + run % 4]);
            for (int part = 0; part < ROWS; part += L) { // L rows' sums: their even rows, then their odd ones
                IntVector pairs = ShortVector.fromArray(S, sums, ROWS * k + part).sub(offset).reinterpretAsInts();
                int even = tt + ROWS * k + part, odd = even + L / 2;
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(Species.B, scales, part, LE).convertShape(VectorOperators.B2I, I, 0);
                pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, even)).intoArray(total, even);
                sc = (IntVector) ByteVector.fromMemorySegment(Species.B, scales, part + L / 2, LE).convertShape(VectorOperators.B2I, I, 0);
                pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, odd)).intoArray(total, odd);
            }
        }
    }

    /** Adds each vector's super-block sums times the rows' d and the vector's d (block {@code block}'s) to {@code out}. */
    private static void addSuper(MemorySegment s, long o, Int8Batch x, int block, int t0, int count, int[] total, float[] d, float[] out) {
        Q4_0Groups.scales(s, o + D_AT, d);
        for (int r = 0; r < ROWS; r += F.length()) {
            FloatVector dw = FloatVector.fromArray(F, d, r);
            for (int k = 0; k < count; k++) {
                int at = ROWS * k + r;
                ((FloatVector) IntVector.fromArray(I, total, at).convertShape(I2F, F, 0))
                        .fma(dw.mul(x.d[x.at(block, t0 + k)]), FloatVector.fromArray(F, out, at)).intoArray(out, at);
            }
        }
    }

    /**
     * {@link #dot} for one vector (decoding) with 512-bit vectors: the 64 rows' sums and totals in registers from the
     * row's first column to its last. The group is read through a slice of its bytes and the vector's values from
     * {@link Int8Batch#single}, both indexed linearly in the loops' counters: with the batch's block-major indexes
     * ({@code x.at}, a division per run) C2 kept a bounds check on each of the 16 activation reads of a sub-block and
     * spilled around them (458 instructions a sub-block, now 279; Qwen-shape Q4_K_M decoding, whose Q6_K output head
     * is 71% of a token, 1.06–1.18x with one thread and 1.00–1.11x with two, side by side on Zen 4).
     */
    private static void one(MemorySegment matrix, long g, int supers, Int8Batch x, int t, float[] out) {
        MemorySegment s = matrix.asSlice(g, (long) SUPER_BYTES * supers); // the group alone, indexed from 0
        Int8Batch v = x.single(t, SINGLE.get());
        short[] q = v.q;
        int[] eighths = v.eighths;
        IntVector six = IntVector.broadcast(I, SIX), part0 = IntVector.broadcast(I, PART0), part1 = IntVector.broadcast(I, PART1), part2 = IntVector.broadcast(I, PART2);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0; // rows in slot order, 16 at a time
        for (int b = 0; b < supers; b++) {
            long o = (long) SUPER_BYTES * b;
            IntVector i0 = IntVector.zero(I), i1 = i0, i2 = i0, i3 = i0;
            for (int j = 0; j < SUBS; j++) {
                IntVector s0, s1, s2, s3; // the sub-block's two runs of eight columns: the first's sums, the second's added (C2 kept an add of zero)
                // the two runs written out: as a loop of two steps, compiled one run per step in the slow runs looked at,
                // two threads decoded the Qwen-shape Q4_K_M file after a prompt at 51-65 tok/s; written out, 82-101
                {
                    int run = 2 * j;
                    long cols = o + (long) SUB_BYTES * j + ROWS;
                    int xb = SUPER * b + 8 * run;
                    IntVector v0, v1, v2, v3;
                    ShortVector xc, lo, hi;
                    v0 = IntVector.fromMemorySegment(I, s, cols, LE);
                    v1 = IntVector.fromMemorySegment(I, s, cols + 64, LE);
                    v2 = IntVector.fromMemorySegment(I, s, cols + 128, LE);
                    v3 = v0.lanewise(LSHR, 6).and(part0).or(v1.lanewise(LSHR, 4).and(part1)).or(v2.lanewise(LSHR, 2).and(part2));
                    xc = ShortVector.broadcast(S, q[xb]);
                    lo = v0.and(six).reinterpretAsShorts().mul(xc);
                    hi = v0.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc);
                    xc = ShortVector.broadcast(S, q[xb + 1]);
                    lo = v1.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v1.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 2]);
                    lo = v2.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v2.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 3]);
                    lo = v3.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v3.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    v0 = IntVector.fromMemorySegment(I, s, cols + QUAD, LE);
                    v1 = IntVector.fromMemorySegment(I, s, cols + QUAD + 64, LE);
                    v2 = IntVector.fromMemorySegment(I, s, cols + QUAD + 128, LE);
                    v3 = v0.lanewise(LSHR, 6).and(part0).or(v1.lanewise(LSHR, 4).and(part1)).or(v2.lanewise(LSHR, 2).and(part2));
                    xc = ShortVector.broadcast(S, q[xb + 4]);
                    lo = v0.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v0.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 5]);
                    lo = v1.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v1.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 6]);
                    lo = v2.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v2.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 7]);
                    lo = v3.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v3.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    short offset = (short) (32 * eighths[SUPER / 8 * b + run]);
                    IntVector pairs = lo.sub(offset).reinterpretAsInts();
                    s0 = pairs.lanewise(LSHL, 16).lanewise(ASHR, 16);
                    s1 = pairs.lanewise(ASHR, 16);
                    pairs = hi.sub(offset).reinterpretAsInts();
                    s2 = pairs.lanewise(LSHL, 16).lanewise(ASHR, 16);
                    s3 = pairs.lanewise(ASHR, 16);
                }
                {
                    int run = 2 * j + 1;
                    long cols = o + (long) SUB_BYTES * j + ROWS + RUN;
                    int xb = SUPER * b + 8 * run;
                    IntVector v0, v1, v2, v3;
                    ShortVector xc, lo, hi;
                    v0 = IntVector.fromMemorySegment(I, s, cols, LE);
                    v1 = IntVector.fromMemorySegment(I, s, cols + 64, LE);
                    v2 = IntVector.fromMemorySegment(I, s, cols + 128, LE);
                    v3 = v0.lanewise(LSHR, 6).and(part0).or(v1.lanewise(LSHR, 4).and(part1)).or(v2.lanewise(LSHR, 2).and(part2));
                    xc = ShortVector.broadcast(S, q[xb]);
                    lo = v0.and(six).reinterpretAsShorts().mul(xc);
                    hi = v0.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc);
                    xc = ShortVector.broadcast(S, q[xb + 1]);
                    lo = v1.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v1.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 2]);
                    lo = v2.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v2.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 3]);
                    lo = v3.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v3.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    v0 = IntVector.fromMemorySegment(I, s, cols + QUAD, LE);
                    v1 = IntVector.fromMemorySegment(I, s, cols + QUAD + 64, LE);
                    v2 = IntVector.fromMemorySegment(I, s, cols + QUAD + 128, LE);
                    v3 = v0.lanewise(LSHR, 6).and(part0).or(v1.lanewise(LSHR, 4).and(part1)).or(v2.lanewise(LSHR, 2).and(part2));
                    xc = ShortVector.broadcast(S, q[xb + 4]);
                    lo = v0.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v0.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 5]);
                    lo = v1.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v1.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 6]);
                    lo = v2.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v2.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    xc = ShortVector.broadcast(S, q[xb + 7]);
                    lo = v3.and(six).reinterpretAsShorts().mul(xc).add(lo);
                    hi = v3.lanewise(LSHR, 8).and(six).reinterpretAsShorts().mul(xc).add(hi);
                    short offset = (short) (32 * eighths[SUPER / 8 * b + run]);
                    IntVector pairs = lo.sub(offset).reinterpretAsInts();
                    s0 = pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).add(s0);
                    s1 = pairs.lanewise(ASHR, 16).add(s1);
                    pairs = hi.sub(offset).reinterpretAsInts();
                    s2 = pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).add(s2);
                    s3 = pairs.lanewise(ASHR, 16).add(s3);
                }
                long scales = o + (long) SUB_BYTES * j;
                i0 = s0.mul((IntVector) ByteVector.fromMemorySegment(Species.B, s, scales, LE).convertShape(VectorOperators.B2I, I, 0)).add(i0);
                i1 = s1.mul((IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 16, LE).convertShape(VectorOperators.B2I, I, 0)).add(i1);
                i2 = s2.mul((IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 32, LE).convertShape(VectorOperators.B2I, I, 0)).add(i2);
                i3 = s3.mul((IntVector) ByteVector.fromMemorySegment(Species.B, s, scales + 48, LE).convertShape(VectorOperators.B2I, I, 0)).add(i3);
            }
            float dx = v.d[8 * b];
            // the rows' d as Q4_0Groups.scales converts them, here in registers: that call, once per super-block from
            // this large method, had halved the Qwen head's speed
            IntVector h = (IntVector) ShortVector.fromMemorySegment(Species.S, s, o + D_AT, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            a0 = ((FloatVector) i0.convertShape(I2F, F, 0)).fma(h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f).mul(dx), a0);
            h = (IntVector) ShortVector.fromMemorySegment(Species.S, s, o + D_AT + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            a1 = ((FloatVector) i1.convertShape(I2F, F, 0)).fma(h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f).mul(dx), a1);
            h = (IntVector) ShortVector.fromMemorySegment(Species.S, s, o + D_AT + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            a2 = ((FloatVector) i2.convertShape(I2F, F, 0)).fma(h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f).mul(dx), a2);
            h = (IntVector) ShortVector.fromMemorySegment(Species.S, s, o + D_AT + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            a3 = ((FloatVector) i3.convertShape(I2F, F, 0)).fma(h.and(0x7fff).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f).mul(dx), a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, 16);
        a2.intoArray(out, 32);
        a3.intoArray(out, 48);
    }

    /**
     * {@link #dot} for one vector (decoding) with 256-bit vectors: super-block after super-block, its 32-bit sums
     * through {@code total} ({@link #superOfOne}), then times the rows' d and the vector's d added to {@code out}.
     */
    private static void oneOfNarrow(MemorySegment s, long g, int supers, Int8Batch x, int t0, float[] out, float[] d) {
        int[] total = SUMS.get();
        java.util.Arrays.fill(out, 0, ROWS, 0f);
        for (int b = 0; b < supers; b++) {
            long o = g + (long) SUPER_BYTES * b;
            java.util.Arrays.fill(total, 0, ROWS, 0);
            superOfOne(s, o, x, b, t0, total);
            addSuper(s, o, x, 8 * b, t0, 1, total, d, out);
        }
    }

    /**
     * Super-block b's product with vector t into {@code total[0 .. 64)}: run after run of eight columns, as {@link
     * #runOfOne} sums them but the two halves of the parts' lanes (rows 0 .. 16 and 32 .., rows 16 .. and 48 ..) in one
     * pass, each activation broadcast once for both, and the loads from a slice of the super-block, whose offsets C2 then
     * proves in bounds once per call: Qwen-shape Q4_K_M decoding (the Q6_K output head) 1.18x in one JVM, against a
     * call of runOfOne per run with its loads checked against the whole matrix.
     */
    private static void superOfOne(MemorySegment s, long o, Int8Batch x, int b, int t, int[] total) {
        MemorySegment sb = s.asSlice(o, SUPER_BYTES);
        short[] q = x.q;
        for (int run = 0; run < SUPER / 8; run++) {
            long cols = (long) SUB_BYTES * (run / 2) + ROWS + (long) RUN * (run % 2), scales = (long) SUB_BYTES * (run / 2);
            int at = x.at(8 * b + run / 4, t), xb = BLOCK * at + 8 * (run % 4);
            ShortVector l0 = ShortVector.zero(S), h0 = l0, l1 = l0, h1 = l0, xc;
            IntVector v, w, pairs, sc;
            for (int quad = 0; quad < 2; quad++) {
                long from = cols + (long) QUAD * quad;
                for (int part = 0; part < 3; part++) {
                    v = IntVector.fromMemorySegment(I, sb, from + 64L * part, LE);
                    w = IntVector.fromMemorySegment(I, sb, from + 64L * part + 32, LE);
                    xc = ShortVector.broadcast(S, q[xb + 4 * quad + part]);
                    l0 = v.and(SIX).reinterpretAsShorts().mul(xc).add(l0);
                    h0 = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts().mul(xc).add(h0);
                    l1 = w.and(SIX).reinterpretAsShorts().mul(xc).add(l1);
                    h1 = w.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts().mul(xc).add(h1);
                }
                v = IntVector.fromMemorySegment(I, sb, from, LE).lanewise(LSHR, 6).and(PART0)
                        .or(IntVector.fromMemorySegment(I, sb, from + 64, LE).lanewise(LSHR, 4).and(PART1))
                        .or(IntVector.fromMemorySegment(I, sb, from + 128, LE).lanewise(LSHR, 2).and(PART2));
                w = IntVector.fromMemorySegment(I, sb, from + 32, LE).lanewise(LSHR, 6).and(PART0)
                        .or(IntVector.fromMemorySegment(I, sb, from + 96, LE).lanewise(LSHR, 4).and(PART1))
                        .or(IntVector.fromMemorySegment(I, sb, from + 160, LE).lanewise(LSHR, 2).and(PART2));
                xc = ShortVector.broadcast(S, q[xb + 4 * quad + 3]);
                l0 = v.and(SIX).reinterpretAsShorts().mul(xc).add(l0);
                h0 = v.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts().mul(xc).add(h0);
                l1 = w.and(SIX).reinterpretAsShorts().mul(xc).add(l1);
                h1 = w.lanewise(LSHR, 8).and(SIX).reinterpretAsShorts().mul(xc).add(h1);
            }
            short offset = (short) (32 * x.eighths[4 * at + run % 4]);
            pairs = l0.sub(offset).reinterpretAsInts();
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 0)).intoArray(total, 0);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 8, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 8)).intoArray(total, 8);
            pairs = l1.sub(offset).reinterpretAsInts();
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 16, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 16)).intoArray(total, 16);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 24, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 24)).intoArray(total, 24);
            pairs = h0.sub(offset).reinterpretAsInts();
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 32, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 32)).intoArray(total, 32);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 40, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 40)).intoArray(total, 40);
            pairs = h1.sub(offset).reinterpretAsInts();
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 48, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 48)).intoArray(total, 48);
            sc = (IntVector) ByteVector.fromMemorySegment(Species.B, sb, scales + 56, LE).convertShape(VectorOperators.B2I, I, 0);
            pairs.lanewise(ASHR, 16).mul(sc).add(IntVector.fromArray(I, total, 56)).intoArray(total, 56);
        }
    }
}
