package baleine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows x cols} (out x in), used in place where the model file maps it.
 * Kernels see it only through {@link #decodeRow}, so every storage type shares one matmul.
 */
public abstract class Weight {
    public final String name;
    public final int rows;
    public final int cols;

    protected Weight(String name, int rows, int cols) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
    }

    /** Writes row {@code row} as floats into {@code dst[0 .. cols)}. */
    public abstract void decodeRow(int row, float[] dst);

    /** Whether {@link #dot} reads the row in place (otherwise it decodes the row first). */
    public boolean hasFusedDot() {
        return false;
    }

    /** {@code W[row] . x[xOff .. xOff + cols)}; types with a fused kernel read the row in place. */
    public float dot(int row, float[] x, int xOff) {
        float[] buf = MatMul.rowBuffer(cols);
        decodeRow(row, buf);
        return VectorMath.dot(buf, 0, x, xOff, cols);
    }

    /** Whether {@link #dot4} converts the row once for its four vectors (otherwise it is four {@link #dot} calls). */
    public boolean hasDot4() {
        return false;
    }

    /**
     * {@code out[k] = W[row] . x[t0 + k][xOff ..]} for k in 0..3, equal bit for bit to four {@link #dot}
     * calls; types with a four-vector kernel convert the row only once.
     */
    public void dot4(int row, float[][] x, int t0, int xOff, float[] out) {
        for (int k = 0; k < 4; k++) {
            out[k] = dot(row, x[t0 + k], xOff);
        }
    }

    /**
     * {@code out[k] = W[row + k * rowStride] . x[xOff ..]} for k in 0..3, equal bit for bit to four
     * {@link #dot} calls; types with a four-row kernel read the four rows as four parallel streams.
     */
    public void dotRows4(int row, int rowStride, float[] x, int xOff, float[] out) {
        for (int k = 0; k < 4; k++) {
            out[k] = dot(row + k * rowStride, x, xOff);
        }
    }

    /** How many rows {@link #dotStreams} reads side by side: 4, or 8 where a kernel keeps eight memory streams. */
    public int streams() {
        return 4;
    }

    /**
     * {@code out[k] = W[row + k * rowStride] . x[xOff ..]} for k below {@link #streams()} (decoding's product),
     * equal bit for bit to that many {@link #dot} calls; {@code out} from {@code VectorMath.outBuffer(8)} or larger.
     */
    public void dotStreams(int row, int rowStride, float[] x, int xOff, float[] out) {
        dotRows4(row, rowStride, x, xOff, out);
    }

    /** Whether {@link #dotPairStreams} has a kernel ({@code PairDot}, FP8: every type but F32; otherwise a batch of two takes the tiles or a row at a time). */
    public boolean hasPairStreams() {
        return false;
    }

    /**
     * {@link #dotStreams} for two vectors, each row read once for both: {@code out[k]} for {@code x0} and
     * {@code out[streams() + k]} for {@code x1}, equal bit for bit to {@link #dot} calls; {@code out} from
     * {@code VectorMath.outBuffer(16)} or larger.
     */
    public void dotPairStreams(int row, int rowStride, float[] x0, float[] x1, int xOff, float[] out) {
        throw new UnsupportedOperationException(typeName() + " has no pair kernel");
    }

    /**
     * Whether a batch of three or more (up to where float panels take over) goes faster as pairs
     * ({@link #dotPairStreams}) than four vectors at a time ({@link #dotTile}, or {@link #dot4} a row at a time).
     */
    public boolean pairsBeatFours() {
        return false;
    }

    /** Whether {@link #dotTile} has a kernel of its own (otherwise batches go row by row). */
    public boolean hasTileDot() {
        return false;
    }

    /**
     * {@code out[4 * i + k] = W[row + i * rowStride] . x_k} for i, k in 0..3, equal bit for bit to sixteen
     * {@link #dot} calls, the four vectors read from their interleaved copy at float {@code xOff} of {@code x}
     * ({@link InterleavedBatch}, column order).
     */
    public void dotTile(int row, int rowStride, MemorySegment x, long xOff, float[] out) {
        throw new UnsupportedOperationException(typeName() + " has no tile kernel");
    }

    /** Whether {@link #dotTileOfEight} has a kernel of its own (otherwise fives to eights go as two {@link #dotTile}s). */
    public boolean hasTileOfEight() {
        return false;
    }

    /**
     * {@code out[8 * i + k] = W[row + i * rowStride] . x_k} for i in 0..1, k in 0..7, equal bit for bit to sixteen
     * {@link #dot} calls: vectors 0..3 from their interleaved copy at float {@code xOff} of {@code x}, 4..7 from
     * the next four's at {@code xOff4}.
     */
    public void dotTileOfEight(int row, int rowStride, MemorySegment x, long xOff, long xOff4, float[] out) {
        throw new UnsupportedOperationException(typeName() + " has no tile of eight vectors");
    }

    /** Whether {@link #decodePanel} converts rows as the kernels do (otherwise batches use tiles or rows). */
    public boolean hasPanel() {
        return false;
    }

    /**
     * The first column of each whole vector of a row in the order this type's kernels add them (the order of
     * {@link #decodePanel}'s chunks), or null for column order.
     */
    public int[] panelOrder() {
        throw new UnsupportedOperationException(typeName() + " has no panel");
    }

    /**
     * Rows {@code row .. row + 3} as floats into {@code panel[pOff .. pOff + 4 cols)} (interleaved, see
     * {@code PanelDot.decode4}), each value exactly as this type's kernels form it in registers, so products
     * over the panel keep their bits.
     */
    public void decodePanel(int row, MemorySegment panel, long pOff) {
        throw new UnsupportedOperationException(typeName() + " has no panel");
    }

    /**
     * Columns per scale block of this type's panels (0: none). With blocks, products over a panel sum each block
     * of a row on its own and add that sum times the block's {@link #panelScale}, as the type's kernels do.
     */
    public int panelScaleBlock() {
        return 0;
    }

    /** Row {@code row}'s scale for block {@code index} of {@link #panelScaleBlock} columns. */
    public float panelScale(int row, int index) {
        throw new UnsupportedOperationException(typeName() + " has no panel scales");
    }

    /** Row {@code row}'s product as this type's kernels end it, from its sum over the panel. */
    public float panelResult(int row, float sum) {
        return sum;
    }

    /**
     * The parts of a product that threads take start at multiples of this many rows (1: anywhere); a part may still
     * start elsewhere, only slower.
     */
    public int rowAlignment() {
        return 1;
    }

    /**
     * A small matrix over this one's first rows and the first columns of each, read in place by the kernels this one
     * takes (the same classes and memory), whose calls cost a fraction of a whole row's: {@link KernelWarmUp} runs
     * them there. Null for a matrix without one.
     */
    public Weight kernelSample() {
        return null;
    }

    /**
     * A {@link #kernelSample}'s most rows and columns: a group of 64 rows, and two Q4_K super-blocks, so that the
     * kernels' loops over blocks run more than once (a loop whose back branch never ran would reach C2 as a profile
     * without it).
     */
    static final int SAMPLE_ROWS = 64, SAMPLE_COLS = 512;

    /** A sample's columns for rows of {@code blockCols}-column blocks: whole blocks up to {@link #SAMPLE_COLS}, at least one, at most the row. */
    int sampleCols(int blockCols) {
        return Math.min(cols, Math.max(blockCols, SAMPLE_COLS / blockCols * blockCols));
    }

    /** A view of rows {@code [from, from + count)}, e.g. one expert of a merged expert tensor. */
    public abstract Weight rowSlice(int from, int count);

    /** Storage type as users know it ("Q8_0", "BF16", "F8_E4M3"). */
    public abstract String typeName();

    /** Bytes this matrix occupies in the model file. */
    public abstract long bytes();

    public long elements() {
        return (long) rows * cols;
    }

    /** Every value as floats: only for small tensors (norms, biases, router weights). */
    public float[] toFloats() {
        float[] all = new float[Math.toIntExact(elements())];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            decodeRow(r, row);
            System.arraycopy(row, 0, all, r * cols, cols);
        }
        return all;
    }

    protected void checkSlice(int from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") outside " + name + " with " + rows + " rows");
        }
    }

    @Override
    public String toString() {
        return name + " " + typeName() + " [" + rows + " x " + cols + "]";
    }
}
