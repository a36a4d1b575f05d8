package baleine.tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Products of a weight matrix with a batch of activation vectors. Each row is decoded once and reused
 * for every vector of the batch; rows are spread over all cores.
 */
public final class MatMul {
    /** Ids of the products {@link #apply(List)} has run, one each. */
    private static final AtomicLong PRODUCTS = new AtomicLong();
    /** Decoding's chunks hold at most about this many bytes of weights (see {@link #apply(List)}). */
    private static final long DECODE_CHUNK_BYTES = 2L << 20;
    /** A loop's last chunks are cut into at most this many pieces of at least this many rows (see {@link #apply(List)}). */
    private static final int TAIL_SPLIT = 4, TAIL_ROWS = 16;
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
    /** The kernels' accumulator sums (room for a 4x4 tile), per thread: no allocation per call. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> VectorMath.outBuffer(16));

    private MatMul() {
    }

    static float[] rowBuffer(int n) {
        float[] b = ROW.get();
        if (b.length < n) {
            b = new float[n];
            ROW.set(b);
        }
        return b;
    }

    /** {@code y[t] = W x[t]} for t in [0, n). */
    public static void apply(Weight w, float[][] x, float[][] y, int n) {
        apply(List.of(new Product(w, x, y, n)));
    }

    /** One product {@code y[t] = W x[t]} for t in [0, n), to run alongside others. */
    public record Product(Weight w, float[][] x, float[][] y, int n) {
    }

    /**
     * Several independent products in one parallel loop (e.g. the gate and up projections of every selected
     * expert): the rows of all of them are cut into chunks that the workers claim, so small matrices cost
     * one synchronisation together instead of one each and the cores stay busy to the end.
     */
    public static void apply(List<Product> products) {
        if (products.isEmpty()) {
            return;
        }
        long firstId = PRODUCTS.getAndAdd(products.size());
        int totalRows = 0;
        long totalBytes = 0;
        boolean decoding = true;
        for (Product p : products) {
            totalRows += p.w().rows;
            totalBytes += p.w().bytes();
            decoding &= p.n() == 1 || streamed(p.w(), p.n()); // one vector, or row streams as decoding reads them
        }
        // about eight chunks per worker, of at least 16 rows (four streams of four rows, or whole tiles); sixteen when
        // decoding through many matrices (a MoE layer's experts), whose uneven ends left a core waiting: V2-Lite
        // shape tg32 +1% to +9% in six side-by-side runs (this VM is noisy); for one or two matrices finer chunks
        // cut the rows' memory streams short (Qwen shape -4%), and prompts lost 8% to them (V2-Lite pp64)
        int perWorker = decoding && products.size() > 2 ? 16 : 8;
        int chunkRows = Math.max(16, totalRows / (perWorker * Parallel.threads()) / 4 * 4);
        // decoding: chunks of at most ~2 MiB of weights (~0.1 ms), so that a core the VM runs late, or that started late,
        // leaves its partner one short chunk to wait for at the end rather than an eighth of an output head (14 MB of
        // V2-Lite-shape Q8_0). tg32 at two threads, old and new alternating, median of the pairs: V2-Lite Q8_0 +18% (ten
        // pairs, -2% to +53%: slow phases of the VM gain most), Q4_0 +5.5% (ten); Qwen Q8_0 +6% (seventeen), Q4_0 +2.5%
        // (ten); V3-shape FP8 +23% (three); V2-Lite BF16 -3.5%, Qwen Q4_K 0% (twelve each, -18% to +41%: no gain there,
        // the loss within this VM's noise). At least 256 rows: shorter memory streams read slower (eight-row Q8_0
        // kernel: 64-row chunks -10%, 256 -3%)
        if (decoding && totalBytes > 0) { // (no rows at all: nothing to cut)
            chunkRows = Math.min(chunkRows, Math.max(256, (int) (DECODE_CHUNK_BYTES * totalRows / totalBytes) / 4 * 4));
        }
        int last = products.size() - 1;
        int[] firstChunk = new int[products.size() + 1];
        for (int i = 0; i <= last; i++) {
            firstChunk[i + 1] = firstChunk[i] + Math.ceilDiv(products.get(i).w().rows, chunkRows(products.get(i).w(), chunkRows));
        }
        // the last product's last chunk per thread is cut into pieces, so that the loop ends on short chunks and a core
        // that runs out of chunks waits for less of another's last one
        Weight tail = products.get(last).w();
        int lastChunks = firstChunk[last + 1] - firstChunk[last], body = Math.max(0, lastChunks - Parallel.threads());
        int split = Math.clamp(chunkRows(tail, chunkRows) / Math.max(TAIL_ROWS, tail.rowAlignment()), 1, TAIL_SPLIT);
        Parallel.forEach(firstChunk[last] + body + (lastChunks - body) * split, c -> {
            int i = 0;
            while (i < last && firstChunk[i + 1] <= c) {
                i++;
            }
            Product p = products.get(i);
            int k = c - firstChunk[i], uniform = i < last ? firstChunk[i + 1] - firstChunk[i] : lastChunks;
            int cut = i < last ? uniform : body, pieces = i < last ? 1 : split; // only the last product's are cut
            int from = chunkStart(p.w(), k, uniform, cut, pieces), to = chunkStart(p.w(), k + 1, uniform, cut, pieces);
            rows(p.w(), from, to, p.x(), 0, p.y(), from, p.n(), firstId + firstOfInput(products, i));
        });
    }

