package baleine.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.F;

/**
 * A batch's vectors copied four by four into 64-byte-aligned memory, as the batched kernels (tiles, panel
 * tiles) read them: two or three streams instead of five, and every vector loaded from one cache line (a Java
 * array's values start 16 bytes into a line, so a 64-byte load from one spans two). Four f of a group starts at
 * float {@code 4 cols f}: there chunk m of {@code LANES} values of vector 4f + k sits at {@code (4 m + k) LANES}
 * (chunks in a kernel's order, or column order), and the columns past the last whole chunk (cols - whole of
 * them) of vector k at {@code 4 whole + k (cols - whole)}. A last four of one to three vectors repeats the last.
 * One per thread: the parts of a product, or of products of one input, that a thread takes share the copy.
 */
final class InterleavedBatch {
    /** Vectors copied together. */
    static final int GROUP = 64;
    /** A product id for a call outside any product: its copy is never reused. */
    static final long ALONE = -1;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<InterleavedBatch> PER_THREAD = ThreadLocal.withInitial(InterleavedBatch::new);

    private MemorySegment fours = MemorySegment.NULL;
    private int capacity; // columns
    // what fours holds: group g of product id product (ALONE: nothing reusable)
    private long product = ALONE;
    private int g, m, cols;
    private int[] order;

    static InterleavedBatch forThread() {
        return PER_THREAD.get();
    }

    /**
     * Vectors {@code x[g .. g + m)} ({@code m <= GROUP}, columns {@code xOff .. xOff + cols}), interleaved with
     * the chunks in {@code order} (null: column order). {@code product} identifies the input of the product the call
     * is part of (x and xOff the same for all calls with that id; a copy is reused for the same width and order), or
     * is {@link #ALONE}.
     */
    MemorySegment of(float[][] x, int xOff, int cols, int[] order, int g, int m, long product) {
        if (capacity < cols) {
            fours = Arena.ofAuto().allocate(4L * GROUP * cols, 64);
            capacity = cols;
            this.product = ALONE;
        }
        if (product == ALONE || this.product != product || this.g != g || this.m != m || this.cols != cols || this.order != order) {
            fill(x, xOff, cols, order, g, m);
            this.product = product;
            this.g = g;
            this.m = m;
            this.cols = cols;
            this.order = order;
        }
        return fours;
    }

    private void fill(float[][] x, int xOff, int cols, int[] order, int g, int m) {
        int lanes = F.length(), whole = cols - cols % lanes, tail = cols - whole;
        for (int f = 0; 4 * f < m; f++) {
            long four = 4L * cols * f;
            for (int k = 0; k < 4; k++) {
                float[] src = x[g + Math.min(4 * f + k, m - 1)];
                for (int c = 0; c < whole / lanes; c++) {
                    FloatVector.fromArray(F, src, xOff + (order == null ? c * lanes : order[c]))
                            .intoMemorySegment(fours, 4 * (four + (long) (4 * c + k) * lanes), LE);
                }
                for (int c = 0; c < tail; c++) {
                    fours.setAtIndex(Le.F32, four + 4L * whole + (long) k * tail + c, src[xOff + whole + c]);
                }
            }
        }
    }
}
