package baleine.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The whole-super-block Q4_K and Q6_K kernels (one vector and two) against the step kernels they replace: the same bits on random bytes. */
class SuperBlockDotTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void givesTheBitsOfTheStepKernelOnRandomBytes(GgmlType type) {
        assumeTrue(FusedDot.NIBBLE_LOOKUP, "SuperBlockDot runs on 16 float lanes only; this JVM has " + Species.F.length());
        Random rnd = new Random(44);
        long blockBytes = type.bytesFor(256);
        int[] scaleHighBytes = type == GgmlType.Q4_K ? new int[]{1, 3} : new int[]{209}; // d and dmin, or d
        for (int cols : new int[]{256, 512, 1536}) {
            int rows = 10; // the widest pattern below reads rows 0, 3, 6 and 9
            long rowBytes = type.bytesFor(cols);
            byte[] bytes = new byte[Math.toIntExact(rows * rowBytes)];
            rnd.nextBytes(bytes);
            for (int r = 0; r < rows; r++) { // finite block scales in most rows; random halves now and then give inf and NaN
                if (r % 4 != 3) {
                    for (int b = 0; b < cols / 256; b++) {
                        for (int high : scaleHighBytes) {
                            bytes[(int) (r * rowBytes + blockBytes * b) + high] &= 0x3B;
                        }
                    }
                }
            }
            MemorySegment data = Arena.ofAuto().allocate(bytes.length);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
            float[] x = new float[cols + 5];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] expected = VectorMath.outBuffer(4), got = VectorMath.outBuffer(4);
            for (int[] rowsAndStride : new int[][]{{0, 1}, {1, 2}, {3, 1}, {0, 3}}) {
                long off = rowsAndStride[0] * rowBytes, stride = rowsAndStride[1] * rowBytes;
                fourRows(type, false, data, off, stride, x, 5, cols, expected);
                fourRows(type, true, data, off, stride, x, 5, cols, got);
                for (int k = 0; k < 4; k++) {
                    assertThat(Float.floatToIntBits(got[k])).as("%s, %d columns, rows from %s, row %d: %s vs %s", type, cols,
                            java.util.Arrays.toString(rowsAndStride), k, got[k], expected[k]).isEqualTo(Float.floatToIntBits(expected[k]));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void pairKernelsGiveTheBitsOfPairDotOnRandomBytes(GgmlType type) {
        assumeTrue(FusedDot.NIBBLE_LOOKUP, "SuperBlockDot runs on 16 float lanes only; this JVM has " + Species.F.length());
        Random rnd = new Random(45);
        int cols = 1024, rows = 7; // rows 0, 2, 4, 6
        long rowBytes = type.bytesFor(cols), blockBytes = type.bytesFor(256);
        int[] scaleHighBytes = type == GgmlType.Q4_K ? new int[]{1, 3} : new int[]{209};
        byte[] bytes = new byte[Math.toIntExact(rows * rowBytes)];
        rnd.nextBytes(bytes);
        for (int b = 0; b < rows * cols / 256 - 1; b++) { // finite scales but in the last block
            for (int high : scaleHighBytes) {
                bytes[(int) (blockBytes * b) + high] &= 0x3B;
            }
        }
        MemorySegment data = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
        float[] x0 = new float[cols + 3], x1 = new float[cols + 3];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) rnd.nextGaussian();
            x1[i] = (float) rnd.nextGaussian();
        }
        float[] expected = VectorMath.outBuffer(8), got = VectorMath.outBuffer(8);
        twoVectors(type, false, data, 0, 2 * rowBytes, x0, x1, 3, cols, expected);
        twoVectors(type, true, data, 0, 2 * rowBytes, x0, x1, 3, cols, got);
        for (int k = 0; k < 8; k++) {
            assertThat(Float.floatToIntBits(got[k])).as("%s output %d: %s vs %s", type, k, got[k], expected[k]).isEqualTo(Float.floatToIntBits(expected[k]));
        }
    }

    @Test
    void isChosenUnderTheLaunchersCompilerOptions() {
        // the tests run with the launcher's -XX:Tier3DelayOn=100000 (pom.xml), so this also checks that it is read
        assertThat(SuperBlockDot.largeMethodsReachC2()).isTrue();
        assertThat(SuperBlockDot.ENABLED).isEqualTo(FusedDot.NIBBLE_LOOKUP);
    }

    /** Four rows through the step kernel, or (where {@code wholeBlocks}) through SuperBlockDot's. */
    private static void fourRows(GgmlType type, boolean wholeBlocks, MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        if (type == GgmlType.Q6_K) {
            FourRowDot.q6_k(s, off, stride, x, xOff, n, out, wholeBlocks);
        } else if (wholeBlocks) {
            SuperBlockDot.q4_k(s, off, stride, x, xOff, n, out);
        } else {
            FourRowDot.q4_k(s, off, stride, x, xOff, n, out);
        }
    }

    /** Four rows times two vectors through PairDot's step kernel, or (where {@code wholeBlocks}) through SuperBlockDot's. */
    private static void twoVectors(GgmlType type, boolean wholeBlocks, MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        if (type == GgmlType.Q6_K) {
            PairDot.q6_k(s, off, stride, x0, x1, xOff, n, out, wholeBlocks);
        } else if (wholeBlocks) {
            SuperBlockDot.q4_kPair(s, off, stride, x0, x1, xOff, n, out);
        } else {
            PairDot.q4_k(s, off, stride, x0, x1, xOff, n, out);
        }
    }
}
