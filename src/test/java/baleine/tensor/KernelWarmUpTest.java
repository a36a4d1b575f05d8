package baleine.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels' warm-up: a matrix's sample (block types, FP8) reads its first rows and columns in place and computes
 * what they compute alone, and the warm-up runs one sample per kind of matrix, asking its stop condition before each.
 */
class KernelWarmUpTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q6_K"})
    void aPlainMatrixsSampleComputesWhatItsColumnsComputeAlone(GgmlType type) {
        Random rnd = new Random(7);
        int rows = 80, cols = 1024, sampleCols = 512;
        float[] values = new float[rows * cols], first = new float[64 * sampleCols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        for (int r = 0; r < 64; r++) {
            System.arraycopy(values, r * cols, first, r * sampleCols, sampleCols);
        }
        Weight sample = Quantizer.weight("w", type, values, rows, cols, Arena.ofAuto()).kernelSample();
        assertSameRowsAndProducts(sample, Quantizer.weight("w", type, first, 64, sampleCols, Arena.ofAuto()), rnd);
    }

    /**
     * {@code sample} (64 rows of 512 columns) decodes and multiplies 1 to 8 vectors bit for bit as {@code alone}; returns
     * its products' first vectors, one for each batch size.
     */
    private static List<float[]> assertSameRowsAndProducts(Weight sample, Weight alone, Random rnd) {
        assertThat(sample.rows).isEqualTo(64);
        assertThat(sample.cols).isEqualTo(512);
        float[] a = new float[512], b = new float[512];
        for (int r = 0; r < 64; r++) {
            alone.decodeRow(r, a);
            sample.decodeRow(r, b);
            assertThat(b).as("row " + r).isEqualTo(a);
        }
        float[][] x = MatMulTest.gaussianVectors(rnd, 8, 512);
        List<float[]> firsts = new ArrayList<>();
        for (int n : new int[]{1, 2, 3, 4, 8}) {
            float[][] ys = new float[n][64], ya = new float[n][64];
            MatMul.rows(sample, 0, 64, x, 0, ys, 0, n);
            MatMul.rows(alone, 0, 64, x, 0, ya, 0, n);
            assertThat(ys).as(n + " vectors").isEqualTo(ya);
            firsts.add(ys[0]);
        }
        return firsts;
    }

    /** DeepSeek-V3's FP8: the sample keeps the stored row and scale strides; a NaN code past its columns is not its. */
    @Test
    void anFp8MatrixsSampleComputesWhatItsColumnsComputeAlone() {
        Random rnd = new Random(11);
        int rows = 200, cols = 1024, block = 128, sampleCols = 512, scaleCols = cols / block;
        MemorySegment values = Arena.ofAuto().allocate((long) rows * cols), first = Arena.ofAuto().allocate(64L * sampleCols);
        for (long i = 0; i < values.byteSize(); i++) {
            int b = rnd.nextInt(256);
            values.set(Le.I8, i, (byte) ((b & 0x7F) == 0x7F ? b & 0xFE : b)); // no NaN code but where placed below
        }
        values.set(Le.I8, 3L * cols + 900, (byte) 0x7F); // row 3: NaN past the sample's columns
        values.set(Le.I8, 5L * cols + 100, (byte) 0xFF); // row 5: NaN within them
        MemorySegment scales = Arena.ofAuto().allocate(4L * 2 * scaleCols), firstScales = Arena.ofAuto().allocate(4L * sampleCols / block);
        for (int i = 0; i < 2 * scaleCols; i++) {
            scales.set(Le.F32, 4L * i, (float) (rnd.nextDouble() * 0.01));
        }
        for (int r = 0; r < 64; r++) {
            MemorySegment.copy(values, (long) r * cols, first, (long) r * sampleCols, sampleCols);
        }
        MemorySegment.copy(scales, 0, firstScales, 0, 4L * sampleCols / block);
        Weight sample = new Fp8BlockWeight("w", values, scales, rows, cols, block).rowSlice(0, 128).kernelSample();
        for (float[] y : assertSameRowsAndProducts(sample, new Fp8BlockWeight("w", first, firstScales, 64, sampleCols, block), rnd)) {
            assertThat(y[3]).isNotNaN(); // every batch size
            assertThat(y[5]).isNaN();
        }
    }

    @Test
    void aSmallMatrixIsItsOwnSample() {
        Weight w = MatMulTest.randomWeight(new Random(8), GgmlType.Q8_0, 10, 96);
        Weight sample = w.kernelSample();
        assertThat(sample.rows).isEqualTo(10);
        assertThat(sample.cols).isEqualTo(96);
    }

    @Test
    void oneSamplePerKindOfMatricesNotSmallIsWarmedAndTheStopIsAskedAfterEach() {
        Random rnd = new Random(9);
        Weight q8a = MatMulTest.randomWeight(rnd, GgmlType.Q8_0, 512, 512), q8b = MatMulTest.randomWeight(rnd, GgmlType.Q8_0, 1024, 768);
        Weight bf16 = MatMulTest.randomWeight(rnd, GgmlType.BF16, 256, 1024);
        Weight small = MatMulTest.randomWeight(rnd, GgmlType.F32, 64, 2048); // four samples' worth: left to the first pass
        AtomicInteger asked = new AtomicInteger();
        assertThat(KernelWarmUp.decoding(List.of(small, q8a, bf16, q8b), () -> asked.incrementAndGet() > 5)).isTrue();
        assertThat(asked).as("two kinds").hasValue(2);
        asked.set(0);
        assertThat(KernelWarmUp.decoding(List.of(q8a, bf16, q8b), () -> asked.incrementAndGet() >= 1)).isFalse();
        assertThat(asked.get()).as("the kinds under way when it said stop").isBetween(1, Parallel.threads());
    }

    @Test
    void aSampleIsCalledUntilItRunsCompiledAtMostFiveThousandTimes() {
        Weight sample = MatMulTest.randomWeight(new Random(10), GgmlType.Q8_0, 64, 512).kernelSample();
        assertThat(KernelWarmUp.warm(sample)).isBetween(100, 5000);
    }
}
