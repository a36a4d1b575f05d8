package baleine.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.ROWS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Q4_0, Q5_0, Q4_K and Q6_K regrouped for the integer kernels: the regrouped rows decode as before, the vector kernels equal
 * their scalar twin bit for bit on random bytes, every batch size gives a vector the bits it gets alone, and the
 * products stay within 8-bit activations' rounding of the float ones. The suite runs at both widths the kernels take
 * (256 and 512 bits).
 */
class GroupedWeightTest {
    private static final int COLS = 512; // two Q4_K super-blocks, sixteen Q4_0 blocks

    /** Random bytes with finite scales (regrouping takes nothing else), a copy in the plain layout and the regrouped matrix. */
    private record Pair(Weight plain, Weight grouped) {
    }

    private static Pair randomPair(GroupedWeight.Layout layout, Random rnd, int rows, int unitRows) {
        MemorySegment data = randomRows(layout, rnd, rows);
        MemorySegment copy = Arena.ofAuto().allocate(data.byteSize(), 64);
        copy.copyFrom(data);
        return new Pair(new BlockWeight("w", layout.type, copy, rows, COLS), GroupedWeight.regroup("w", layout, data, rows, COLS, unitRows));
    }

    /** {@code rows} rows of random bytes in the type's plain layout, with finite scales. */
    private static MemorySegment randomRows(GroupedWeight.Layout layout, Random rnd, int rows) {
        return randomRows(layout, rnd, rows, COLS);
    }