    /**
     * The first product with product i's input: its id is the batch copies' ({@link Int8Batch}, {@link
     * InterleavedBatch}) for them all, so that products of one input (q, k and v; gate and up) round or copy it once
     * per thread (the copies also check the width and order they were made for). The 28-layer Qwen-shape Q4_K_M
     * pp64 +1.1% (scripts/flag-ab, 30 pairs, quartiles 1.007-1.015).
     */
    private static int firstOfInput(List<Product> products, int i) {
        Product p = products.get(i);
        int first = 0;
        while (first < i && !(products.get(first).x() == p.x() && products.get(first).n() == p.n())) {
            first++;
        }
        return first;
    }

    /** Rows per chunk for {@code w}: {@code rows} rounded up to a multiple of its {@link Weight#rowAlignment}. */
    private static int chunkRows(Weight w, int rows) {
        return Math.ceilDiv(rows, w.rowAlignment()) * w.rowAlignment();
    }

    /**
     * Where chunk k starts when w's rows are cut into {@code uniform} equal chunks, those from {@code body} on cut again
     * into {@code split} pieces each: at a multiple of w's {@link Weight#rowAlignment}.
     */
    private static int chunkStart(Weight w, int k, int uniform, int body, int split) {
        long piece = k <= body ? (long) k * split : (long) body * split + k - body, pieces = (long) uniform * split;
        int start = (int) (w.rows * piece / pieces);
        return piece < pieces ? start - start % w.rowAlignment() : start;
    }

    /** {@code y = W x} for a single vector. */
    public static void apply(Weight w, float[] x, float[] y) {
        apply(w, new float[][]{x}, new float[][]{y}, 1);
    }

    /**
     * Rows [from, to) of the product, single-threaded: {@code y[t][yOff + r - from] = W[r] . x[t][xOff ..]}.
     * Each value is computed the same way whatever the batch size, so batching never changes results.
     */
    public static void rows(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n) {
        rows(w, from, to, x, xOff, y, yOff, n, InterleavedBatch.ALONE);
    }

