package baleine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A Q4_0, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K matrix whose rows were regrouped 64 at a time ({@link NibbleColumns}) for integer products with
 * 8-bit activations. Its rows come in units (a merged expert tensor: one unit per expert, else one): each unit holds
 * its whole groups, then the rows left over (fewer than 64) in the type's plain layout, which the float kernels
 * take.
 */
public final class GroupedWeight extends Weight {
    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[NibbleColumns.ROWS * NibbleColumns.TOKENS]);
    // a pass's 16-bit sums: up to eight vectors' of 64 rows (Q4_0, Q4_K) or of two half-blocks (Q5_1, Q5_K; Q5_0 four vectors')
    private static final ThreadLocal<short[]> SUMS = ThreadLocal.withInitial(() -> new short[16 * NibbleColumns.ROWS]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[Q4_KGroups.FACTORS]);

    /** A regrouped type: its group layout and kernels, and the activations' rounding they take. */
    public enum Layout {
        Q4_0(GgmlType.Q4_0, NibbleColumns.BLOCK, 0, 1, Int8Batch.Rounding.Q8_0,
                Q4_0Groups::regroup, Q4_0Groups::decodeRow, Q4_0Groups::dotScalar, Q4_0Groups::dot),
        Q5_0(GgmlType.Q5_0, NibbleColumns.BLOCK, 0, 1, Int8Batch.Rounding.Q8_0,
                Q5_0Groups::regroup, Q5_0Groups::decodeRow, Q5_0Groups::dotScalar, Q5_0Groups::dot),
        Q5_1(GgmlType.Q5_1, NibbleColumns.BLOCK, 0, 2, Int8Batch.Rounding.Q8_0,
                Q5_1Groups::regroup, Q5_1Groups::decodeRow, Q5_1Groups::dotScalar, Q5_1Groups::dot),
        Q4_K(GgmlType.Q4_K, Q4_KGroups.SUPER, 0, 2, Int8Batch.Rounding.Q8_K,
                Q4_KGroups::regroup, Q4_KGroups::decodeRow, Q4_KGroups::dotScalar, Q4_KGroups::dot),
        Q5_K(GgmlType.Q5_K, Q5_KGroups.SUPER, 0, 2, Int8Batch.Rounding.Q8_K,
                Q5_KGroups::regroup, Q5_KGroups::decodeRow, Q5_KGroups::dotScalar, Q5_KGroups::dot),
        Q6_K(GgmlType.Q6_K, Q6_KGroups.SUPER, 208, 1, Int8Batch.Rounding.Q8_K,
                Q6_KGroups::regroup, Q6_KGroups::decodeRow, Q6_KGroups::dotScalar, Q6_KGroups::dot);

        /**
         * Regroups the 64 rows at {@code off} ({@code blocks} blocks each) of {@code source} into the same place
         * of {@code target} (the same segment: in place).
         */
        interface Regroup {
            void regroup(MemorySegment source, MemorySegment target, long off, int blocks);
        }

        /** Row {@code lane} of the group at {@code g} as floats, as the type decodes it. */
        interface RowDecoder {
            void decodeRow(MemorySegment s, long g, int blocks, int lane, float[] dst);
        }

        /** Row {@code lane}'s product with vector t of x: what the kernels compute, one row at a time. */
        interface ScalarDot {
            float dotScalar(MemorySegment s, long g, int blocks, int lane, Int8Batch x, int t);
        }

        /** The group at {@code g} times vectors {@code t0 .. t0 + count} of x: {@code out[64 k + slot(lane)]}. */
        interface GroupDot {
            void dot(MemorySegment s, long g, int blocks, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] scratch);
        }

        final GgmlType type;
        /** Columns per block. */
        final int blockCols;
        /** Where a block's 16-bit float scales are (Q4_0: d at its start; Q5_1: d and m; Q4_K, Q5_K: d and dmin; Q6_K: d at its end), which must be finite. */
        final int scalesAt;
        final int scales;
        final Int8Batch.Rounding rounding;
        final Regroup regroup;
        final RowDecoder decoder;
        final ScalarDot scalarDot;
        final GroupDot dot;

        Layout(GgmlType type, int blockCols, int scalesAt, int scales, Int8Batch.Rounding rounding,
               Regroup regroup, RowDecoder decoder, ScalarDot scalarDot, GroupDot dot) {
            this.type = type;
            this.blockCols = blockCols;
            this.scalesAt = scalesAt;
            this.scales = scales;
            this.rounding = rounding;
            this.regroup = regroup;
            this.decoder = decoder;
            this.scalarDot = scalarDot;
            this.dot = dot;
        }

        /** The layout of a type that is regrouped, or null. */
        public static Layout of(GgmlType type) {
            return switch (type) {
                case Q4_0 -> Q4_0;
                case Q5_0 -> Q5_0;
                case Q5_1 -> Q5_1;
                case Q4_K -> Q4_K;
                case Q5_K -> Q5_K;
                case Q6_K -> Q6_K;
                default -> null;
            };
        }

        /** Whether every block's 16-bit float scales are finite. */
        boolean finiteScales(MemorySegment data, long bytes) {
            long blockBytes = type.bytesFor(blockCols);
            for (long at = 0; at < bytes; at += blockBytes) {
                for (int h = 0; h < scales; h++) {
                    if (!Float.isFinite(Float.float16ToFloat(data.get(Le.I16, at + scalesAt + 2L * h)))) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    private final Layout layout;
    private final MemorySegment data;
    private final int unitRows;
    private final int blocks;
    private final long rowBytes;
    private final BlockWeight plain; // every row in the type's layout: the left-over rows are read through it

    private GroupedWeight(String name, Layout layout, MemorySegment data, int rows, int cols, int unitRows) {
        this(name, layout, data, rows, cols, unitRows, layout.type.bytesFor(cols), new BlockWeight(name, layout.type, data, rows, cols));
    }

    /**
     * Rows {@code rowBytes} apart (groups of 64 rows 64 times that), of which the first {@code cols} columns are this
     * matrix's; {@code plain} null when every row is in a whole group (a {@link #kernelSample}).
     */
    private GroupedWeight(String name, Layout layout, MemorySegment data, int rows, int cols, int unitRows, long rowBytes, BlockWeight plain) {
        super(name, rows, cols);
        this.layout = layout;
        this.data = data;
        this.unitRows = unitRows;
        this.blocks = cols / layout.blockCols;
        this.rowBytes = rowBytes;
        this.plain = plain;
    }

    /** Whether matrices are regrouped on this machine (256- or 512-bit vectors). */
    public static boolean supported() {
        return NibbleColumns.SUPPORTED;
    }

    /**
     * Regroups the matrix in the writable {@code data} in place, {@code unitRows} rows per unit, and returns it;
     * where a scale is not finite, the matrix as it is, for the float kernels.
     */
    public static Weight regroup(String name, Layout layout, MemorySegment data, int rows, int cols, int unitRows) {
        return regroup(name, layout, data, data, rows, cols, unitRows);
    }

    /**
     * {@link #regroup(String, Layout, MemorySegment, int, int, int)} from {@code source} into {@code target}, of the
     * same size, which is then the matrix's memory (each group read from the source and written once; the rows left
     * over, or a matrix with a scale that is not finite, copied as they are). With a separate target a load reads
     * the file once, group by group on every core, where a copy first took a pass of its own on one core.
     */
    public static Weight regroup(String name, Layout layout, MemorySegment source, MemorySegment target, int rows, int cols, int unitRows) {
        if (rows % unitRows != 0 || cols % layout.blockCols != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + rows + " x " + cols + " does not split into units of " + unitRows + " rows");
        }
        long rowBytes = layout.type.bytesFor(cols);
        if (!layout.finiteScales(source, rows * rowBytes)) {
            copy(source, target, 0, rows * rowBytes);
            return new BlockWeight(name, layout.type, target, rows, cols);
        }
        int groups = unitRows / NibbleColumns.ROWS, blocks = cols / layout.blockCols;
        long grouped = (long) groups * NibbleColumns.ROWS * rowBytes, unitBytes = unitRows * rowBytes;
        Parallel.forEach(rows / unitRows * groups, i ->
                layout.regroup.regroup(source, target, ((long) (i / groups) * unitRows + (long) (i % groups) * NibbleColumns.ROWS) * rowBytes, blocks));
        for (long unit = 0; unit < rows * rowBytes; unit += unitBytes) { // each unit's rows after its whole groups
            copy(source, target, unit + grouped, unitBytes - grouped);
        }
        return new GroupedWeight(name, layout, target, rows, cols, unitRows);
    }

    private static void copy(MemorySegment source, MemorySegment target, long off, long bytes) {
        if (source != target && bytes > 0) {
            MemorySegment.copy(source, off, target, off, bytes);
        }
    }

    private boolean grouped(int row) {
        return row % unitRows < unitRows / NibbleColumns.ROWS * NibbleColumns.ROWS;
    }

    /** Row {@code row}'s place in its group (a grouped row). */
    private int lane(int row) {
        return row % unitRows % NibbleColumns.ROWS;
    }

    /** Offset of the group holding row {@code row} (a grouped one). */
    private long groupOffset(int row) {
        return (long) (row - lane(row)) * rowBytes;
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        if (grouped(row)) {
            layout.decoder.decodeRow(data, groupOffset(row), blocks, lane(row), dst);
        } else {
            plain.decodeRow(row, dst);
        }
    }

    @Override
    public boolean hasFusedDot() {
        return true;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!grouped(row)) {
            return plain.dot(row, x, xOff);
        }
        Int8Batch q = Int8Batch.forThread().of(new float[][]{x}, xOff, cols, 1, InterleavedBatch.ALONE, layout.rounding);
        return layout.scalarDot.dotScalar(data, groupOffset(row), blocks, lane(row), q, 0);
    }

    /**
     * Rows [from, to) of {@code y[t] = W x[t]} for t in [0, n), into {@code y[t][yOff + r - from]}; {@code product}
     * as for {@link InterleavedBatch}. Groups that [from, to) cuts are computed whole and the rows asked for kept.
     */
    void rows(int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n, long product) {
        Int8Batch q = null;
        float[] out = OUT.get();
        short[] sums = SUMS.get();
        float[] scratch = SCRATCH.get();
        int r = from;
        while (r < to) {
            if (!grouped(r)) {
                for (int t = 0; t < n; t++) {
                    y[t][yOff + r - from] = plain.dot(r, x[t], xOff);
                }
                r++;
                continue;
            }
            if (q == null) {
                q = Int8Batch.forThread().of(x, xOff, cols, n, product, layout.rounding);
            }
            int first = r - lane(r), end = Math.min(to, first + NibbleColumns.ROWS);
            for (int t0 = 0; t0 < n; t0 += NibbleColumns.TOKENS) {
                int count = Math.min(NibbleColumns.TOKENS, n - t0);
                layout.dot.dot(data, groupOffset(r), blocks, q, t0, count, out, sums, scratch);
                if (r == first && end == first + NibbleColumns.ROWS) {
                    NibbleColumns.unslot(out, count, y, t0, yOff + r - from);
                    continue;
                }
                for (int k = 0; k < count; k++) {
                    for (int i = r; i < end; i++) {
                        y[t0 + k][yOff + i - from] = out[NibbleColumns.ROWS * k + NibbleColumns.slot(i - first)];
                    }
                }
            }
            r = end;
        }
    }

    /** The first group, its blocks narrowed as far as {@link #SAMPLE_COLS} (its columns lie block by block); null if no group is whole. */
    @Override
    public Weight kernelSample() {
        if (unitRows < NibbleColumns.ROWS) {
            return null;
        }
        return new GroupedWeight(name + " (sample)", layout, data, NibbleColumns.ROWS, sampleCols(layout.blockCols), NibbleColumns.ROWS, rowBytes, null);
    }

    /** A group: its rows are computed together. */
    @Override
    public int rowAlignment() {
        return NibbleColumns.ROWS;
    }

    @Override
    public Weight rowSlice(int from, int count) {
        checkSlice(from, count);
        if (from % unitRows != 0 || count % unitRows != 0) {
            throw new IllegalArgumentException("tensor " + name + ": rows [" + from + ", " + (from + count)
                    + ") cut its units of " + unitRows + " rows");
        }
        return new GroupedWeight(name + "[" + from + ":" + (from + count) + "]", layout,
                data.asSlice(from * rowBytes, count * rowBytes), count, cols, unitRows);
    }

    @Override
    public String typeName() {
        return layout.type.name();
    }

    @Override
    public long bytes() {
        return rowBytes * rows;
    }
}
