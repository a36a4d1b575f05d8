package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;

/**
 * The kernels of {@link Fp8BlockWeight}: e4m3 bytes read in place and converted in registers. Per row and
 * 128-wide block the products are summed in one vector, which is then scaled into the row's accumulator,
 * in the same order in every kernel, so batching and row grouping never change a result's bits. A
 * row holding e4m3fn's NaN code gives NaN (the conversion reads the code as 480; {@link #hasNaN} finds it, once
 * per row: {@link Fp8BlockWeight#rowHasNaN}).
 * Rows are absolute row numbers of the stored matrix.
 */
final class Fp8Dot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Byte> WIDE = ByteVector.SPECIES_PREFERRED;

    private Fp8Dot() {
    }

    /**
     * Lane-wise e4m3fn to float, exactly, except the NaN code (read as ±480, see {@link #hasNaN}): the byte
     * shifted so that its 4 exponent and 3 mantissa bits land at the top of a float's exponent and mantissa
     * (bits 20..26), its sign on the float's sign, reads as 2^-120 times the value, normals and subnormals
     * alike; the multiplication by 2^120 is exact (an e4m3 subnormal passes through a float subnormal).
     */
    static FloatVector e4m3(MemorySegment s, long off) {
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B, s, off, LE).convertShape(VectorOperators.B2I, I, 0);
        return b.lanewise(VectorOperators.LSHL, 20).and(0x87F00000).reinterpretAsFloats().mul(0x1p120f);
    }

    /** Whether codes {@code [off, off + count)} hold e4m3fn's NaN, S.1111.111: their largest magnitude is 0x7F. */
    static boolean hasNaN(MemorySegment s, long off, int count) {
        ByteVector max = ByteVector.zero(WIDE);
        int i = 0;
        for (; i + WIDE.length() <= count; i += WIDE.length()) {
            max = ByteVector.fromMemorySegment(WIDE, s, off + i, LE).and((byte) 0x7F).max(max); // receiver: see VectorMath.softmax
        }
        int largest = max.reduceLanes(VectorOperators.MAX);
        for (; i < count; i++) {
            largest = Math.max(largest, s.get(Le.I8, off + i) & 0x7F);
        }
        return largest == 0x7F;
    }

    /** Byte offset in {@code w.scales} of the first block scale of row {@code row}. */
    static long scaleOffset(Fp8BlockWeight w, int row) {
        return 4L * (row / w.block) * w.scaleCols;
    }

    /** The scalar end of a block that is not a whole number of vectors wide, unscaled. */
    private static float tail(MemorySegment s, long off, int count, float[] x, int xOff) {
        float sum = 0;
        for (int j = 0; j < count; j++) {
            sum += Fp8BlockWeight.E4M3[s.get(Le.I8, off + j) & 0xFF] * x[xOff + j];
        }
        return sum;
    }

    /** {@link #tail} with x's values from an interleaved copy ({@link InterleavedBatch}), from float {@code xOff}. */
    private static float tail(MemorySegment s, long off, int count, MemorySegment x, long xOff) {
        float sum = 0;
        for (int j = 0; j < count; j++) {
            sum += Fp8BlockWeight.E4M3[s.get(Le.I8, off + j) & 0xFF] * x.getAtIndex(Le.F32, xOff + j);
        }
        return sum;
    }

    /**
     * Stored rows {@code absRow .. absRow + 3} unscaled into an interleaved four-row panel (see
     * {@code PanelDot.decode4}): row i's chunk at column c at {@code panel[pOff + i LANES + 4 c ..]}.
     */
    static void decode4(Fp8BlockWeight w, int absRow, MemorySegment panel, long pOff) {
        int cols = w.cols, vectors = cols / F.length(); // whole vectors: panels are for widths of whole blocks (hasPanel)
        if (vectors == 0) {
            return;
        }
        for (int i = 0; i < 4; i++) { // through slices of the row and of its chunks' span of the panel (pp64 +2%)
            MemorySegment row = w.values.asSlice((absRow + i) * w.rowLength, cols);
            MemorySegment to = panel.asSlice(4L * (pOff + i * F.length()), 16L * F.length() * (vectors - 1) + 4L * F.length());
            for (int k = 0; k < vectors; k++) {
                e4m3(row, (long) F.length() * k).intoMemorySegment(to, 16L * F.length() * k, LE);
            }
        }
    }

    /** Row {@code row} times {@code x[xOff ..]}. */
    static float dot(Fp8BlockWeight w, int row, float[] x, int xOff) {
        MemorySegment v = w.values, scales = w.scales;
        int cols = w.cols, block = w.block;
        long base = row * w.rowLength, c = scaleOffset(w, row);
        float total = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int j0 = 0, jb = 0; j0 < cols; j0 += block, jb++) {
            int end = Math.min(cols, j0 + block);
            FloatVector sum = FloatVector.zero(F);
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                sum = e4m3(v, base + j).fma(FloatVector.fromArray(F, x, xOff + j), sum);
            }
            float scale = scales.get(Le.F32, c + 4 * jb);
            acc = sum.fma(FloatVector.broadcast(F, scale), acc);
            if (j < end) {
                total += tail(v, base + j, end - j, x, xOff + j) * scale;
            }
        }
        return w.rowHasNaN(row) ? Float.NaN : VectorMath.sumLanes(acc) + total;
    }

    /** {@code out[k] = row . x[t0 + k][xOff ..]} for k in 0..3: each chunk of the row converted once. */
    static void dot4(Fp8BlockWeight w, int row, float[][] x, int t0, int xOff, float[] out) {
        MemorySegment v = w.values, scales = w.scales;
        int cols = w.cols, block = w.block;
        long base = row * w.rowLength, c = scaleOffset(w, row);
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        float total0 = 0, total1 = 0, total2 = 0, total3 = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j0 = 0, jb = 0; j0 < cols; j0 += block, jb++) {
            int end = Math.min(cols, j0 + block);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                FloatVector wv = e4m3(v, base + j);
                s0 = wv.fma(FloatVector.fromArray(F, x0, xOff + j), s0);
                s1 = wv.fma(FloatVector.fromArray(F, x1, xOff + j), s1);
                s2 = wv.fma(FloatVector.fromArray(F, x2, xOff + j), s2);
                s3 = wv.fma(FloatVector.fromArray(F, x3, xOff + j), s3);
            }
            float scale = scales.get(Le.F32, c + 4 * jb);
            FloatVector vs = FloatVector.broadcast(F, scale);
            a0 = s0.fma(vs, a0);
            a1 = s1.fma(vs, a1);
            a2 = s2.fma(vs, a2);
            a3 = s3.fma(vs, a3);
            if (j < end) {
                total0 += tail(v, base + j, end - j, x0, xOff + j) * scale;
                total1 += tail(v, base + j, end - j, x1, xOff + j) * scale;
                total2 += tail(v, base + j, end - j, x2, xOff + j) * scale;
                total3 += tail(v, base + j, end - j, x3, xOff + j) * scale;
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        boolean nan = w.rowHasNaN(row);
        out[0] = nan ? Float.NaN : out[0] + total0;
        out[1] = nan ? Float.NaN : out[1] + total1;
        out[2] = nan ? Float.NaN : out[2] + total2;
        out[3] = nan ? Float.NaN : out[3] + total3;
    }

    /**
     * {@code out[k] = row(row + k * rowStride) . x[xOff ..]} for k in 0..3: four memory streams (decoding's product),
     * each row read through a slice of exactly its bytes (bounds set up more cheaply at each block's loop: V3-shape FP8
     * one-token forwards +4%).
     */
    static void rows4(Fp8BlockWeight w, int row, int rowStride, float[] x, int xOff, float[] out) {
        MemorySegment v = w.values, scales = w.scales;
        int cols = w.cols, block = w.block;
        int r1 = row + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
        long length = w.rowLength;
        MemorySegment v0 = v.asSlice(row * length, cols), v1 = v.asSlice(r1 * length, cols);
        MemorySegment v2 = v.asSlice(r2 * length, cols), v3 = v.asSlice(r3 * length, cols);
        long c0 = scaleOffset(w, row), c1 = scaleOffset(w, r1), c2 = scaleOffset(w, r2), c3 = scaleOffset(w, r3);
        float total0 = 0, total1 = 0, total2 = 0, total3 = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j0 = 0, jb = 0; j0 < cols; j0 += block, jb++) {
            int end = Math.min(cols, j0 + block);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + j);
                s0 = e4m3(v0, j).fma(xv, s0);
                s1 = e4m3(v1, j).fma(xv, s1);
                s2 = e4m3(v2, j).fma(xv, s2);
                s3 = e4m3(v3, j).fma(xv, s3);
            }
            float k0 = scales.get(Le.F32, c0 + 4 * jb), k1 = scales.get(Le.F32, c1 + 4 * jb);
            float k2 = scales.get(Le.F32, c2 + 4 * jb), k3 = scales.get(Le.F32, c3 + 4 * jb);
            a0 = s0.fma(FloatVector.broadcast(F, k0), a0);
            a1 = s1.fma(FloatVector.broadcast(F, k1), a1);
            a2 = s2.fma(FloatVector.broadcast(F, k2), a2);
            a3 = s3.fma(FloatVector.broadcast(F, k3), a3);
            if (j < end) {
                total0 += tail(v0, j, end - j, x, xOff + j) * k0;
                total1 += tail(v1, j, end - j, x, xOff + j) * k1;
                total2 += tail(v2, j, end - j, x, xOff + j) * k2;
                total3 += tail(v3, j, end - j, x, xOff + j) * k3;
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        out[0] = w.rowHasNaN(row) ? Float.NaN : out[0] + total0;
        out[1] = w.rowHasNaN(r1) ? Float.NaN : out[1] + total1;
        out[2] = w.rowHasNaN(r2) ? Float.NaN : out[2] + total2;
        out[3] = w.rowHasNaN(r3) ? Float.NaN : out[3] + total3;
    }

    /**
     * {@link #rows4} for two vectors, each row read and converted once for both: {@code out[k]} for {@code x0},
     * {@code out[4 + k]} for {@code x1}, per row and vector the operations of {@link #rows4} in its order.
     */
    static void rows4x2(Fp8BlockWeight w, int row, int rowStride, float[] x0, float[] x1, int xOff, float[] out) {
        MemorySegment v = w.values, scales = w.scales;
        int cols = w.cols, block = w.block;
        int r1 = row + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
        long b0 = row * w.rowLength, b1 = r1 * w.rowLength, b2 = r2 * w.rowLength, b3 = r3 * w.rowLength;
        long c0 = scaleOffset(w, row), c1 = scaleOffset(w, r1), c2 = scaleOffset(w, r2), c3 = scaleOffset(w, r3);
        float total0 = 0, total1 = 0, total2 = 0, total3 = 0, other0 = 0, other1 = 0, other2 = 0, other3 = 0;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, e0 = z, e1 = z, e2 = z, e3 = z;
        for (int j0 = 0, jb = 0; j0 < cols; j0 += block, jb++) {
            int end = Math.min(cols, j0 + block);
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z, t0 = z, t1 = z, t2 = z, t3 = z;
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                FloatVector u = FloatVector.fromArray(F, x0, xOff + j), y = FloatVector.fromArray(F, x1, xOff + j);
                FloatVector wv = e4m3(v, b0 + j);
                s0 = wv.fma(u, s0);
                t0 = wv.fma(y, t0);
                wv = e4m3(v, b1 + j);
                s1 = wv.fma(u, s1);
                t1 = wv.fma(y, t1);
                wv = e4m3(v, b2 + j);
                s2 = wv.fma(u, s2);
                t2 = wv.fma(y, t2);
                wv = e4m3(v, b3 + j);
                s3 = wv.fma(u, s3);
                t3 = wv.fma(y, t3);
            }
            float k0 = scales.get(Le.F32, c0 + 4 * jb), k1 = scales.get(Le.F32, c1 + 4 * jb);
            float k2 = scales.get(Le.F32, c2 + 4 * jb), k3 = scales.get(Le.F32, c3 + 4 * jb);
            FloatVector q0 = FloatVector.broadcast(F, k0), q1 = FloatVector.broadcast(F, k1);
            FloatVector q2 = FloatVector.broadcast(F, k2), q3 = FloatVector.broadcast(F, k3);
            a0 = s0.fma(q0, a0);
            a1 = s1.fma(q1, a1);
            a2 = s2.fma(q2, a2);
            a3 = s3.fma(q3, a3);
            e0 = t0.fma(q0, e0);
            e1 = t1.fma(q1, e1);
            e2 = t2.fma(q2, e2);
            e3 = t3.fma(q3, e3);
            if (j < end) {
                total0 += tail(v, b0 + j, end - j, x0, xOff + j) * k0;
                total1 += tail(v, b1 + j, end - j, x0, xOff + j) * k1;
                total2 += tail(v, b2 + j, end - j, x0, xOff + j) * k2;
                total3 += tail(v, b3 + j, end - j, x0, xOff + j) * k3;
                other0 += tail(v, b0 + j, end - j, x1, xOff + j) * k0;
                other1 += tail(v, b1 + j, end - j, x1, xOff + j) * k1;
                other2 += tail(v, b2 + j, end - j, x1, xOff + j) * k2;
                other3 += tail(v, b3 + j, end - j, x1, xOff + j) * k3;
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        e0.intoArray(out, 4 * VectorMath.LANES);
        e1.intoArray(out, 5 * VectorMath.LANES);
        e2.intoArray(out, 6 * VectorMath.LANES);
        e3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
        boolean nan0 = w.rowHasNaN(row), nan1 = w.rowHasNaN(r1), nan2 = w.rowHasNaN(r2), nan3 = w.rowHasNaN(r3);
        out[0] = nan0 ? Float.NaN : out[0] + total0;
        out[1] = nan1 ? Float.NaN : out[1] + total1;
        out[2] = nan2 ? Float.NaN : out[2] + total2;
        out[3] = nan3 ? Float.NaN : out[3] + total3;
        out[4] = nan0 ? Float.NaN : out[4] + other0;
        out[5] = nan1 ? Float.NaN : out[5] + other1;
        out[6] = nan2 ? Float.NaN : out[6] + other2;
        out[7] = nan3 ? Float.NaN : out[7] + other3;
    }

    /**
     * {@code out[4 * i + k] = row(row + i rowStride) . x_k} for i, k in 0..3 (prefill's product), the four vectors from their
     * interleaved copy at float {@code xOff} of {@code x} ({@link InterleavedBatch}; blocks whole vectors wide, so
     * only the last block can have a scalar end): each chunk of the four rows converted once and each chunk of x
     * loaded once for all sixteen. The sixteen
     * accumulators live in {@code out} (sixteen vectors wide), the block sums in registers.
     */
    static void tile(Fp8BlockWeight w, int row, int rowStride, MemorySegment x, long xOff, float[] out) {
        MemorySegment v = w.values, scales = w.scales;
        int cols = w.cols, block = w.block, lanes = VectorMath.LANES;
        long step = rowStride * w.rowLength, b0 = row * w.rowLength, b1 = b0 + step, b2 = b1 + step, b3 = b2 + step; // the four rows' values
        long c0 = scaleOffset(w, row), c1 = scaleOffset(w, row + rowStride), c2 = scaleOffset(w, row + 2 * rowStride), c3 = scaleOffset(w, row + 3 * rowStride);
        long xb = 4 * xOff; // in bytes
        int whole = cols - cols % lanes;
        float[] totals = null; // only blocks narrower than whole vectors have scalar ends
        Arrays.fill(out, 0, 16 * lanes, 0f);
        for (int j0 = 0, jb = 0; j0 < cols; j0 += block, jb++) {
            int end = Math.min(cols, j0 + block);
            FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                long at = xb + 16L * j;
                FloatVector y0 = FloatVector.fromMemorySegment(F, x, at, LE), y1 = FloatVector.fromMemorySegment(F, x, at + 4L * lanes, LE);
                FloatVector y2 = FloatVector.fromMemorySegment(F, x, at + 8L * lanes, LE), y3 = FloatVector.fromMemorySegment(F, x, at + 12L * lanes, LE);
                FloatVector r = e4m3(v, b0 + j);
                s00 = r.fma(y0, s00);
                s01 = r.fma(y1, s01);
                s02 = r.fma(y2, s02);
                s03 = r.fma(y3, s03);
                r = e4m3(v, b1 + j);
                s10 = r.fma(y0, s10);
                s11 = r.fma(y1, s11);
                s12 = r.fma(y2, s12);
                s13 = r.fma(y3, s13);
                r = e4m3(v, b2 + j);
                s20 = r.fma(y0, s20);
                s21 = r.fma(y1, s21);
                s22 = r.fma(y2, s22);
                s23 = r.fma(y3, s23);
                r = e4m3(v, b3 + j);
                s30 = r.fma(y0, s30);
                s31 = r.fma(y1, s31);
                s32 = r.fma(y2, s32);
                s33 = r.fma(y3, s33);
            }
            float k0 = scales.get(Le.F32, c0 + 4 * jb), k1 = scales.get(Le.F32, c1 + 4 * jb);
            float k2 = scales.get(Le.F32, c2 + 4 * jb), k3 = scales.get(Le.F32, c3 + 4 * jb);
            FloatVector g = FloatVector.broadcast(F, k0);
            g.fma(s00, FloatVector.fromArray(F, out, 0)).intoArray(out, 0);
            g.fma(s01, FloatVector.fromArray(F, out, lanes)).intoArray(out, lanes);
            g.fma(s02, FloatVector.fromArray(F, out, 2 * lanes)).intoArray(out, 2 * lanes);
            g.fma(s03, FloatVector.fromArray(F, out, 3 * lanes)).intoArray(out, 3 * lanes);
            g = FloatVector.broadcast(F, k1);
            g.fma(s10, FloatVector.fromArray(F, out, 4 * lanes)).intoArray(out, 4 * lanes);
            g.fma(s11, FloatVector.fromArray(F, out, 5 * lanes)).intoArray(out, 5 * lanes);
            g.fma(s12, FloatVector.fromArray(F, out, 6 * lanes)).intoArray(out, 6 * lanes);
            g.fma(s13, FloatVector.fromArray(F, out, 7 * lanes)).intoArray(out, 7 * lanes);
            g = FloatVector.broadcast(F, k2);
            g.fma(s20, FloatVector.fromArray(F, out, 8 * lanes)).intoArray(out, 8 * lanes);
            g.fma(s21, FloatVector.fromArray(F, out, 9 * lanes)).intoArray(out, 9 * lanes);
            g.fma(s22, FloatVector.fromArray(F, out, 10 * lanes)).intoArray(out, 10 * lanes);
            g.fma(s23, FloatVector.fromArray(F, out, 11 * lanes)).intoArray(out, 11 * lanes);
            g = FloatVector.broadcast(F, k3);
            g.fma(s30, FloatVector.fromArray(F, out, 12 * lanes)).intoArray(out, 12 * lanes);
            g.fma(s31, FloatVector.fromArray(F, out, 13 * lanes)).intoArray(out, 13 * lanes);
            g.fma(s32, FloatVector.fromArray(F, out, 14 * lanes)).intoArray(out, 14 * lanes);
            g.fma(s33, FloatVector.fromArray(F, out, 15 * lanes)).intoArray(out, 15 * lanes);
            if (j < end) {
                totals = totals == null ? new float[16] : totals;
                for (int i = 0; i < 4; i++) {
                    float k = scales.get(Le.F32, scaleOffset(w, row + i * rowStride) + 4 * jb);
                    for (int t = 0; t < 4; t++) {
                        totals[4 * i + t] += tail(v, b0 + i * step + j, end - j, x, xOff + 4L * whole + (long) t * (cols - whole)) * k;
                    }
                }
            }
        }
        VectorMath.sumLanesInPlace(out, 16);
        for (int i = 0; i < 4; i++) {
            boolean nan = w.rowHasNaN(row + i * rowStride);
            for (int t = 0; t < 4; t++) {
                out[4 * i + t] = nan ? Float.NaN : out[4 * i + t] + (totals == null ? 0f : totals[4 * i + t]);
            }
        }
    }
}
