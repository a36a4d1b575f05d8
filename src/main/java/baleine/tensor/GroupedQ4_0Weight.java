package baleine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A Q4_0 matrix whose rows were regrouped 64 at a time ({@link Q4_0Groups}) for integer products with 8-bit
 * activations. Its rows come in units (a merged expert tensor: one unit per expert, else one): each unit holds
 * its whole groups, then the rows left over (fewer than 64) as plain Q4_0 rows, which the float kernels take.
 */
public final class GroupedQ4_0Weight extends Weight {
    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[Q4_0Groups.ROWS * Q4_0Groups.TOKENS]);
    private static final ThreadLocal<short[]> SUMS = ThreadLocal.withInitial(() -> new short[Q4_0Groups.ROWS * Q4_0Groups.BATCH]);
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[Q4_0Groups.ROWS]);

    private final MemorySegment data;
    private final int unitRows;
    private final int blocks;
    private final long rowBytes;
    private final BlockWeight plain; // every row in Q4_0's layout: the left-over rows are read through it

    private GroupedQ4_0Weight(String name, MemorySegment data, int rows, int cols, int unitRows) {
        super(name, rows, cols);
        this.data = data;
        this.unitRows = unitRows;
        this.blocks = cols / Q4_0Groups.BLOCK;
        this.rowBytes = GgmlType.Q4_0.bytesFor(cols);
        this.plain = new BlockWeight(name, GgmlType.Q4_0, data, rows, cols);
    }

    /** Whether Q4_0 matrices are regrouped on this machine (256- or 512-bit vectors). */
    public static boolean supported() {
        return Q4_0Groups.SUPPORTED;
    }

    /**
     * Regroups the Q4_0 matrix in the writable {@code data} in place, {@code unitRows} rows per unit, and returns it;
     * where a scale is not finite, the matrix as it is, for the float kernels.
     */
    public static Weight regroup(String name, MemorySegment data, int rows, int cols, int unitRows) {
        if (rows % unitRows != 0 || cols % Q4_0Groups.BLOCK != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + rows + " x " + cols + " does not split into units of " + unitRows + " rows");
        }
        int blocks = cols / Q4_0Groups.BLOCK;
        long rowBytes = GgmlType.Q4_0.bytesFor(cols), blockBytes = GgmlType.Q4_0.bytesFor(Q4_0Groups.BLOCK);
        for (long at = 0; at < rows * rowBytes; at += blockBytes) { // each block's scale
            if (!Float.isFinite(Float.float16ToFloat(data.get(Le.I16, at)))) {
                return new BlockWeight(name, GgmlType.Q4_0, data, rows, cols);
            }
        }
        int groups = unitRows / Q4_0Groups.ROWS;
        Parallel.forEach(rows / unitRows * groups, i ->
                Q4_0Groups.regroup(data, ((long) (i / groups) * unitRows + (long) (i % groups) * Q4_0Groups.ROWS) * rowBytes, blocks));
        return new GroupedQ4_0Weight(name, data, rows, cols, unitRows);
    }

    private boolean grouped(int row) {
        return row % unitRows < unitRows / Q4_0Groups.ROWS * Q4_0Groups.ROWS;
    }

    /** Row {@code row}'s place in its group (a grouped row). */
    private int lane(int row) {
        return row % unitRows % Q4_0Groups.ROWS;
    }

    /** Offset of the group holding row {@code row} (a grouped one). */
    private long groupOffset(int row) {
        return (long) (row - lane(row)) * rowBytes;
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        if (grouped(row)) {
            Q4_0Groups.decodeRow(data, groupOffset(row), blocks, lane(row), dst);
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
        Int8Batch q = Int8Batch.forThread().of(new float[][]{x}, xOff, cols, 1, InterleavedBatch.ALONE);
        return Q4_0Groups.dotScalar(data, groupOffset(row), blocks, lane(row), q, 0);
    }

    /**
     * Rows [from, to) of {@code y[t] = W x[t]} for t in [0, n), into {@code y[t][yOff + r - from]}; {@code product}
     * as for {@link InterleavedBatch}. Groups that [from, to) cuts are computed whole and the rows asked for kept.
     */
    void rows(int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n, long product) {
        Int8Batch q = null;
        float[] out = OUT.get();
        short[] sums = SUMS.get();
        float[] scales = SCALES.get();
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
                q = Int8Batch.forThread().of(x, xOff, cols, n, product);
            }
            int first = r - lane(r), end = Math.min(to, first + Q4_0Groups.ROWS);
            for (int t0 = 0; t0 < n; t0 += Q4_0Groups.TOKENS) {
                int count = Math.min(Q4_0Groups.TOKENS, n - t0);
                Q4_0Groups.dot(data, groupOffset(r), blocks, q, t0, count, out, sums, scales);
                for (int k = 0; k < count; k++) {
                    for (int i = r; i < end; i++) {
                        y[t0 + k][yOff + i - from] = out[Q4_0Groups.ROWS * k + Q4_0Groups.slot(i - first)];
                    }
                }
            }
            r = end;
        }
    }

    /** A group: its rows are computed together. */
    @Override
    public int rowAlignment() {
        return Q4_0Groups.ROWS;
    }

    @Override
    public Weight rowSlice(int from, int count) {
        checkSlice(from, count);
        if (from % unitRows != 0 || count % unitRows != 0) {
            throw new IllegalArgumentException("tensor " + name + ": rows [" + from + ", " + (from + count)
                    + ") cut its units of " + unitRows + " rows");
        }
        return new GroupedQ4_0Weight(name + "[" + from + ":" + (from + count) + "]",
                data.asSlice(from * rowBytes, count * rowBytes), count, cols, unitRows);
    }

    @Override
    public String typeName() {
        return GgmlType.Q4_0.name();
    }

    @Override
    public long bytes() {
        return rowBytes * rows;
    }
}
