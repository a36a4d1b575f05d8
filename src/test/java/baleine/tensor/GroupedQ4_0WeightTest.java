package baleine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Q4_0 regrouped for the integer kernels: the regrouped rows decode as before, the vector kernels equal their
 * scalar twin bit for bit on random bytes, every batch size gives a vector the bits it gets alone, and the products
 * stay within 8-bit activations' rounding of the float ones. The suite runs at both widths the kernels take (256 and
 * 512 bits).
 */
class GroupedQ4_0WeightTest {
    private static final int COLS = 96;

    /** Random Q4_0 bytes with finite scales (regrouping takes nothing else), a copy as plain Q4_0 and the regrouped matrix. */
    private record Pair(Weight plain, Weight grouped) {
    }

    private static Pair randomPair(Random rnd, int rows, int unitRows) {
        long bytes = 18L * (COLS / 32) * rows;
        MemorySegment data = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) {
            data.set(Le.I8, i, (byte) rnd.nextInt());
        }
        for (long at = 0; at < bytes; at += 18) { // normal and subnormal scales of either sign
            float d = (float) rnd.nextGaussian() * (rnd.nextInt(8) == 0 ? 1e-6f : 0.05f);
            data.set(Le.I16, at, Float.floatToFloat16(d));
        }
        MemorySegment copy = Arena.ofAuto().allocate(bytes, 64);
        copy.copyFrom(data);
        return new Pair(new BlockWeight("w", GgmlType.Q4_0, copy, rows, COLS), GroupedQ4_0Weight.regroup("w", data, rows, COLS, unitRows));
    }

    @Test
    void regroupedRowsDecodeAsPlainQ4_0() {
        Pair p = randomPair(new Random(1), 2 * 64 + 7, 2 * 64 + 7); // two groups and seven rows left over
        assertThat(p.grouped()).isInstanceOf(GroupedQ4_0Weight.class);
        float[] a = new float[COLS], b = new float[COLS];
        for (int r = 0; r < p.plain().rows; r++) {
            p.plain().decodeRow(r, a);
            p.grouped().decodeRow(r, b);
            assertThat(b).as("row " + r).isEqualTo(a);
        }
    }

    @Test
    void vectorKernelsEqualTheScalarTwinBitForBit() {
        Random rnd = new Random(2);
        Pair p = randomPair(rnd, 64, 64);
        int most = 2 * Q4_0Groups.BATCH + 3; // whole passes and every smaller one after them
        float[][] x = MatMulTest.gaussianVectors(rnd, most, COLS);
        x[1][5] = 1e-3f; // blocks of one value and of nothing
        java.util.Arrays.fill(x[2], 32, 64, 0f);
        GroupedQ4_0Weight g = (GroupedQ4_0Weight) p.grouped();
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

    @Test
    void everyBatchSizeGivesEveryVectorTheBitsItGetsAlone() {
        Random rnd = new Random(3);
        Pair p = randomPair(rnd, 3 * 64 + 5, 3 * 64 + 5);
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

    @Test
    void productsStayWithinEightBitActivationsOfTheFloatOnes() {
        Random rnd = new Random(4);
        Pair p = randomPair(rnd, 128, 128);
        float[][] x = MatMulTest.gaussianVectors(rnd, 3, COLS);
        float[][] exact = new float[3][128], ints = new float[3][128];
        MatMul.apply(p.plain(), x, exact, 3);
        MatMul.apply(p.grouped(), x, ints, 3);
        float[] row = new float[COLS];
        for (int r = 0; r < 128; r++) {
            p.plain().decodeRow(r, row);
            for (int t = 0; t < 3; t++) {
                // each activation moves by at most half a step of its block (max |x| / 254) and its block's scale by a
                // 16-bit float's rounding (2^-11 of max |x|)
                double bound = 1e-4;
                for (int c = 0; c < COLS; c++) {
                    bound += Math.abs(row[c]) * blockMax(x[t], c) * (1 / 254.0 + 1 / 2048.0);
                }
                assertThat((double) ints[t][r]).as("row " + r).isCloseTo(exact[t][r], within(bound));
            }
        }
    }

    private static float blockMax(float[] x, int c) {
        float max = 0;
        for (int i = c - c % 32; i < c - c % 32 + 32; i++) {
            max = Math.max(max, Math.abs(x[i]));
        }
        return max;
    }

    @Test
    void expertsAreSlicesOfWholeUnits() {
        Random rnd = new Random(5);
        Pair p = randomPair(rnd, 3 * 70, 70); // three experts of 70 rows: a group and six rows each
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

    @Test
    void aMatrixWithANonFiniteScaleStaysAsItIs() {
        MemorySegment data = Arena.ofAuto().allocate(18L * 3 * 64, 64);
        for (long at = 0; at < data.byteSize(); at += 18) {
            data.set(Le.I16, at, Float.floatToFloat16(0.01f));
        }
        data.set(Le.I16, 18L * 3 * 10, (short) 0x7c00); // +infinity
        assertThat(GroupedQ4_0Weight.regroup("w", data, 64, COLS, 64)).isInstanceOf(BlockWeight.class);
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
        Int8Batch.quantize(x, 0, 64, 0, 1, q, d, sums);
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
        int[] s1 = new int[40], s2 = new int[40];
        Int8Batch.quantize(x, 5, cols, 0, 1, q1, d1, s1);
        Int8Batch.quantizeScalar(x, 5, cols, 0, 1, q2, d2, s2);
        assertThat(q1).isEqualTo(q2);
        assertThat(d1).isEqualTo(d2);
        assertThat(s1).isEqualTo(s2);
    }
}
