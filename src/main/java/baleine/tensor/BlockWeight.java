package baleine.tensor;

import java.lang.foreign.MemorySegment;

/** A matrix stored as consecutive rows of ggml blocks (F32, F16, BF16, Q8_0, Q4_K, ...). */
public final class BlockWeight extends Weight {
    private final GgmlType type;
    private final BlockCodec codec;
    private final MemorySegment data;
    private final long rowBytes;
    private final boolean fused;
    private final int[] panelOrder;
    /**
     * F16: the rows holding an infinity or a NaN, which the kernels' conversion would read as finite values
     * ({@link FusedDot#halfs}: half the operations of the exact one); those rows take the exact path. Else null.
     */
    private final RowScan nonFinite;

    /** {@code data} starts at row 0 and holds at least {@code rows} rows. */
    public BlockWeight(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, type.bytesFor(cols), null);
    }

    /** Rows {@code rowBytes} apart, of which the first {@code cols} columns are this matrix's. */
    private BlockWeight(String name, GgmlType type, MemorySegment data, int rows, int cols, long rowBytes, RowScan nonFinite) {
        super(name, rows, cols);
        this.type = type;
        this.codec = type.codec().orElseThrow(() -> new UnsupportedTensorTypeException(name, type.name()));
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + cols + " is not a multiple of the "
                    + type.name() + " block size " + type.blockSize);
        }
        this.rowBytes = rowBytes;
        this.data = data;
        this.fused = FusedDot.supports(type);
        this.panelOrder = PanelDot.supports(type) ? PanelDot.order(type, cols) : null;
        if (data.byteSize() < rowBytes * rows) {
            throw new IllegalArgumentException("tensor " + name + ": needs " + rowBytes * rows + " bytes, has " + data.byteSize());
        }
        this.nonFinite = type != GgmlType.F16 ? null
                : nonFinite != null ? nonFinite : new RowScan(rows, r -> Halves.hasNonFinite(data, r * rowBytes, cols));
    }

    /** Whether rows {@code row + k rowStride}, k below {@code count}, may take the kernels (no F16 row among them holds an infinity or a NaN). */
    private boolean kernelRows(int row, int rowStride, int count) {
        if (nonFinite == null) {
            return true;
        }
        for (int k = 0; k < count; k++) {
            if (nonFinite.holds(row + k * rowStride)) {
                return false;
            }
        }
        return true;
    }

    public GgmlType type() {
        return type;
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        codec.decodeRun(data, row * rowBytes, dst, 0, cols);
    }

    @Override
    public boolean hasFusedDot() {
        return fused;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return fused && kernelRows(row, 0, 1) ? FusedDot.dot(type, data, row * rowBytes, x, xOff, cols) : super.dot(row, x, xOff);
    }

    @Override
    public boolean hasDot4() {
        return FusedDot.supportsFour(type);
    }

    @Override
    public void dot4(int row, float[][] x, int t0, int xOff, float[] out) {
        if (hasDot4() && kernelRows(row, 0, 1)) {
            FusedDot.dot4(type, data, row * rowBytes, x, t0, xOff, cols, out);
        } else {
            super.dot4(row, x, t0, xOff, out);
        }
    }

    @Override
    public void dotRows4(int row, int rowStride, float[] x, int xOff, float[] out) {
        if (FourRowDot.supports(type) && kernelRows(row, rowStride, 4)) {
            FourRowDot.dot(type, data, row * rowBytes, rowStride * rowBytes, x, xOff, cols, out);
        } else {
            super.dotRows4(row, rowStride, x, xOff, out);
        }
    }

    @Override
    public int streams() {
        return EightRowDot.supports(type) ? 8 : 4;
    }

    @Override
    public void dotStreams(int row, int rowStride, float[] x, int xOff, float[] out) {
        if (EightRowDot.supports(type)) {
            EightRowDot.dot(type, data, row * rowBytes, rowStride * rowBytes, x, xOff, cols, out);
        } else {
            super.dotStreams(row, rowStride, x, xOff, out);
        }
    }

    @Override
    public boolean hasPairStreams() {
        return PairDot.supports(type);
    }

    @Override
    public void dotPairStreams(int row, int rowStride, float[] x0, float[] x1, int xOff, float[] out) {
        if (kernelRows(row, rowStride, 4)) {
            PairDot.dot(type, data, row * rowBytes, rowStride * rowBytes, x0, x1, xOff, cols, out);
        } else {
            for (int k = 0; k < 4; k++) {
                out[k] = dot(row + k * rowStride, x0, xOff);
                out[streams() + k] = dot(row + k * rowStride, x1, xOff);
            }
        }
    }

    /**
     * Q4_K once its super-block pair kernel is compiled ({@link SuperBlockDot#pairReady}): two such pairs beat the
     * 4x4 tile, whose steps convert nibbles one 64-column step at a time. Qwen-shape Q4_K, three / four sequences
     * decoding together, tg32 in three side-by-side pairs: 63-85 / 87-111 tok/s with the tile, 104-109 / 124-129 as
     * pairs; V2-Lite-shape Q4_K pp64 (experts of three or four tokens) unchanged. Q5_K, whose half-block pair kernel
     * beats its row-at-a-time four-vector kernel: three / four sequences 56.1-57.6 / 62.8-74.9 tok/s through the
     * latter, 58.3-74.7 / 72.8-88.8 as pairs (two side-by-side pairs). (Q6_K's four-vector kernel wins: two
     * sequences 64.7 tok/s, four 75.6.)
     */
    @Override
    public boolean pairsBeatFours() {
        return type == GgmlType.Q4_K && SuperBlockDot.pairReady(type) || type == GgmlType.Q5_K && hasPairStreams();
    }

    @Override
    public boolean hasTileDot() {
        return TileDot.supports(type);
    }

    @Override
    public void dotTile(int row, int rowStride, MemorySegment x, long xOff, float[] out) {
        TileDot.dot(type, data, row * rowBytes, rowStride * rowBytes, x, xOff, cols, out);
    }

    @Override
    public boolean hasTileOfEight() {
        return TileDot.supportsEight(type);
    }

    @Override
    public void dotTileOfEight(int row, int rowStride, MemorySegment x, long xOff, long xOff4, float[] out) {
        TileDot.q8_0Eight(data, row * rowBytes, rowStride * rowBytes, x, xOff, xOff4, cols, out);
    }

    @Override
    public boolean hasPanel() {
        return PanelDot.supports(type);
    }

    @Override
    public int[] panelOrder() {
        return panelOrder;
    }

    @Override
    public void decodePanel(int row, MemorySegment panel, long pOff) {
        PanelDot.decode4(type, data, row * rowBytes, rowBytes, cols, panel, pOff, !kernelRows(row, 1, 4));
    }

    @Override
    public Weight rowSlice(int from, int count) {
        checkSlice(from, count);
        return new BlockWeight(name + "[" + from + ":" + (from + count) + "]", type,
                data.asSlice(from * rowBytes, count * rowBytes), count, cols, rowBytes, nonFinite == null ? null : nonFinite.from(from));
    }

    @Override
    public Weight kernelSample() {
        return new BlockWeight(name + " (sample)", type, data, Math.min(rows, SAMPLE_ROWS), sampleCols(type.blockSize), rowBytes, null);
    }

    @Override
    public String typeName() {
        return type.name();
    }

    @Override
    public long bytes() {
        return rowBytes * rows;
    }
}