    /**
     * {@link #rows} as part of product {@code product} (an id from {@link #PRODUCTS}, one per input: {@link
     * #firstOfInput}): the parts of one product, or of products of one input, that a thread computes share the batch's
     * rounding or copy.
     */
    private static void rows(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n, long product) {
        if (w instanceof GroupedWeight g) {
            g.rows(from, to, x, xOff, y, yOff, n, product);
            return;
        }
        if (streamed(w, n)) {
            rowsStreamed(w, from, to, x, xOff, y, yOff, n);
            return;
        }
        int rest = n >= panelFrom(w) && w.hasPanel() ? PanelProduct.rows(w, from, to, x, xOff, y, yOff, n, product)
                : w.hasTileDot() ? tiles(w, from, to, x, xOff, y, yOff, n, product) : from;
        if (w.hasFusedDot()) { // read the row in place, converting it once per four vectors
            float[] four = SUMS.get();
            int left = n % 4;
            float[][] padded = left >= 2 && w.hasDot4() ? lastFour(x, n) : null;
            for (int r = rest; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) {
                    w.dot4(r, x, t, xOff, four);
                    for (int k = 0; k < 4; k++) {
                        y[t + k][yOff + r - from] = four[k];
                    }
                }
                if (padded != null) {
                    w.dot4(r, padded, 0, xOff, four);
                    for (int k = 0; k < left; k++) {
                        y[t + k][yOff + r - from] = four[k];
                    }
                    continue;
                }
                for (; t < n; t++) {
                    y[t][yOff + r - from] = w.dot(r, x[t], xOff);
                }
            }
            return;
        }
        float[] row = rowBuffer(w.cols); // decode once, reuse for the whole batch
        for (int r = from; r < to; r++) {
            w.decodeRow(r, row);
            for (int t = 0; t < n; t++) {
                y[t][yOff + r - from] = VectorMath.dot(row, 0, x[t], xOff, w.cols);
            }
        }
    }

    /**
     * Four rows by four vectors at a time while four rows are left; returns the first row not done (types
     * with tiles also have fused kernels for those). The four rows (17 KB of Q8_0 for 4096 columns) stay in
     * L1 while the batch passes over them, and a batch of two or three (e.g. sequences decoding together)
     * reads each row once. The four rows are a quarter of the rows apart, as in decoding: each is the next row of
     * its memory stream, where four adjacent rows started four short streams at every step (a MoE expert's ~6
     * tokens at pp64, its rows from memory: V2-Lite expert shape, one thread, Q8_0 22-31 -> 31-41 G multiply-adds/s,
     * Q4_0 25-33 -> 29-36; V2-Lite pp64 side by side: Q8_0 +8% to +19% on two threads, +9% to +20% on one). The
     * tiles read the batch from its aligned interleaved copy ({@link InterleavedBatch}: V2-Lite expert shape in
     * Q8_0, one thread, 65-69 -> 72-80 G multiply-adds/s); a last vector alone goes with {@link Weight#dotRows4}
     * instead of a tile of four copies. Five to eight vectors go through a type's tile of two rows by eight vectors
     * where it has one ({@link Weight#hasTileOfEight}: Q8_0 on 512-bit machines, whose 4x4 tile converts and scales
     * each chunk of a row once per four vectors, the 2x8 tile once per eight, and takes five to seven vectors in one
     * tile instead of a full and a padded one; JMH PrefillBenchmark, V2-Lite expert in Q8_0, 8 vectors, three rounds:
     * 599-648 -> 527-567 us; V2-Lite Q8_0 pp64 side by side, six pairs, 175.9 -> 179.8 tok/s).
     */
    private static int tiles(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n, long product) {
        float[] tile = SUMS.get();
        int quads = (to - from) / 4; // rows from + q + i quads, i in 0..3, for q in [0, quads)
        boolean eights = w.hasTileOfEight();
        for (int g = 0; g < n; g += InterleavedBatch.GROUP) {
            int m = Math.min(InterleavedBatch.GROUP, n - g);
            MemorySegment fours = InterleavedBatch.forThread().of(x, xOff, w.cols, null, g, m, product);
            for (int q = 0; q < quads; q++) {
                int r = from + q;
                for (int f = 0; 4 * f < m; f++) {
                    int t = g + 4 * f, count = Math.min(4, m - 4 * f);
                    if (eights && m - 4 * f > 4) { // five to eight vectors: two rows by eight, twice
                        int eight = Math.min(8, m - 4 * f);
                        for (int i = 0; i < 4; i += 2) {
                            w.dotTileOfEight(r + i * quads, quads, fours, 4L * w.cols * f, 4L * w.cols * (f + 1), tile);
                            for (int k = 0; k < eight; k++) {
                                y[t + k][yOff + r + i * quads - from] = tile[k];
                                y[t + k][yOff + r + (i + 1) * quads - from] = tile[8 + k];
                            }
                        }
                        f++;
                        continue;
                    }
                    if (count == 1) { // the four rows as four independent sums
                        w.dotRows4(r, quads, x[t], xOff, tile);
                        for (int i = 0; i < 4; i++) {
                            y[t][yOff + r + i * quads - from] = tile[i];
                        }
                        continue;
                    }
                    w.dotTile(r, quads, fours, 4L * w.cols * f, tile);
                    for (int i = 0; i < 4; i++) {
                        for (int k = 0; k < count; k++) {
                            y[t + k][yOff + r + i * quads - from] = tile[4 * i + k];
                        }
                    }
                }
            }
        }
        return from + 4 * quads;
    }

    /**
     * For two or three vectors left over after whole fours: those vectors, the last repeated up to four, so that
     * one more four-vector kernel call covers them (its extra outputs are dropped).
     */
    private static float[][] lastFour(float[][] x, int n) {
        int first = n - n % 4;
        return new float[][]{x[first], x[first + 1], x[Math.min(first + 2, n - 1)], x[n - 1]};
    }

    /**
     * Whether {@link #rowsStreamed} takes a batch of n vectors: one, two where the type has a pair kernel, and up to
     * where the float panels take over where its pairs beat four vectors at a time (Q4_K's pairs against its tiles,
     * V2-Lite-shape Q4_K pp64, whose experts get ~6 tokens each: 139 / 151 / 149 -> 168 / 174 / 196 tok/s as pairs
     * up to 11 vectors, side by side; since then Q4_K takes the integer kernels where vectors are 256 or 512 bits
     * wide, so these pairs serve it on narrower machines and where it is not regrouped).
     */
    private static boolean streamed(Weight w, int n) {
        return !(w instanceof GroupedWeight) && (n == 1 || n == 2 && w.hasPairStreams() || n < panelFrom(w) && w.pairsBeatFours());
    }

    /**
     * The batch from which a float panel pays: from 5 vectors against converting per four (JMH PrefillBenchmark,
     * V2-Lite expert down projection in Q5_0, 5 / 6 / 8 vectors: 0.97 / 1.40 / 1.30 -> 0.88 / 0.96 / 0.95 ms;
     * Qwen-shape Q6_K, 64 vectors: 54 -> 22 ms), from 12 against the tiles with 512-bit vectors (expert gate in
     * Q4_0 / Q4_K: 8 vectors 0.73 / 0.79 ms with tiles, 0.77 / 0.87 with the panel; 12 vectors 1.06 / 1.27 with
     * tiles, 1.02 / 1.12 with the panel). With 256-bit vectors a tile's sixteen sums and four rows' weights spill
     * AVX2's sixteen registers, and the panel pays from 5 there too (V2-Lite-shape Q8_0 pp64, whose experts see
     * about six tokens each: 1.23x in one JVM; JMH matmul8, 2048 x 2048 Q8_0: 3.6 -> 2.3 ms; performance log,
     * session 50), but not for panels with per-block scales (FP8's), which did not pay at 8 vectors (matmul8 3.2 ->
     * 3.5 ms, five runs each, in the noise).
     */
    private static int panelFrom(Weight w) {
        boolean tilesPay = w.hasTileDot() && (Species.F.length() >= 16 || w.panelScaleBlock() != 0);
        if (!tilesPay && w instanceof BlockWeight b && b.type() == GgmlType.BF16) {
            return 24; // its tile converts in two operations: Qwen-shape BF16 with panels, one JVM, pp16 0.839, pp24 1.058, pp64 1.177
        }
        return tilesPay ? 12 : 5;
    }

    /**
     * Decoding's product: rows q, q + m, q + 2m, ... together, four or eight memory streams at once, for one vector
     * or pairs of them (each row then read once per pair; a second pair finds the rows in cache), a last odd one alone.
     */
    private static void rowsStreamed(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n) {
        int streams = w.streams(), m = (to - from) / streams;
        float[] sums = SUMS.get();
        for (int q = 0; q < m; q++) {
            for (int t0 = 0; t0 < n; t0 += 2) {
                int count = Math.min(2, n - t0);
                if (count == 1) {
                    w.dotStreams(from + q, m, x[t0], xOff, sums);
                } else {
                    w.dotPairStreams(from + q, m, x[t0], x[t0 + 1], xOff, sums);
                }
                for (int t = 0; t < count; t++) {
                    for (int k = 0; k < streams; k++) {
                        y[t0 + t][yOff + q + k * m] = sums[streams * t + k];
                    }
                }
            }
        }
        for (int r = from + streams * m; r < to; r++) {
            for (int t = 0; t < n; t++) {
                y[t][yOff + r - from] = w.dot(r, x[t], xOff);
            }
        }
    }

    /**
     * Transposed product over rows [from, to), single-threaded: {@code y[t][yOff + c] = sum_r W[r][c] x[t][xOff + r - from]}.
     */
    public static void rowsTransposed(Weight w, int from, int to, float[][] x, int xOff, float[][] y, int yOff, int n) {
        float[] row = rowBuffer(w.cols);
        for (int t = 0; t < n; t++) {
            java.util.Arrays.fill(y[t], yOff, yOff + w.cols, 0f);
        }
        for (int r = from; r < to; r++) {
            w.decodeRow(r, row);
            for (int t = 0; t < n; t++) {
                VectorMath.axpy(x[t][xOff + r - from], row, 0, y[t], yOff, w.cols);
            }
        }
    }
}
