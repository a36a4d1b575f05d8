package baleine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The parallel batched matmul against a scalar triple loop, for a quantized and a float weight. */
class MatMulTest {
    @Test
    void batchedProductMatchesScalarReferenceForEveryType() {
        Random rnd = new Random(7);
        int rows = 77, cols = 256, n = 5;
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            Weight w = randomWeight(rnd, type, rows, cols);
            float[][] x = new float[n][cols];
            for (float[] r : x) {
                for (int i = 0; i < cols; i++) {
                    r[i] = (float) rnd.nextGaussian();
                }
            }
            float[][] y = new float[n][rows];
            MatMul.apply(w, x, y, n);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                w.decodeRow(r, row);
                for (int t = 0; t < n; t++) {
                    double ref = 0;
                    for (int c = 0; c < cols; c++) {
                        ref += row[c] * x[t][c];
                    }
                    assertThat((double) y[t][r]).as(type + " row " + r).isCloseTo(ref, within(1e-3));
                }
            }
            float[][] yt = new float[n][cols];
            MatMul.rowsTransposed(w, 10, 20, y, 10, yt, 0, n);
            for (int t = 0; t < n; t++) {
                for (int c = 0; c < cols; c += 17) {
                    double ref = 0;
                    for (int r = 10; r < 20; r++) {
                        w.decodeRow(r, row);
                        ref += row[c] * y[t][r];
                    }
                    assertThat((double) yt[t][c]).isCloseTo(ref, within(1e-2));
                }
            }
        }
    }

    @Test
    void oneVectorProductEqualsRowByRowDotsBitForBit() {
        Random rnd = new Random(11);
        int rows = 4 * 19 + 3; // groups of four or eight rows (Q8_0, Q4_0) plus a remainder
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            int cols = colsWithTails(type);
            Weight w = randomWeight(rnd, type, rows, cols);
            float[] x = new float[cols + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[][] y = new float[1][rows + 2];
            MatMul.rows(w, 0, rows, new float[][]{x}, 3, y, 2, 1);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                assertThat(y[0][r + 2]).as(type + " row " + r).isEqualTo(w.dot(r, x, 3));
                w.decodeRow(r, row);
                double ref = 0;
                for (int c = 0; c < cols; c++) {
                    ref += (double) row[c] * x[3 + c];
                }
                assertThat((double) y[0][r + 2]).as(type + " row " + r).isCloseTo(ref, within(1e-3));
            }
        }
    }

    @Test
    void everyBatchSizeGivesEveryTokenTheSameBitsAsAloneForEveryType() {
        Random rnd = new Random(5);
        int rows = 4 * 9 + 2; // tiles of four rows plus a remainder
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            int cols = colsWithTails(type);
            Weight w = randomWeight(rnd, type, rows, cols);
            float[][] x = gaussianVectors(rnd, 66, cols + 1); // up to 64 + 2 vectors: the float panels work 64 at a time
            for (int n : new int[]{2, 3, 4, 5, 7, 8, 9, 11, 12, 17, 66}) { // tiles, and panels from 5 or 12, with 0..3 vectors left
                float[][] y = new float[n][rows + 1];
                MatMul.rows(w, 0, rows, x, 1, y, 1, n);
                for (int t = 0; t < n; t++) {
                    float[][] alone = new float[1][rows + 1];
                    MatMul.rows(w, 0, rows, new float[][]{x[t]}, 1, alone, 1, 1);
                    assertThat(y[t]).as(type + " batch " + n + " token " + t).isEqualTo(alone[0]);
                }
            }
        }
    }

    /**
     * Rows longer than {@code PanelProduct}'s one pass go by column parts (the sums of the first part start from
     * zero in registers, later parts add to them), and rows shorter than a vector have no part at all: both give
     * each token the bits it gets alone.
     */
    @Test
    void panelProductsOfLongAndShortRowsGiveEveryTokenTheSameBitsAsAlone() {
        Random rnd = new Random(8);
        int rows = 4 * 3 + 1, n = 17;
        Object[][] cases = {{GgmlType.Q8_0, 4096 + 2 * PanelProduct.PART}, {GgmlType.F32, 4096 + PanelProduct.PART + 3}, {GgmlType.F32, 5}};
        for (Object[] c : cases) {
            GgmlType type = (GgmlType) c[0];
            int cols = (Integer) c[1];
            Weight w = randomWeight(rnd, type, rows, cols);
            float[][] x = gaussianVectors(rnd, n, cols);
            float[][] y = new float[n][rows];
            MatMul.rows(w, 0, rows, x, 0, y, 0, n);
            for (int t = 0; t < n; t++) {
                float[][] alone = new float[1][rows];
                MatMul.rows(w, 0, rows, new float[][]{x[t]}, 0, alone, 0, 1);
                assertThat(y[t]).as(type + " x " + cols + " token " + t).isEqualTo(alone[0]);
            }
        }
    }

    @Test
    void panelsHoldTheDecodedRowsInterleavedInKernelOrder() {
        Random rnd = new Random(4);
        int lanes = VectorMath.LANES;
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            int cols = colsWithTails(type), whole = cols - cols % lanes, tail = cols - whole;
            Weight w = randomWeight(rnd, type, 5, cols);
            assertThat(w.hasPanel()).as(type.name()).isTrue();
            float[] panel = new float[1 + 4 * cols];
            MemorySegment segment = Arena.ofAuto().allocate(4L * panel.length);
            w.decodePanel(1, segment, 1);
            MemorySegment.copy(segment, Le.F32, 0, panel, 0, panel.length);
            int[] order = w.panelOrder();
            float[] row = new float[cols];
            for (int i = 0; i < 4; i++) {
                w.decodeRow(1 + i, row);
                for (int m = 0; m < whole / lanes; m++) {
                    int first = order == null ? m * lanes : order[m];
                    for (int l = 0; l < lanes; l++) {
                        assertThat(panel[1 + (4 * m + i) * lanes + l]).as(type + " row " + i + " column " + (first + l)).isEqualTo(row[first + l]);
                    }
                }
                for (int c = 0; c < tail; c++) {
                    assertThat(panel[1 + 4 * whole + i * tail + c]).as(type + " tail").isEqualTo(row[whole + c]);
                }
            }
        }
    }

    @Test
    void longRowsTakenByPartsGiveTheSameBitsAsAlone() {
        Random rnd = new Random(6);
        int rows = 4 * 5 + 2; // a block of sixteen rows, one of four, and a remainder
        for (GgmlType type : new GgmlType[]{GgmlType.F16, GgmlType.Q5_0, GgmlType.Q4_K}) {
            int cols = type == GgmlType.F16 ? 4104 : 4352; // past the one-pass length; F16 with a tail
            Weight w = randomWeight(rnd, type, rows, cols);
            float[][] x = gaussianVectors(rnd, 17, cols);
            float[][] y = new float[17][rows];
            MatMul.rows(w, 0, rows, x, 0, y, 0, 17);
            for (int t = 0; t < 17; t++) {
                float[][] alone = new float[1][rows];
                MatMul.rows(w, 0, rows, new float[][]{x[t]}, 0, alone, 0, 1);
                assertThat(y[t]).as(type + " token " + t).isEqualTo(alone[0]);
            }
        }
    }

    @Test
    void rowSliceSeesTheRightRows() {
        float[] values = new float[64 * 32];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 97;
        }
        Weight w = Quantizer.weight("w", GgmlType.F32, values, 64, 32, Arena.ofAuto());
        Weight slice = w.rowSlice(16, 8);
        float[] row = new float[32];
        slice.decodeRow(3, row);
        assertThat(row[5]).isEqualTo(values[19 * 32 + 5]);
    }

    /**
     * Blocks of random bytes: every scale bit pattern (zero, subnormal, negative, infinite, NaN) and every
     * nibble. The decoding kernels (eight or four rows), the tiles, the four-vector and panel paths and the
     * one-row kernel agree bit for bit on each of them: e.g. the 4-bit values that some kernels look up and
     * others convert.
     */
    @Test
    void randomBytesGetTheSameBitsFromEveryKernel() {
        Random rnd = new Random(13);
        int rows = 8 * 4 + 5;
        for (GgmlType type : new GgmlType[]{GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            int cols = type.blockSize == 256 ? 512 : 128;
            Weight w = randomBytesWeight(rnd, type, rows, cols);
            float[][] x = gaussianVectors(rnd, 13, cols);
            for (int n : new int[]{1, 2, 4, 5, 13}) {
                float[][] y = new float[n][rows];
                MatMul.rows(w, 0, rows, x, 0, y, 0, n);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        float alone = w.dot(r, x[t], 0); // NaN equals NaN here, +0 differs from -0
                        assertThat(Float.floatToIntBits(y[t][r])).as("%s batch %d token %d row %d: %s vs %s", type, n, t, r, y[t][r], alone)
                                .isEqualTo(Float.floatToIntBits(alone));
                    }
                }
            }
        }
    }

    /**
     * A batch of two (sequences decoding together, or a token and one drafted after it) reads each row once for
     * both vectors, in decoding's chunks on two threads, and a batch of three goes through the tiles: every row gets
     * the bits of its one-row dot.
     */
    @Test
    void twoOrThreeVectorsGetTheBitsOfOneAtATime() {
        Random rnd = new Random(23);
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(2);
            for (GgmlType type : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.BF16, GgmlType.F16}) {
                int rows = 8 * 301 + 5, cols = type.blockSize == 1 ? 1000 : 1024; // BF16, F16: columns past the last whole vector
                Weight w = randomWeight(rnd, type, rows, cols);
                assertThat(w.hasPairStreams()).isEqualTo(Species.FUSED);
                for (int n = 2; n <= 3; n++) { // three go through the tiles
                    float[][] x = gaussianVectors(rnd, n, cols);
                    float[][] y = new float[n][rows];
                    MatMul.apply(w, x, y, n);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < rows; r++) {
                            assertThat(y[t][r]).as("%s batch %d vector %d row %d", type, n, t, r).isEqualTo(w.dot(r, x[t], 0));
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    /**
     * Decoding cuts a large product (here 39 MB of Q8_0) into chunks of about 2 MiB for the cores to claim, fewer
     * rows than the eighth of the product a core would take otherwise, and the last of them into pieces: on two threads,
     * a product alone and one beside a second matrix give every row the bits of its one-row dot, whichever core took it.
     */
    @Test
    void decodingLargeProductsInManyChunksKeepEveryRowsBits() {
        Random rnd = new Random(19);
        int rows = 9000, cols = 4096, threads = Parallel.threads();
        Weight big = randomBytesWeight(rnd, GgmlType.Q8_0, rows, cols), small = randomWeight(rnd, GgmlType.Q4_0, 300, cols);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try {
            Parallel.setThreads(2);
            float[][] alone = {new float[rows]}, beside = {new float[rows]}, other = {new float[small.rows]};
            MatMul.apply(big, new float[][]{x}, alone, 1);
            MatMul.apply(List.of(new MatMul.Product(small, new float[][]{x}, other, 1), new MatMul.Product(big, new float[][]{x}, beside, 1)));
            for (int r = 0; r < rows; r++) {
                int bits = Float.floatToIntBits(big.dot(r, x, 0));
                assertThat(Float.floatToIntBits(alone[0][r])).as("row %d alone", r).isEqualTo(bits);
                assertThat(Float.floatToIntBits(beside[0][r])).as("row %d beside another matrix", r).isEqualTo(bits);
            }
            for (int r = 0; r < small.rows; r++) {
                assertThat(other[0][r]).as("small row %d", r).isEqualTo(small.dot(r, x, 0));
            }
            MatMul.apply(List.of()); // no products (e.g. no expert selected): nothing to do, nothing to divide by
        } finally {
            Parallel.setThreads(threads);
        }
    }

    /**
     * One loop over several products, the last one's last chunks cut into pieces: on one, two and three threads, and
     * for one vector and a few, every row of every product gets the bits the product alone on one thread gives (none
     * left unwritten: the outputs start as NaN) — grouped rows (64 at a time, 40 left over past the last group), plain
     * rows, and a last product of five rows.
     */
    @Test
    void productsInOneLoopGiveEveryRowItsBitsWhateverTheThreadsAndCuts() {
        Random rnd = new Random(29);
        int cols = 512;
        Weight grouped = grouped(rnd, GgmlType.Q4_K, 1000, cols);
        assertThat(grouped).isInstanceOf(GroupedWeight.class);
        Weight plain = randomWeight(rnd, GgmlType.Q8_0, 700, cols), few = randomWeight(rnd, GgmlType.Q8_0, 5, cols);
        List<List<Weight>> loops = List.of(List.of(plain, grouped), List.of(grouped, few), List.of(few, plain, grouped));
        for (int n : new int[]{1, 3}) {
            float[][] x = gaussianVectors(rnd, n, cols);
            for (List<Weight> loop : loops) {
                assertOneLoopGivesTheBitsAlone(loop, java.util.Collections.nCopies(loop.size(), x), n, 1, 2, 3);
            }
        }
    }

    /**
     * Products of one input in one loop share each thread's rounding or interleaved copy of it: k-quant rows in
     * integers (Q4_K, Q6_K), float panels of two orders (Q4_0, Q8_0), a narrower matrix reading the same vectors'
     * first columns, and another input of the same shape between them each get the bits the product alone gives,
     * for a prompt's batch and a few vectors, on one thread and two.
     */
    @Test
    void productsOfOneInputShareItsCopiesWithoutChangingABit() {
        Random rnd = new Random(41);
        int cols = 512;
        List<Weight> weights = List.of(grouped(rnd, GgmlType.Q4_K, 128, cols), randomWeight(rnd, GgmlType.Q4_0, 96, cols),
                grouped(rnd, GgmlType.Q6_K, 64, cols), randomWeight(rnd, GgmlType.Q8_0, 96, cols),
                randomWeight(rnd, GgmlType.Q8_0, 64, cols / 2), grouped(rnd, GgmlType.Q4_K, 64, cols / 2));
        for (int n : new int[]{3, 16, 64}) {
            float[][] x = gaussianVectors(rnd, n, cols), other = gaussianVectors(rnd, n, cols);
            List<float[][]> inputs = java.util.stream.IntStream.range(0, weights.size()).mapToObj(i -> i == 2 ? other : x).toList();
            assertOneLoopGivesTheBitsAlone(weights, inputs, n, 1, 2);
        }
    }

    /**
     * Each weight's product with its input, all in one {@link MatMul#apply(List)} loop on each of {@code threadCounts}
     * threads, gives every row the bits of the product alone on this thread; the pool's size is restored after.
     */
    private static void assertOneLoopGivesTheBitsAlone(List<Weight> weights, List<float[][]> inputs, int n, int... threadCounts) {
        List<float[][]> alone = alone(weights, inputs, n);
        int threads = Parallel.threads();
        try {
            for (int t : threadCounts) {
                Parallel.setThreads(t);
                assertSameBits(inOneLoop(weights, inputs, n), alone, weights, t);
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    /** Each weight's product with its input, alone and on this thread ({@link MatMul#rows}). */
    private static List<float[][]> alone(List<Weight> weights, List<float[][]> inputs, int n) {
        return java.util.stream.IntStream.range(0, weights.size()).mapToObj(i -> {
            float[][] y = new float[n][weights.get(i).rows];
            MatMul.rows(weights.get(i), 0, weights.get(i).rows, inputs.get(i), 0, y, 0, n);
            return y;
        }).toList();
    }

    /** Each weight's product with its input, all in one {@link MatMul#apply(List)} loop; the outputs start as NaN, so a row left unwritten fails. */
    private static List<float[][]> inOneLoop(List<Weight> weights, List<float[][]> inputs, int n) {
        List<float[][]> together = weights.stream().map(w -> {
            float[][] y = new float[n][w.rows];
            for (float[] row : y) {
                java.util.Arrays.fill(row, Float.NaN);
            }
            return y;
        }).toList();
        MatMul.apply(java.util.stream.IntStream.range(0, weights.size())
                .mapToObj(i -> new MatMul.Product(weights.get(i), inputs.get(i), together.get(i), n)).toList());
        return together;
    }

    private static void assertSameBits(List<float[][]> together, List<float[][]> alone, List<Weight> weights, int threads) {
        for (int i = 0; i < weights.size(); i++) {
            for (int k = 0; k < alone.get(i).length; k++) {
                assertThat(together.get(i)[k]).as("product %d of %s, vector %d of %d, %d threads", i, weights, k, alone.get(i).length, threads)
                        .isEqualTo(alone.get(i)[k]);
            }
        }
    }

    private static Weight grouped(Random rnd, GgmlType type, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        return GroupedWeight.regroup("g", GroupedWeight.Layout.of(type), Quantizer.encode(type, values, Arena.ofAuto()), rows, cols, rows);
    }

    /**
     * The panel products keep each thread's copy of a batch for the rest of its product: two products of one
     * weight in one call, and the same arrays refilled for a second call, must each get their own values.
     */
    @Test
    void panelProductsNeverReuseAnotherProductsVectors() {
        Random rnd = new Random(17);
        int rows = 96, cols = 256, n = 16; // 16 vectors: the panel path
        Weight w = randomWeight(rnd, GgmlType.Q4_0, rows, cols);
        float[][] a = new float[n][cols], b = new float[n][cols];
        for (int round = 0; round < 2; round++) {
            for (float[][] x : new float[][][]{a, b}) {
                for (float[] v : x) {
                    for (int i = 0; i < cols; i++) {
                        v[i] = (float) rnd.nextGaussian();
                    }
                }
            }
            float[][] ya = new float[n][rows], yb = new float[n][rows];
            MatMul.apply(List.of(new MatMul.Product(w, a, ya, n), new MatMul.Product(w, b, yb, n)));
            float[][] ea = new float[n][rows], eb = new float[n][rows];
            MatMul.rows(w, 0, rows, a, 0, ea, 0, n);
            MatMul.rows(w, 0, rows, b, 0, eb, 0, n);
            for (int t = 0; t < n; t++) {
                assertThat(ya[t]).as("round %d, first product, token %d", round, t).containsExactly(ea[t]);
                assertThat(yb[t]).as("round %d, second product, token %d", round, t).containsExactly(eb[t]);
            }
        }
    }

    /**
     * FP8 prompts of 12+ tokens go through float panels with per-block scales, shorter ones through 4x4 tiles of
     * rows a quarter of the slice apart, and two vectors through the pair kernel: the same bits as one-row
     * products, in one pass (256 columns), by column parts (4224) and with a partial last block (200), from a slice
     * starting inside a scale block, with a row holding the NaN code, over one group of vectors and two.
     */
    @Test
    void fp8BatchesKeepTheBitsOfOneRowProducts() {
        Random rnd = new Random(19);
        int block = 128;
        for (int cols : new int[]{256, 4224, 200}) { // 200: a last block of 72 columns, a tail past the last whole vector
            int rows = 3 * block;
            MemorySegment values = Arena.ofAuto().allocate((long) rows * cols);
            for (long i = 0; i < values.byteSize(); i++) {
                int b = rnd.nextInt(256);
                values.set(Le.I8, i, (byte) ((b & 0x7F) == 0x7F ? b & 0xFE : b));
            }
            values.set(Le.I8, 200L * cols + 7, (byte) 0x7F); // row 200 holds NaN
            int blocks = Math.ceilDiv(cols, block);
            MemorySegment scales = Arena.ofAuto().allocate(4L * 3 * blocks);
            for (int i = 0; i < 3 * blocks; i++) {
                scales.set(Le.F32, 4L * i, (float) (rnd.nextDouble() * 0.01));
            }
            Weight w = new Fp8BlockWeight("w", values, scales, rows, cols, block).rowSlice(100, 140);
            assertThat(w.hasPanel()).isEqualTo(cols % block == 0);
            assertThat(w.hasPairStreams()).isEqualTo(Species.FUSED);
            for (int n : new int[]{2, 6, 13, 70}) { // 2: the pair kernel
                float[][] x = gaussianVectors(rnd, n, cols);
                float[][] y = new float[n][w.rows];
                MatMul.apply(w, x, y, n);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < w.rows; r++) {
                        float alone = w.dot(r, x[t], 0);
                        assertThat(Float.floatToIntBits(y[t][r])).as("%d columns, batch %d, token %d, row %d: %s vs %s", cols, n, t, r, y[t][r], alone)
                                .isEqualTo(Float.floatToIntBits(alone));
                    }
                }
                assertThat(y[0][100]).isNaN();
            }
        }
    }

    /**
     * Batches of three and more as pairs (and a last one alone), where a type's pairs beat its tiles (Q4_K once its
     * super-block pair kernel is compiled, which a test cannot wait for: here any type with a pair kernel, through
     * a weight that says its pairs win): every row gets the bits of its one-row dot, rows past the last whole
     * group of streams too.
     */
    @Test
    void threeOrMoreVectorsAsPairsGetTheBitsOfOneAtATime() {
        Random rnd = new Random(29);
        for (GgmlType type : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            int rows = 8 * 37 + 5, cols = 512;
            Weight w = new PairsFirst(randomWeight(rnd, type, rows, cols));
            for (int n : new int[]{3, 4, 7}) { // 7: a Q4_K expert's prompt tokens, below the panels' 12
                float[][] x = gaussianVectors(rnd, n, cols);
                float[][] y = new float[n][rows];
                MatMul.apply(w, x, y, n);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        assertThat(Float.floatToIntBits(y[t][r])).as("%s batch %d vector %d row %d", type, n, t, r)
                                .isEqualTo(Float.floatToIntBits(w.dot(r, x[t], 0)));
                    }
                }
            }
        }
    }

    /** A weight whose batches of three and more go as pairs (up to the panels); everything else is the wrapped weight's. */
    private static final class PairsFirst extends Weight {
        private final Weight w;

        PairsFirst(Weight w) {
            super(w.name, w.rows, w.cols);
            this.w = w;
        }

        @Override public boolean pairsBeatFours() { return w.hasPairStreams(); }
        @Override public boolean hasPairStreams() { return w.hasPairStreams(); }
        @Override public void dotPairStreams(int row, int rowStride, float[] x0, float[] x1, int xOff, float[] out) { w.dotPairStreams(row, rowStride, x0, x1, xOff, out); }
        @Override public int streams() { return w.streams(); }
        @Override public boolean hasTileDot() { return w.hasTileDot(); }
        @Override public void dotTile(int row, int rowStride, MemorySegment x, long xOff, float[] out) { w.dotTile(row, rowStride, x, xOff, out); }
        @Override public void dotStreams(int row, int rowStride, float[] x, int xOff, float[] out) { w.dotStreams(row, rowStride, x, xOff, out); }
        @Override public boolean hasFusedDot() { return w.hasFusedDot(); }
        @Override public float dot(int row, float[] x, int xOff) { return w.dot(row, x, xOff); }
        @Override public void decodeRow(int row, float[] dst) { w.decodeRow(row, dst); }
        @Override public Weight rowSlice(int from, int count) { throw new UnsupportedOperationException(); }
        @Override public String typeName() { return w.typeName(); }
        @Override public long bytes() { return w.bytes(); }
    }

    /** {@code n} vectors of {@code cols} standard normal values. */
    static float[][] gaussianVectors(Random rnd, int n, int cols) {
        float[][] x = new float[n][cols];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
        }
        return x;
    }

    static Weight randomWeight(Random rnd, GgmlType type, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        return Quantizer.weight("w", type, values, rows, cols, Arena.ofAuto());
    }

    /** A weight of random bytes (any scale, quant or NaN code the type can hold). */
    static Weight randomBytesWeight(Random rnd, GgmlType type, int rows, int cols) {
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor((long) rows * cols))];
        rnd.nextBytes(bytes);
        MemorySegment data = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
        return new BlockWeight("w", type, data, rows, cols);
    }

    /** Whole blocks for block types; 264 for the float types: a tail after the last vector. */
    static int colsWithTails(GgmlType type) {
        return type.blockSize == 256 ? 512 : type.blockSize == 32 ? 288 : 264;
    }
}
