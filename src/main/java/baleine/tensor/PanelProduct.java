package baleine.tensor;

/**
 * Batched products for prefill: up to sixteen rows are converted once into a float panel ({@link PanelDot}),
 * then multiplied with the batch by 4x4 tiles, a column part at a time: that part of the panel stays in L1
 * while every four vectors pass over it, and each part of four vectors serves all the panel's rows. Where
 * a type's kernels add a row's chunks out of column order (K-quants), the vectors are first copied into that
 * order, 64 at a time. Results equal the one-row kernels' bit for bit.
 */
final class PanelProduct {
    /** Vectors taken together (the copies in kernel order are made for this many at a time). */
    private static final int GROUP = 64;
    /** Rows converted together (four tiles high), and the columns taken at a time (16 KB of panel). */
    private static final int QUADS = 4, PART = 256;
    private static final int TILE = 16 * VectorMath.LANES;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private PanelProduct() {
    }

    /** Per-thread scratch: the panel, the tiles' accumulators, the vectors (or their copies) of a group. */
    private static final class Buffers {
        float[] panel = new float[0];
        final float[] acc = new float[QUADS * (GROUP / 4) * TILE];
        final float[] sums = VectorMath.outBuffer(16);
        final float[][] vectors = new float[GROUP + 3][];
        float[][] copies = new float[GROUP][0];

        void ensure(int cols) {
            if (panel.length < 4 * QUADS * cols) {
                panel = new float[4 * QUADS * cols];
            }
        }

        void ensureCopies(int cols) {
            if (copies[0].length < cols) {
                copies = new float[GROUP][cols];
            }
        }
    }

    /**
     * {@code y[t][yOff + r - from] = W[r] . x[t][xOff ..]} for the rows of whole groups of four in [from, to);
     * returns the first row not done.
     */
    static int rows(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n) {
        Buffers b = BUFFERS.get();
        int[] order = w.panelOrder();
        int cols = w.cols, lanes = VectorMath.LANES, last = from + (to - from) / 4 * 4;
        b.ensure(cols);
        if (order != null) {
            b.ensureCopies(cols);
        }
        for (int g = 0; g < n; g += GROUP) {
            int m = Math.min(GROUP, n - g);
            for (int k = 0; k < m; k++) {
                if (order == null) {
                    b.vectors[k] = x[g + k];
                } else {
                    float[] copy = b.copies[k], src = x[g + k];
                    for (int c = 0; c < order.length; c++) {
                        System.arraycopy(src, xOff + order[c], copy, c * lanes, lanes);
                    }
                    b.vectors[k] = copy;
                }
            }
            for (int k = m; k < m + 3; k++) { // a last tile of one to three vectors repeats the last (outputs dropped)
                b.vectors[k] = b.vectors[m - 1];
            }
            group(w, from, last, b, order == null ? xOff : 0, y, yOff, g, m);
        }
        return last;
    }

    /** Rows [from, to) (whole groups of four) times the group's {@code m} vectors, outputs to y[g ..]. */
    private static void group(Weight w, int from, int to, Buffers b, int vOff, float[][] y, int yOff, int g, int m) {
        float[] panel = b.panel, acc = b.acc, sums = b.sums;
        float[][] v = b.vectors;
        int cols = w.cols, whole = cols - cols % VectorMath.LANES, tiles = Math.ceilDiv(m, 4);
        for (int r = from; r < to; ) {
            int quads = Math.min(QUADS, (to - r) / 4);
            for (int q = 0; q < quads; q++) {
                w.decodePanel(r + 4 * q, panel, 4 * q * cols);
            }
            java.util.Arrays.fill(acc, 0, quads * tiles * TILE, 0f);
            for (int c0 = 0; c0 < whole; c0 += PART) {
                int c1 = Math.min(whole, c0 + PART);
                for (int t = 0; t < tiles; t++) {
                    for (int q = 0; q < quads; q++) {
                        PanelDot.tile(panel, 4 * q * cols, cols, c0, c1, v, 4 * t, vOff, acc, (q * tiles + t) * TILE);
                    }
                }
            }
            for (int q = 0; q < quads; q++) {
                for (int t = 0; t < tiles; t++) {
                    System.arraycopy(acc, (q * tiles + t) * TILE, sums, 0, TILE);
                    VectorMath.sumLanesInPlace(sums, 16);
                    for (int i = 0; i < 4; i++) {
                        int p = (4 * q + i) * cols, row = r + 4 * q + i - from;
                        for (int k = 0; k < 4 && 4 * t + k < m; k++) {
                            float sum = sums[4 * i + k];
                            float[] vt = v[4 * t + k];
                            for (int c = whole; c < cols; c++) { // columns past the last whole vector (F32, BF16), in order
                                sum += panel[p + c] * vt[vOff + c];
                            }
                            y[g + 4 * t + k][yOff + row] = sum;
                        }
                    }
                }
            }
            r += 4 * quads;
        }
    }
}