    private static MemorySegment randomRows(GroupedWeight.Layout layout, Random rnd, int rows, int cols) {
        long blockBytes = layout.type.bytesFor(layout.blockCols), bytes = blockBytes * (cols / layout.blockCols) * rows;
        MemorySegment data = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) {
            data.set(Le.I8, i, (byte) rnd.nextInt());
        }
        for (long at = 0; at < bytes; at += blockBytes) { // normal and subnormal scales of either sign
            for (int h = 0; h < layout.scales; h++) { // d, and Q4_K's dmin
                float d = (float) rnd.nextGaussian() * (rnd.nextInt(8) == 0 ? 1e-6f : 0.05f);
                data.set(Le.I16, at + layout.scalesAt + 2L * h, Float.floatToFloat16(d));
            }
        }
        return data;
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void regroupedRowsDecodeAsThePlainLayout(GroupedWeight.Layout layout) {
        Pair p = randomPair(layout, new Random(1), 2 * 64 + 7, 2 * 64 + 7); // two groups and seven rows left over
        assertThat(p.grouped()).isInstanceOf(GroupedWeight.class);
        float[] a = new float[COLS], b = new float[COLS];
        for (int r = 0; r < p.plain().rows; r++) {
            p.plain().decodeRow(r, a);
            p.grouped().decodeRow(r, b);
            assertThat(b).as("row " + r).isEqualTo(a);
        }
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void vectorKernelsEqualTheScalarTwinBitForBit(GroupedWeight.Layout layout) {
        Random rnd = new Random(2);
        Pair p = randomPair(layout, rnd, 64, 64);
        int most = 2 * NibbleColumns.BATCH + 3; // whole passes and every smaller one after them
        float[][] x = MatMulTest.gaussianVectors(rnd, most, COLS);
        x[1][5] = 1e-3f; // blocks of one value and of nothing
        java.util.Arrays.fill(x[2], 256, 512, 0f);
        GroupedWeight g = (GroupedWeight) p.grouped();
        for (int count = 1; count <= most; count++) {
            float[][] y = new float[count][64];
            g.rows(0, 64, x, 0, y, 0, count, InterleavedBatch.ALONE);
            for (int t = 0; t < count; t++) {
                for (int r = 0; r < 64; r++) {
                    assertThat(y[t][r]).as("batch " + count + " vector " + t + " row " + r).isEqualTo(g.dot(r, x[t], 0));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void aBatchsLastVectorPastWholeCallsTakesTheOneVectorKernelWithTheSameBits(GroupedWeight.Layout layout) {
        Random rnd = new Random(4);
        Pair p = randomPair(layout, rnd, 64, 64);
        int n = NibbleColumns.TOKENS + 1; // a call of 64 vectors, then one of the last vector alone in a batch of 65
        float[][] x = MatMulTest.gaussianVectors(rnd, n, COLS);
        GroupedWeight g = (GroupedWeight) p.grouped();
        float[][] y = new float[n][64];
        g.rows(0, 64, x, 0, y, 0, n, InterleavedBatch.ALONE);
        for (int t : new int[]{0, n - 2, n - 1}) {
            for (int r = 0; r < 64; r++) {
                assertThat(y[t][r]).as("vector " + t + " row " + r).isEqualTo(g.dot(r, x[t], 0));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void everyBatchSizeGivesEveryVectorTheBitsItGetsAlone(GroupedWeight.Layout layout) {
        Random rnd = new Random(3);
        Pair p = randomPair(layout, rnd, 3 * 64 + 5, 3 * 64 + 5);
        int rows = p.grouped().rows;
        float[][] x = MatMulTest.gaussianVectors(rnd, 13, COLS + 1);
        for (int n : new int[]{1, 2, 3, 4, 5, 7, 8, 13}) {
            float[][] y = new float[n][rows + 1];
            MatMul.apply(p.grouped(), sliced(x, n), y, n);
            for (int t = 0; t < n; t++) {
                float[][] alone = new float[1][rows + 1];
                MatMul.rows(p.grouped(), 0, rows, new float[][]{x[t]}, 1, alone, 0, 1);
                for (int r = 0; r < rows; r++) {
                    assertThat(y[t][r]).as("batch " + n + " vector " + t + " row " + r).isEqualTo(alone[0][r]);
                }
            }
        }
        // parts of the rows, cutting groups, give the same bits
        float[][] part = new float[2][40];
        MatMul.rows(p.grouped(), 50, 90, x, 1, part, 0, 2);
        float[][] whole = new float[2][rows];
        MatMul.rows(p.grouped(), 0, rows, x, 1, whole, 0, 2);
        for (int t = 0; t < 2; t++) {
            assertThat(part[t]).isEqualTo(java.util.Arrays.copyOfRange(whole[t], 50, 90));
        }
    }

    /** The vectors' first n rows, each shifted by one column (the products read from column 1). */
    private static float[][] sliced(float[][] x, int n) {
        float[][] s = new float[n][];
        for (int t = 0; t < n; t++) {
            s[t] = java.util.Arrays.copyOfRange(x[t], 1, x[t].length);
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void productsStayWithinEightBitActivationsOfTheFloatOnes(GroupedWeight.Layout layout) {
        Random rnd = new Random(4);
        Pair p = randomPair(layout, rnd, 128, 128);
        float[][] x = MatMulTest.gaussianVectors(rnd, 3, COLS);
        float[][] exact = new float[3][128], ints = new float[3][128];
        MatMul.apply(p.plain(), x, exact, 3);
        MatMul.apply(p.grouped(), x, ints, 3);
        int span = layout.rounding == Int8Batch.Rounding.Q8_K ? 256 : 32; // the values an activation's scale covers
        float[] row = new float[COLS];
        for (int r = 0; r < 128; r++) {
            p.plain().decodeRow(r, row);
            for (int t = 0; t < 3; t++) {
                // each activation moves by at most half a step of its block (max |x| / 254) and its block's scale by a
                // 16-bit float's rounding (2^-11 of max |x|, Q4_0 only)
                double bound = 1e-4;
                for (int c = 0; c < COLS; c++) {
                    bound += Math.abs(row[c]) * blockMax(x[t], c, span) * (1 / 254.0 + 1 / 2048.0);
                }
                assertThat((double) ints[t][r]).as("row " + r).isCloseTo(exact[t][r], within(bound));
            }
        }
    }

    private static float blockMax(float[] x, int c, int span) {
        float max = 0;
        for (int i = c - c % span; i < c - c % span + span; i++) {
            max = Math.max(max, Math.abs(x[i]));
        }
        return max;
    }

    @Test
    void q6_KRunsOfEightAtTheEdgeOfSixteenBitsStayExact() {
        // every value q - 32 = -32, every scale 127 or -128, activations all +1 or all -1 (rounded to -127 or 127):
        // each run of eight columns sums to -+32512, the most a 16-bit lane holds
        GroupedWeight.Layout layout = GroupedWeight.Layout.Q6_K;
        long blockBytes = layout.type.bytesFor(layout.blockCols), bytes = blockBytes * (COLS / layout.blockCols) * 64;
        MemorySegment data = Arena.ofAuto().allocate(bytes, 64);
        for (long at = 0; at < bytes; at += blockBytes) {
            for (int j = 0; j < 16; j++) {
                data.set(Le.I8, at + 192 + j, (byte) (j % 2 == 0 ? 127 : -128));
            }
            data.set(Le.I16, at + 208, Float.floatToFloat16(0.5f));
        }
        MemorySegment copy = Arena.ofAuto().allocate(bytes, 64);
        copy.copyFrom(data);
        Weight plain = new BlockWeight("w", layout.type, copy, 64, COLS);
        GroupedWeight g = (GroupedWeight) GroupedWeight.regroup("w", layout, data, 64, COLS, 64);
        for (float v : new float[]{1f, -1f}) {
            float[][] x = new float[2][COLS];
            java.util.Arrays.fill(x[0], v);
            java.util.Arrays.fill(x[1], v);
            float[][] exact = new float[2][64], ints = new float[2][64];
            MatMul.apply(plain, x, exact, 1);
            g.rows(0, 64, x, 0, ints, 0, 1, InterleavedBatch.ALONE);
            g.rows(0, 64, x, 0, ints, 0, 2, InterleavedBatch.ALONE);
            for (int r = 0; r < 64; r++) {
                assertThat(exact[0][r]).isEqualTo(4096 * v); // 0.5 * -32 * v * 16 * (127 - 128) * 16 sub-block pairs
                assertThat(ints[0][r]).as("row " + r).isEqualTo(g.dot(r, x[0], 0)).isCloseTo(exact[0][r], within(1e-3f));
                assertThat(ints[1][r]).isEqualTo(ints[0][r]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void expertsAreSlicesOfWholeUnits(GroupedWeight.Layout layout) {
        Random rnd = new Random(5);
        Pair p = randomPair(layout, rnd, 3 * 70, 70); // three experts of 70 rows: a group and six rows each
        float[] a = new float[COLS], b = new float[COLS];
        Weight second = p.grouped().rowSlice(70, 70);
        for (int r = 0; r < 70; r++) {
            p.plain().decodeRow(70 + r, a);
            second.decodeRow(r, b);
            assertThat(b).isEqualTo(a);
        }
        float[][] x = MatMulTest.gaussianVectors(rnd, 1, COLS), y = new float[1][70];
        MatMul.apply(second, x, y, 1);
        for (int r = 0; r < 70; r++) {
            assertThat(y[0][r]).isEqualTo(second.dot(r, x[0], 0));
        }
        assertThatThrownBy(() -> p.grouped().rowSlice(64, 70)).hasMessageContaining("cut its units of 70 rows");
    }

    /** The kernels' warm-up sample reads the first group's first columns in place: it computes what they compute alone. */
    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void aKernelSampleComputesWhatItsColumnsComputeAlone(GroupedWeight.Layout layout) {
        Random rnd = new Random(6);
        int wide = 3 * COLS, rows = 2 * 64 + 7; // two groups and seven rows left over
        MemorySegment data = randomRows(layout, rnd, rows, wide);
        long wideBytes = layout.type.bytesFor(wide), narrowBytes = layout.type.bytesFor(COLS);
        MemorySegment narrow = Arena.ofAuto().allocate(narrowBytes * 64, 64);
        for (int r = 0; r < 64; r++) {
            MemorySegment.copy(data, r * wideBytes, narrow, r * narrowBytes, narrowBytes);
        }
        Weight sample = GroupedWeight.regroup("w", layout, data, rows, wide, rows).kernelSample();
        Weight alone = GroupedWeight.regroup("w", layout, narrow, 64, COLS, 64);
        assertThat(sample.rows).isEqualTo(64);
        assertThat(sample.cols).isEqualTo(COLS); // 512 columns: two Q4_K super-blocks, sixteen Q4_0 blocks
        float[] a = new float[COLS], b = new float[COLS];
        for (int r = 0; r < 64; r++) {
            alone.decodeRow(r, a);
            sample.decodeRow(r, b);
            assertThat(b).as("row " + r).isEqualTo(a);
        }
        float[][] x = MatMulTest.gaussianVectors(rnd, NibbleColumns.TOKENS, COLS);
        for (int count = 1; count <= NibbleColumns.TOKENS; count++) {
            float[][] ys = new float[count][64], ya = new float[count][64];
            MatMul.rows(sample, 0, 64, x, 0, ys, 0, count);
            MatMul.rows(alone, 0, 64, x, 0, ya, 0, count);
            assertThat(ys).as(count + " vectors").isEqualTo(ya);
        }
        MemorySegment tooFew = randomRows(layout, rnd, 2 * 40, COLS); // two experts of 40 rows: no whole group
        assertThat(GroupedWeight.regroup("w", layout, tooFew, 2 * 40, COLS, 40).kernelSample()).isNull();
    }

    /** A load regroups from the file's mapping into fresh memory: the same bytes as in place, the source untouched. */
    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void regroupingIntoAnotherSegmentWritesWhatInPlaceDoes(GroupedWeight.Layout layout) {
        Random rnd = new Random(3);
        int rows = 2 * (64 + 5), unitRows = 64 + 5; // two experts of a group and five rows left over each
        MemorySegment source = randomRows(layout, rnd, rows);
        long bytes = source.byteSize();
        MemorySegment target = Arena.ofAuto().allocate(bytes, 64), inPlace = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) {
            target.set(Le.I8, i, (byte) 0x5A); // what fresh memory held must not show
        }
        inPlace.copyFrom(source);
        MemorySegment before = Arena.ofAuto().allocate(bytes, 64);
        before.copyFrom(source);
        assertThat(GroupedWeight.regroup("w", layout, source, target, rows, COLS, unitRows)).isInstanceOf(GroupedWeight.class);
        GroupedWeight.regroup("w", layout, inPlace, rows, COLS, unitRows);
        assertThat(target.mismatch(inPlace)).isEqualTo(-1);
        assertThat(source.mismatch(before)).as("the source is only read").isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(GroupedWeight.Layout.class)
    void aMatrixWithANonFiniteScaleStaysAsItIs(GroupedWeight.Layout layout) {
        long blockBytes = layout.type.bytesFor(layout.blockCols), blocks = COLS / layout.blockCols * 64L;
        MemorySegment data = Arena.ofAuto().allocate(blockBytes * blocks, 64);
        for (long at = 0; at < data.byteSize(); at += blockBytes) {
            data.set(Le.I16, at + layout.scalesAt, Float.floatToFloat16(0.01f));
        }
        long last = blockBytes * (blocks - 1); // +infinity: the last scale (Q4_0's d, Q4_K's dmin, Q6_K's d)
        data.set(Le.I16, last + layout.scalesAt + 2L * (layout.scales - 1), (short) 0x7c00);
        assertThat(GroupedWeight.regroup("w", layout, data, 64, COLS, 64)).isInstanceOf(BlockWeight.class);
        MemorySegment target = Arena.ofAuto().allocate(data.byteSize(), 64);
        assertThat(GroupedWeight.regroup("w", layout, data, target, 64, COLS, 64)).isInstanceOf(BlockWeight.class);
        assertThat(target.mismatch(data)).as("copied as it is").isEqualTo(-1);
    }

    @Test
    void activationsRoundPer256AsLlamaCppRoundsThemForQ4_K() {
        float[] x = new float[512];
        for (int i = 0; i < 256; i++) {
            x[i] = (i % 37 - 11) * 0.21f;
        }
        x[100] = -9.5f; // the value of largest magnitude: negative, so the values keep their signs
        short[] q = new short[512];
        float[] d = new float[16];
        int[] sums = new int[16], eighths = new int[64], halves = new int[16];
        Int8Batch.quantizePer256(x, 0, 512, 0, 1, q, d, sums, eighths, halves);
        float inverse = -127f / -9.5f;
        for (int j = 0; j < 8; j++) {
            assertThat(d[j]).isEqualTo(1 / inverse);
            int sum = 0;
            for (int i = 32 * j; i < 32 * j + 32; i++) {
                assertThat(q[i]).isEqualTo((short) Math.min(127, Math.rint(x[i] * inverse)));
                sum += q[i];
            }
            assertThat(sums[j]).isEqualTo(sum);
            assertThat(halves[j]).isEqualTo(sumOf(q, 32 * j, 16));
            for (int run = 0; run < 4; run++) {
                assertThat(eighths[4 * j + run]).as("block %d, run %d", j, run).isEqualTo(sumOf(q, 32 * j + 8 * run, 8));
            }
        }
        assertThat(q[100]).isEqualTo((short) -127);
        assertThat(d[8]).isZero(); // a super-block of zeros
        assertThat(sums[15]).isZero();
    }

    private static int sumOf(short[] q, int from, int count) {
        int sum = 0;
        for (int i = from; i < from + count; i++) {
            sum += q[i];
        }
        return sum;
    }

    @Test
    void activationsQuantizeAsLlamaCppQuantizesThem() {
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) {
            x[i] = (i - 10) * 0.37f;
        }
        short[] q = new short[64];
        float[] d = new float[2];
        int[] sums = new int[2];
        Int8Batch.quantize(x, 0, 64, 0, 1, q, d, sums, new int[2]);
        float max = 21 * 0.37f;
        assertThat(d[0]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(max / 127)));
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            assertThat(q[i]).isEqualTo((short) Math.rint(x[i] * (127 / max)));
            sum += q[i];
        }
        assertThat(q[31]).isEqualTo((short) 127);
        assertThat(sums[0]).isEqualTo(sum);
        assertThat(d[1]).isZero(); // a block of zeros
        assertThat(sums[1]).isZero();
    }

    @Test
    void vectorQuantizationEqualsTheScalarTwin() {
        Random rnd = new Random(7);
        float[] x = new float[5 + 32 * 40];
        for (int i = 0; i < x.length; i++) { // Gaussian, ties (.5 steps of a power-of-two block maximum), zeros
            x[i] = switch (i % 3) {
                case 0 -> (float) rnd.nextGaussian() * (rnd.nextInt(6) == 0 ? 1e-30f : 3f);
                case 1 -> (rnd.nextInt(254) - 127) / 2f;
                default -> rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextGaussian();
            };
        }
        java.util.Arrays.fill(x, 5 + 32 * 7, 5 + 32 * 8, 0f);
        int cols = 32 * 40;
        short[] q1 = new short[cols], q2 = new short[cols];
        float[] d1 = new float[40], d2 = new float[40];
        int[] s1 = new int[40], s2 = new int[40], h1 = new int[40], h2 = new int[40];
        Int8Batch.quantize(x, 5, cols, 0, 1, q1, d1, s1, h1);
        Int8Batch.quantizeScalar(x, 5, cols, 0, 1, q2, d2, s2, h2);
        assertThat(q1).isEqualTo(q2);
        assertThat(d1).isEqualTo(d2);
        assertThat(s1).isEqualTo(s2);
        assertThat(h1).isEqualTo(h2);
        int first = 0;
        for (int i = 0; i < 16; i++) {
            first += q1[32 * 3 + i];
        }
        assertThat(h1[3]).isEqualTo(first);
    }

    @Test
    void vectorQuantizationOfOneVectorAmongSeveralEqualsTheScalarTwinWhateverItsBlocksHold() {
        Random rnd = new Random(9);
        int blocks = 16 * 3 + 5, cols = 32 * blocks, n = 3, t = 1; // three blocks of sixteen (512-bit folds), five alone
        float[] x = new float[2 + cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 40f : 1f);
        }
        x[2 + 32 * 3 + 7] = Float.NaN; // blocks 3 and 20: not finite
        x[2 + 32 * 20 + 31] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < 32; i++) { // block 21: subnormal values, whose scale 127 / max overflows; block 22: zeros
            x[2 + 32 * 21 + i] = Float.MIN_VALUE * (i - 9);
            x[2 + 32 * 22 + i] = 0f;
        }
        x[2 + 32 * 23 + 4] = -0f;
        short[] q1 = new short[n * cols], q2 = new short[n * cols];
        float[] d1 = new float[n * blocks], d2 = new float[n * blocks];
        int[] s1 = new int[n * blocks], s2 = new int[n * blocks], h1 = new int[n * blocks], h2 = new int[n * blocks];
        Int8Batch.quantize(x, 2, cols, t, n, q1, d1, s1, h1);
        Int8Batch.quantizeScalar(x, 2, cols, t, n, q2, d2, s2, h2);
        assertThat(q1).isEqualTo(q2);
        assertThat(d1).isEqualTo(d2);
        assertThat(s1).isEqualTo(s2);
        assertThat(h1).isEqualTo(h2);
        assertThat(d1[3 * n + t]).isNaN();
        assertThat(q1[32 * (n + t)]).isNotZero(); // the other vectors' places untouched, this one's filled
        assertThat(q1[32 * n]).isZero();
    }

    @Test
    void vectorRoundingPer256EqualsTheScalarTwin() {
        Random rnd = new Random(8);
        float[] x = new float[3 + 256 * 6];
        for (int i = 0; i < x.length; i++) { // Gaussian, ties, zeros, a repeated magnitude of both signs
            x[i] = switch (i % 3) {
                case 0 -> (float) rnd.nextGaussian() * (rnd.nextInt(6) == 0 ? 1e-30f : 3f);
                case 1 -> (rnd.nextInt(254) - 127) / 2f;
                default -> rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextGaussian();
            };
        }
        java.util.Arrays.fill(x, 3 + 256, 3 + 512, 0f);
        x[3 + 600] = 70f;
        x[3 + 700] = -70f;
        x[3 + 1000] = Float.NaN;
        x[3 + 256 * 5 + 17] = Float.POSITIVE_INFINITY; // super-block 5: a scale of -0
        for (int i = 0; i < 256; i++) { // super-block 4: subnormal values, whose scale overflows
            x[3 + 256 * 4 + i] = Float.MIN_VALUE * (i % 23 - 9);
        }
        int cols = 256 * 6;
        short[] q1 = new short[2 * cols], q2 = new short[2 * cols];
        float[] d1 = new float[2 * cols / 32], d2 = new float[2 * cols / 32];
        int[] s1 = new int[2 * cols / 32], s2 = new int[2 * cols / 32], h1 = new int[2 * cols / 32], h2 = new int[2 * cols / 32];
        int[] e1 = new int[8 * cols / 32], e2 = new int[8 * cols / 32];
        Int8Batch.quantizePer256(x, 3, cols, 1, 2, q1, d1, s1, e1, h1); // the second of two vectors
        Int8Batch.quantizePer256Scalar(x, 3, cols, 1, 2, q2, d2, s2, e2, h2);
        assertThat(q1).isEqualTo(q2);
        assertThat(d1).isEqualTo(d2);
        assertThat(s1).isEqualTo(s2);
        assertThat(e1).isEqualTo(e2);
        assertThat(h1).isEqualTo(h2);
        assertThat(d1[2 * 16 + 1]).isEqualTo(1 / (-127f / 70f)); // super-block 2: the first of +-70 sets the signs
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void fifthBitsLandWhereTheLayoutPlacesThemAtBothWidths(boolean wide) {
        Random rnd = new Random(9);
        int[] words = new int[3 + ROWS];
        for (int i = 0; i < words.length; i++) {
            words[i] = rnd.nextInt();
        }
        byte[] group = new byte[7 + BLOCK * Q5_0Groups.COLUMN];
        rnd.nextBytes(group); // what was there before: every byte of fifth bits must be written whole
        byte[] before = group.clone();
        Q5_0Groups.placeFifthBits(group, 7, words, 3, wide);
        java.util.Set<Long> fifthBytes = new java.util.HashSet<>();
        for (int c = 0; c < BLOCK; c++) {
            for (int r = 0; r < ROWS; r++) {
                long at = 7 + Q5_0Groups.fifthByte(c, r, wide);
                fifthBytes.add(at);
                assertThat(group[(int) at] >>> Q5_0Groups.fifthBit(c, r, wide) & 1).as("column %d row %d", c, r).isEqualTo(words[3 + r] >>> c & 1);
            }
        }
        assertThat(fifthBytes).hasSize(BLOCK * ROWS / 8); // eight bits to a byte, so every bit of those bytes was checked
        for (int i = 0; i < group.length; i++) {
            if (!fifthBytes.contains((long) i)) {
                assertThat(group[i]).as("byte %d, not one of fifth bits", i).isEqualTo(before[i]);
            }
        }
    }

    @Test
    void q5_KFifthBitWordsGatherBitJOfEveryQhByte() {
        Random rnd = new Random(10);
        byte[] rows = new byte[5 + 32];
        rnd.nextBytes(rows);
        int[] words = new int[8 * ROWS];
        Q5_KGroups.fifthBitWords(rows, 5, words, 11);
        for (int j = 0; j < 8; j++) {
            int expected = 0;
            for (int l = 0; l < 32; l++) {
                expected |= (rows[5 + l] >>> j & 1) << l;
            }
            assertThat(words[ROWS * j + 11]).as("sub-block %d", j).isEqualTo(expected);
        }
    }
}
