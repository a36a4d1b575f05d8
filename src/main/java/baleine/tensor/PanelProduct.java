package baleine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Batched products for prefill: rows are converted once, four by four, into float panels ({@link PanelDot}),
 * then multiplied with every four vectors of the batch by 4x4 tiles. Panels and vectors are interleaved by
 * chunk of {@code LANES} values (row 0's chunk, row 1's, ...; vector 0's chunk, vector 1's, ...), so that a
 * tile reads two streams; the vectors are copied that way once, 64 at a time, in the order the type's kernels
 * add a row's chunks. Rows up to {@link #WHOLE_ROW} columns go four at a time in one pass (sixteen
 * accumulators in registers for the whole row); longer rows go sixteen at a time, a column part at a time, so
 * that each part of the 64 vectors is read once from L2 for all sixteen (the accumulators wait in memory
 * between parts). Results equal the one-row kernels' bit for bit.
 */
final class PanelProduct {
    private static final int GROUP = InterleavedBatch.GROUP;
    /**
     * Rows at most this long go in one pass; longer ones by parts of {@link #PART} columns, {@link #QUADS} x 4
     * rows at a time. One pass paid on the Qwen shape (A/B pp64, Q4_K 268 -> 287 tok/s, Q6_K 248 -> 260, over
     * parts without interleaving) but not on its 8960-column down projection, where the 64 interleaved vectors
     * (2.3 MB) leave L2 (JMH PrefillBenchmark: 30 ms in one pass, 24 by parts).
     */
    static final int PART = 512;
    private static final int WHOLE_ROW = 4096, QUADS = 4;
    private static final int TILE = 16 * VectorMath.LANES;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private PanelProduct() {
    }

    /** Per-thread scratch: the panels (off the heap, aligned to 64 bytes as {@link InterleavedBatch}), the tiles' accumulators (folded in place), block scales. */
    private static final class Buffers {
        MemorySegment panel = MemorySegment.NULL;
        final float[] acc = new float[QUADS * (GROUP / 4) * TILE];
        private float[] scales = new float[0]; // per-block scales of a part's rows, for PanelDot.scaledTile
        int cols;

        void ensure(int cols) {
            if (this.cols < cols) {
                panel = Arena.ofAuto().allocate(4L * 4 * QUADS * cols, 64);
                this.cols = cols;
            }
        }

        /** Room for {@code n} block scales (only types with block scales ask: FP8). */
        float[] scales(int n) {
            if (scales.length < n) {
                scales = new float[n];
            }
            return scales;
        }
    }

    /**
     * {@code y[t][yOff + r - from] = W[r] . x[t][xOff ..]} for the rows of whole groups of four in [from, to);
     * returns the first row not done. {@code product} identifies the input of the product this is part of, as for
     * {@link InterleavedBatch#of}, or is {@link InterleavedBatch#ALONE}.
     */
    static int rows(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n, long product) {
        Buffers b = BUFFERS.get();
        b.ensure(w.cols);
        int last = from + (to - from) / 4 * 4;
        for (int g = 0; g < n; g += GROUP) {
            int m = Math.min(GROUP, n - g);
            // a thread takes several parts of each product: the copy of a batch of up to 64 vectors serves them all
            // (Qwen-shape pp64: the copies took 7% of the time, made once per part)
            MemorySegment fours = InterleavedBatch.forThread().of(x, xOff, w.cols, w.panelOrder(), g, m, product);
            group(w, from, last, b, fours, x, xOff, y, yOff, g, m);
        }
        return last;
    }

    /** Rows [from, to) (whole groups of four) times the group's {@code m} vectors, outputs to y[g ..]. */
    private static void group(Weight w, int from, int to, Buffers b, MemorySegment fours, float[][] x, int xOff, float[][] y, int yOff, int g, int m) {
        MemorySegment panel = b.panel;
        float[] acc = b.acc;
        int cols = w.cols, whole = cols - cols % VectorMath.LANES, tail = cols - whole, quadsOfVectors = Math.ceilDiv(m, 4);
        boolean onePass = cols <= WHOLE_ROW;
        int block = w.panelScaleBlock(); // parts hold whole blocks: PART is a multiple of it (Weight.hasPanel)
        int part = onePass ? whole : PART;
        for (int r = from; r < to; ) {
            int quads = onePass ? 1 : Math.min(QUADS, (to - r) / 4);
            for (int q = 0; q < quads; q++) {
                w.decodePanel(r + 4 * q, panel, 4 * q * cols);
            }
            // tile's first part starts the sums at zero; scaledTile adds each block's to the accumulators, and rows
            // shorter than a vector have no part at all
            if (block != 0 || whole == 0) {
                java.util.Arrays.fill(acc, 0, quads * quadsOfVectors * TILE, 0f);
            }
            for (int c0 = 0; c0 < whole; c0 += part) {
                int c1 = Math.min(whole, c0 + part);
                int blocks = block == 0 ? 0 : (c1 - c0) / block;
                float[] scales = b.scales(4 * quads * blocks);
                for (int q = 0; q < quads; q++) { // the four rows' scales of the part's blocks: scales[4 (q blocks + k) + i]
                    for (int k = 0; k < blocks; k++) {
                        for (int i = 0; i < 4; i++) {
                            scales[4 * (q * blocks + k) + i] = w.panelScale(r + 4 * q + i, c0 / block + k);
                        }
                    }
                }
                for (int f = 0; f < quadsOfVectors; f++) {
                    for (int q = 0; q < quads; q++) {
                        if (block == 0) {
                            PanelDot.tile(panel, 4 * q * cols, fours, 4L * cols * f, c0, c1, acc, (q * quadsOfVectors + f) * TILE, c0 == 0);
                        } else {
                            PanelDot.scaledTile(panel, 4 * q * cols, fours, 4L * cols * f, c0, c1, block, scales, 4 * q * blocks,
                                    acc, (q * quadsOfVectors + f) * TILE);
                        }
                    }
                }
            }
            for (int q = 0; q < quads; q++) {
                int p = 4 * q * cols;
                for (int f = 0; f < quadsOfVectors; f++) {
                    int t = (q * quadsOfVectors + f) * TILE;
                    VectorMath.sumLanesInPlace(acc, t, 16); // the tile's sixteen sums to acc[t .. t + 16)
                    for (int i = 0; i < 4; i++) {
                        for (int k = 0; k < 4 && 4 * f + k < m; k++) {
                            float sum = acc[t + 4 * i + k];
                            float[] xt = x[g + 4 * f + k];
                            for (int c = 0; c < tail; c++) { // columns past the last whole vector (F32, F16), in order
                                sum += panel.getAtIndex(Le.F32, p + 4 * whole + i * tail + c) * xt[xOff + whole + c];
                            }
                            y[g + 4 * f + k][yOff + r + 4 * q + i - from] = w.panelResult(r + 4 * q + i, sum);
                        }
                    }
                }
            }
            r += 4 * quads;
        }
    }
}
