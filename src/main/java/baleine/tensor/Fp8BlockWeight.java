package baleine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * DeepSeek-V3's native FP8 weights: float8 e4m3fn values with one float32 {@code scale_inv} per
 * {@code block x block} tile, {@code W[i][j] = w[i][j] * scale_inv[i / block][j / block]}.
 */
public final class Fp8BlockWeight extends Weight {
    static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3[b] = e4m3ToFloat(b);
        }
    }

    final MemorySegment values;
    final MemorySegment scales;
    final int block;
    /** Values from one stored row's start to the next's: the stored width ({@link #kernelSample} reads fewer columns). */
    final long rowLength;
    /** Scales per stored row of blocks. */
    final int scaleCols;
    private final int firstRow;
    /** Per stored row, whether it holds e4m3fn's NaN code (scanning at every product: 10–15% of FP8 decoding). */
    private final RowScan nanRows;

    public Fp8BlockWeight(String name, MemorySegment values, MemorySegment scales, int rows, int cols, int block) {
        this(name, values, scales, rows, cols, block, 0, new RowScan(rows, r -> Fp8Dot.hasNaN(values, (long) r * cols, cols)), cols);
    }

    private Fp8BlockWeight(String name, MemorySegment values, MemorySegment scales, int rows, int cols, int block, int firstRow, RowScan nanRows,
                           long rowLength) {
        super(name, rows, cols);
        this.values = values;
        this.scales = scales;
        this.block = block;
        this.rowLength = rowLength;
        this.scaleCols = (int) ((rowLength + block - 1) / block);
        this.firstRow = firstRow;
        this.nanRows = nanRows;
    }

    /** Whether stored row {@code absRow} holds the NaN code (its products are then NaN). */
    boolean rowHasNaN(int absRow) {
        return nanRows.holds(absRow);
    }

    /** float8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN. */
    public static float e4m3ToFloat(int bits) {
        int sign = (bits & 0x80) != 0 ? -1 : 1;
        int exp = (bits >>> 3) & 0xF, man = bits & 7;
        if (exp == 15 && man == 7) {
            return Float.NaN;
        }
        float mag = exp == 0 ? man / 8f * 0x1p-6f : (1 + man / 8f) * (float) Math.scalb(1.0, exp - 7);
        return sign * mag;
    }

    /** Nearest e4m3fn value (saturating at ±448), for the model writer. */
    public static byte floatToE4m3(float x) {
        int sign = x < 0 ? 0x80 : 0;
        float a = Math.min(Math.abs(x), 448f);
        if (a < 0x1p-6f) {
            return (byte) (sign | Math.round(a / 0x1p-9f));
        }
        int e = Math.getExponent(a);
        int man = Math.round((a / (float) Math.scalb(1.0, e) - 1) * 8);
        if (man == 8) {
            e++;
            man = 0;
        }
        return (byte) (sign | ((e + 7) << 3) | man);
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        int absRow = firstRow + row;
        long base = absRow * rowLength;
        long scaleRow = (long) (absRow / block) * scaleCols;
        // vectors where the row has no NaN code (the vector conversion reads it as ±480): the same values, as
        // e4m3 -> float is exact; the absorbed attention decodes kv_b's rows every token (11% of V3-shape decoding)
        boolean vectors = Species.FUSED && !rowHasNaN(absRow);
        for (int j0 = 0; j0 < cols; j0 += block) {
            float s = scales.get(Le.F32, 4 * (scaleRow + j0 / block));
            int end = Math.min(cols, j0 + block), j = j0;
            if (vectors) {
                for (; j + Species.F.length() <= end; j += Species.F.length()) {
                    Fp8Dot.e4m3(values, base + j).mul(s).intoArray(dst, j);
                }
            }
            for (; j < end; j++) {
                dst[j] = E4M3[values.get(Le.I8, base + j) & 0xFF] * s;
            }
        }
    }

    @Override
    public boolean hasFusedDot() {
        return Species.FUSED;
    }

    /** The row read in place: e4m3 bytes widened and converted to floats in registers, one scale per block. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        return Species.FUSED ? Fp8Dot.dot(this, firstRow + row, x, xOff) : super.dot(row, x, xOff);
    }

    @Override
    public boolean hasDot4() {
        return Species.FUSED;
    }

    /** Four tokens at once, each chunk of the row converted once; the same bits as four {@link #dot} calls. */
    @Override
    public void dot4(int row, float[][] x, int t0, int xOff, float[] out) {
        if (Species.FUSED) {
            Fp8Dot.dot4(this, firstRow + row, x, t0, xOff, out);
        } else {
            super.dot4(row, x, t0, xOff, out);
        }
    }

    /** Four rows as four memory streams (decoding's product); the same bits as four {@link #dot} calls. */
    @Override
    public void dotRows4(int row, int rowStride, float[] x, int xOff, float[] out) {
        if (Species.FUSED) {
            Fp8Dot.rows4(this, firstRow + row, rowStride, x, xOff, out);
        } else {
            super.dotRows4(row, rowStride, x, xOff, out);
        }
    }

    @Override
    public boolean hasPairStreams() {
        return Species.FUSED;
    }

    @Override
    public void dotPairStreams(int row, int rowStride, float[] x0, float[] x1, int xOff, float[] out) {
        Fp8Dot.rows4x2(this, firstRow + row, rowStride, x0, x1, xOff, out);
    }

    /** Where blocks are whole vectors wide: the tile reads its vectors by whole chunks of the interleaved copy. */
    @Override
    public boolean hasTileDot() {
        return Species.FUSED && block % VectorMath.LANES == 0;
    }

    /** Four rows by four tokens, prefill's product; the same bits as sixteen {@link #dot} calls. */
    @Override
    public void dotTile(int row, int rowStride, MemorySegment x, long xOff, float[] out) {
        Fp8Dot.tile(this, firstRow + row, rowStride, x, xOff, out);
    }

    /**
     * Prompts of 12+ tokens through float panels: the e4m3 values converted once per four rows for the whole
     * batch, not again for every four tokens (the conversion was half the tile's vector operations). Where every
     * block is whole vectors wide and the panel products' column parts hold whole blocks.
     */
    @Override
    public boolean hasPanel() {
        return Species.FUSED && cols % block == 0 && block % VectorMath.LANES == 0 && PanelProduct.PART % block == 0;
    }

    @Override
    public int[] panelOrder() {
        return null;
    }

    @Override
    public void decodePanel(int row, MemorySegment panel, long pOff) {
        Fp8Dot.decode4(this, firstRow + row, panel, pOff);
    }

    @Override
    public int panelScaleBlock() {
        return block;
    }

    @Override
    public float panelScale(int row, int index) {
        return scales.get(Le.F32, Fp8Dot.scaleOffset(this, firstRow + row) + 4L * index);
    }

    /** NaN for a row holding the NaN code; else the sum plus the empty scalar ends' 0 (as {@link Fp8Dot#tile}). */
    @Override
    public float panelResult(int row, float sum) {
        return rowHasNaN(firstRow + row) ? Float.NaN : sum + 0f;
    }

    @Override
    public Weight rowSlice(int from, int count) {
        checkSlice(from, count);
        return new Fp8BlockWeight(name + "[" + from + ":" + (from + count) + "]", values, scales, count, cols, block, firstRow + from, nanRows, rowLength);
    }

    /** The first rows' first blocks, read in place; their NaN codes looked for in those columns only. */
    @Override
    public Weight kernelSample() {
        int sampleRows = Math.min(rows, SAMPLE_ROWS), sampleCols = sampleCols(block);
        return new Fp8BlockWeight(name + " (sample)", values, scales, sampleRows, sampleCols, block, firstRow,
                new RowScan(firstRow + sampleRows, r -> Fp8Dot.hasNaN(values, r * rowLength, sampleCols)), rowLength);
    }

    @Override
    public String typeName() {
        return "F8_E4M3";
    }

    @Override
    public long bytes() {
        return (long) rows * cols + 4L * ((rows + block - 1) / block) * scaleCols;
    }
}
