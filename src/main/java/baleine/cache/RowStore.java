package baleine.cache;

import baleine.tensor.Halves;
import baleine.tensor.Int8Blocks;

import java.util.Arrays;

/**
 * Cached rows of {@code width} values in a {@link CacheType}: floats, read in place; or 16-bit floats or 8-bit
 * blocks, turned back into floats when attention reads them ({@link #view}), a few rows at a time, so the
 * kernels always see floats.
 */
public abstract sealed class RowStore {
    protected final int width;
    /** Array elements a row takes (its values, or its whole blocks). */
    private final int slots;
    private int rowsHeld;

    private RowStore(int width, int slots) {
        this.width = width;
        this.slots = slots;
    }

    public static RowStore of(CacheType type, int width) {
        return switch (type) {
            case F32 -> new Floats(width);
            case F16 -> new HalfFloats(Halves.Format.F16, width);
            case BF16 -> new HalfFloats(Halves.Format.BF16, width);
            case Q8_0 -> new BlockBytes(width);
        };
    }

    /** Rows there is room for. */
    public int rowsHeld() {
        return rowsHeld;
    }

    /** Makes room for {@code rows} rows in total, growing by doubling but never past {@code limit} rows. */
    public void ensureRows(int rows, int limit) {
        if (rows > rowsHeld) {
            int cap = Math.max(rows, Math.min(Math.min(2 * rowsHeld, limit), Integer.MAX_VALUE / slots));
            resize(Math.multiplyExact(cap, slots));
            rowsHeld = cap;
        }
    }

    /** Bytes one row takes. */
    public abstract int bytesPerRow();

    /** Keeps the rows held and makes room for {@code elements} array elements in all. */
    protected abstract void resize(int elements);

    /** Stores {@code src[off .. off + width)} as row {@code row}. */
    public abstract void put(int row, float[] src, int off);

    /**
     * Values {@code [offset, offset + count)} of the rows of positions {@code [from, to)} (position s in row
     * {@code rows[s]}) as floats: position s's values at {@code view.rows()[s] * view.stride() + view.offset()}
     * of {@code view.data()}. Floats are read in place; other types are converted into this thread's scratch
     * {@code slot} (0 or 1: two views at once), valid until the thread's next view in that slot.
     */
    public abstract View view(int[] rows, int from, int to, int offset, int count, int slot);

    /**
     * Brings values {@code [offset, offset + count)} of the rows of positions [from, to) into the cache before a
     * {@link #view} of them is read, where the view reads them in place: one value per 64-byte line, so that the
     * rows stream in at the memory's rate (grouped-query attention's kernels, a few rows at a time, left the hardware
     * prefetcher behind: Qwen-shape Q4_0 decoding at depth 4096 1.051x in one JVM, 150 pairs; a 512-token prompt
     * 1.015x; MLA's chunks, 256 rows of 576 values and more, past the second-level cache, did not gain: 0.991).
     * Other types read every row as they convert it.
     */
    public void prefetch(int[] rows, int from, int to, int offset, int count) {
    }

    /** Rows as floats: position s's values start at {@code rows[s] * stride + offset} of {@code data}. */
    public record View(float[] data, int[] rows, int stride, int offset) {
    }

    private static final class Floats extends RowStore {
        private static float sink;

        private float[] values = new float[0];

        Floats(int width) {
            super(width, width);
        }

        @Override
        public int bytesPerRow() {
            return 4 * width;
        }

        @Override
        protected void resize(int elements) {
            values = Arrays.copyOf(values, elements);
        }

        @Override
        public void put(int row, float[] src, int off) {
            System.arraycopy(src, off, values, row * width, width);
        }

        @Override
        public View view(int[] rows, int from, int to, int offset, int count, int slot) {
            return new View(values, rows, width, offset);
        }

        @Override
        public void prefetch(int[] rows, int from, int to, int offset, int count) {
            float sum = 0;
            for (int s = from; s < to; s++) {
                int o = rows[s] * width + offset;
                for (int i = 0; i < count; i += 16) {
                    sum += values[o + i];
                }
            }
            sink = sum; // a store the JIT must keep, and with it the loads
        }
    }

    /** Rows stored in another type, read back into floats in a per-thread scratch. */
    private abstract static sealed class Converted extends RowStore {
        private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);
        private static final ThreadLocal<int[][]> SCRATCH_ROWS = ThreadLocal.withInitial(() -> new int[2][0]);
        /** The last view handed out per slot, handed out again while it still describes the scratch (no garbage per block). */
        private static final ThreadLocal<View[]> LAST = ThreadLocal.withInitial(() -> new View[2]);

        Converted(int width, int slots) {
            super(width, slots);
        }

        /** {@code dst[dOff ..]} = values {@code [offset, offset + count)} of row {@code row} as floats. */
        abstract void read(int row, int offset, int count, float[] dst, int dOff);

        @Override
        public View view(int[] rows, int from, int to, int offset, int count, int slot) {
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
                read(rows[s], offset, count, data, (s - from) * count);
                local[s] = s - from;
            }
            View[] last = LAST.get();
            if (last[slot] == null || last[slot].data() != data || last[slot].rows() != local || last[slot].stride() != count) {
                last[slot] = new View(data, local, count, 0);
            }
            return last[slot];
        }
    }

    private static final class HalfFloats extends Converted {
        private final Halves.Format format;
        private short[] values = new short[0];

        HalfFloats(Halves.Format format, int width) {
            super(width, width);
            this.format = format;
        }

        @Override
        public int bytesPerRow() {
            return 2 * width;
        }

        @Override
        protected void resize(int elements) {
            values = Arrays.copyOf(values, elements);
        }

        @Override
        public void put(int row, float[] src, int off) {
            Halves.fromFloats(format, src, off, values, row * width, width);
        }

        @Override
        void read(int row, int offset, int count, float[] dst, int dOff) {
            Halves.toFloats(format, values, row * width + offset, dst, dOff, count);
        }
    }

    /** Rows of {@link Int8Blocks}: a row's blocks read whole into a buffer, then the asked values copied out. */
    private static final class BlockBytes extends Converted {
        private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
        private final int blocks;
        private byte[] quants = new byte[0];
        private float[] scales = new float[0];

        BlockBytes(int width) {
            super(width, Int8Blocks.blocks(width) * Int8Blocks.BLOCK);
            this.blocks = Int8Blocks.blocks(width);
        }

        @Override
        public int bytesPerRow() {
            return blocks * (Int8Blocks.BLOCK + Float.BYTES);
        }

        @Override
        protected void resize(int elements) {
            quants = Arrays.copyOf(quants, elements);
            scales = Arrays.copyOf(scales, elements / Int8Blocks.BLOCK);
        }

        @Override
        public void put(int row, float[] src, int off) {
            Int8Blocks.quantize(src, off, width, quants, row * blocks * Int8Blocks.BLOCK, scales, row * blocks);
        }

        @Override
        void read(int row, int offset, int count, float[] dst, int dOff) {
            int first = offset / Int8Blocks.BLOCK, last = Int8Blocks.blocks(offset + count);
            float[] buffer = ROW.get();
            if (buffer.length < blocks * Int8Blocks.BLOCK) {
                buffer = new float[blocks * Int8Blocks.BLOCK];
                ROW.set(buffer);
            }
            Int8Blocks.dequantize(quants, (row * blocks + first) * Int8Blocks.BLOCK, scales, row * blocks + first, last - first, buffer, 0);
            System.arraycopy(buffer, offset - first * Int8Blocks.BLOCK, dst, dOff, count);
        }
    }
}
