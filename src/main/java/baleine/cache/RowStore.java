package baleine.cache;

import baleine.tensor.Halves;

import java.util.Arrays;

/**
 * Cached rows of {@code width} values in a {@link CacheType}: floats, or 16-bit halves turned back into floats
 * when attention reads them ({@link #view}), a few rows at a time, so the kernels always see floats.
 */
public final class RowStore {
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final ThreadLocal<int[][]> SCRATCH_ROWS = ThreadLocal.withInitial(() -> new int[2][0]);

    private final CacheType type;
    private final int width;
    private float[] floats = new float[0];
    private short[] halves = new short[0];

    public RowStore(CacheType type, int width) {
        this.type = type;
        this.width = width;
    }

    public CacheType type() {
        return type;
    }

    /** Rows there is room for. */
    public int rowsHeld() {
        return (type.halves() == null ? floats.length : halves.length) / width;
    }

    /** Makes room for {@code rows} rows in total, growing by doubling but never past {@code limit} rows. */
    public void ensureRows(int rows, int limit) {
        int held = rowsHeld();
        if (rows > held) {
            int cap = Math.toIntExact((long) width * Math.max(rows, Math.min(Math.min(2 * held, limit), Integer.MAX_VALUE / width)));
            if (type.halves() == null) {
                floats = Arrays.copyOf(floats, cap);
            } else {
                halves = Arrays.copyOf(halves, cap);
            }
        }
    }

    /** Stores {@code src[off .. off + width)} as row {@code row}. */
    public void put(int row, float[] src, int off) {
        if (type.halves() == null) {
            System.arraycopy(src, off, floats, row * width, width);
        } else {
            Halves.fromFloats(type.halves(), src, off, halves, row * width, width);
        }
    }

    /**
     * Values {@code [offset, offset + count)} of the rows of positions {@code [from, to)} (position s in row
     * {@code rows[s]}) as floats: position s's values at {@code view.rows()[s] * view.stride() + view.offset()}
     * of {@code view.data()}. Floats are read in place; halves are converted into this thread's scratch
     * {@code slot} (0 or 1: two views at once), valid until the thread's next view in that slot.
     */
    public View view(int[] rows, int from, int to, int offset, int count, int slot) {
        if (type.halves() == null) {
            return new View(floats, rows, width, offset);
        }
        float[][] scratch = SCRATCH.get();
        int[][] scratchRows = SCRATCH_ROWS.get();
        int m = to - from;
        if (scratch[slot].length < m * count) {
            scratch[slot] = new float[Math.max(m * count, scratch[slot].length + scratch[slot].length / 2)];
        }
        if (scratchRows[slot].length < to) {
            scratchRows[slot] = new int[Math.max(to, scratchRows[slot].length + scratchRows[slot].length / 2)];
        }
        float[] data = scratch[slot];
        int[] local = scratchRows[slot];
        for (int s = from; s < to; s++) {
            Halves.toFloats(type.halves(), halves, rows[s] * width + offset, data, (s - from) * count, count);
            local[s] = s - from;
        }
        return new View(data, local, count, 0);
    }

    /** Rows as floats: position s's values start at {@code rows[s] * stride + offset} of {@code data}. */
    public record View(float[] data, int[] rows, int stride, int offset) {
    }
}
