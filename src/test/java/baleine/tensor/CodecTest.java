package baleine.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CodecTest {
    /** Worst error a correct quantizer of each type may make, relative to the largest |value| of a block. */
    static double relativeBound(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case BF16 -> 8e-3;
            case Q8_0 -> 1.0 / 127;
            case Q6_K -> 2.5 / 31;
            case Q5_0, Q5_1, Q5_K -> 2.5 / 31;
            default -> 2.5 / 15;
        };
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void roundTripOnRandomDataStaysWithinTheTypesResolution(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        int n = 4 * 256;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * (1 + i / 256));
        }
        Weight w = Quantizer.weight("t", type, x, 4, 256, Arena.ofAuto());
        float[] row = new float[256];
        for (int r = 0; r < 4; r++) {
            w.decodeRow(r, row);
            double amax = 0;
            for (int i = 0; i < 256; i++) {
                amax = Math.max(amax, Math.abs(x[r * 256 + i]));
            }
            for (int i = 0; i < 256; i++) {
                assertThat((double) row[i]).as(type + " value " + i).isCloseTo(x[r * 256 + i], within(relativeBound(type) * amax + 1e-7));
            }
        }
    }

    @Test
    void q8_0DecodesItsDefinition() {
        MemorySegment s = Arena.ofAuto().allocate(34);
        s.set(Le.I16, 0, Float.floatToFloat16(0.25f));
        for (int j = 0; j < 32; j++) {
            s.set(Le.I8, 2 + j, (byte) (j - 16));
        }
        float[] out = new float[32];
        GgmlType.Q8_0.codec().orElseThrow().decode(s, 0, out, 0);
        for (int j = 0; j < 32; j++) {
            assertThat(out[j]).isEqualTo((j - 16) * 0.25f);
        }
    }

    @Test
    void q4_0DecodesLowNibblesFirstThenHighNibbles() {
        MemorySegment s = Arena.ofAuto().allocate(18);
        s.set(Le.I16, 0, Float.floatToFloat16(2f));
        for (int j = 0; j < 16; j++) {
            s.set(Le.I8, 2 + j, (byte) ((j & 0xF) | (((15 - j) & 0xF) << 4)));
        }
        float[] out = new float[32];
        GgmlType.Q4_0.codec().orElseThrow().decode(s, 0, out, 0);
        for (int j = 0; j < 16; j++) {
            assertThat(out[j]).isEqualTo((j - 8) * 2f);
            assertThat(out[j + 16]).isEqualTo((15 - j - 8) * 2f);
        }
    }

    @Test
    void fp8E4m3CoversItsRangeAndRoundTrips() {
        assertThat(Fp8BlockWeight.e4m3ToFloat(0x7E)).isEqualTo(448f);
        assertThat(Fp8BlockWeight.e4m3ToFloat(0x01)).isEqualTo(0x1p-9f);
        assertThat(Fp8BlockWeight.e4m3ToFloat(0x38)).isEqualTo(1f);
        assertThat(Fp8BlockWeight.e4m3ToFloat(0xB8)).isEqualTo(-1f);
        assertThat(Float.isNaN(Fp8BlockWeight.e4m3ToFloat(0x7F))).isTrue();
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7F) != 0x7F && b != 0x80) {
                assertThat(Fp8BlockWeight.floatToE4m3(Fp8BlockWeight.e4m3ToFloat(b)) & 0xFF).as("bits %x", b).isEqualTo(b);
            }
        }
        Random rnd = new Random(3);
        for (int i = 0; i < 1000; i++) {
            float x = (float) rnd.nextGaussian() * 10;
            float y = Fp8BlockWeight.e4m3ToFloat(Fp8BlockWeight.floatToE4m3(x) & 0xFF);
            assertThat(Math.abs(y - x)).isLessThanOrEqualTo(Math.abs(x) / 16 + 0x1p-10f);
        }
    }

    @Test
    void fp8WeightAppliesOneScalePerBlock() {
        Arena arena = Arena.ofAuto();
        int rows = 3, cols = 5, block = 2;
        MemorySegment values = arena.allocate(rows * cols);
        for (int i = 0; i < rows * cols; i++) {
            values.set(Le.I8, i, Fp8BlockWeight.floatToE4m3(1f));
        }
        MemorySegment scales = arena.allocate(4 * 2 * 3);
        for (int i = 0; i < 6; i++) {
            scales.set(Le.F32, 4L * i, i + 1);
        }
        Weight w = new Fp8BlockWeight("w", values, scales, rows, cols, block);
        float[] row = new float[cols];
        w.decodeRow(2, row);
        assertThat(row).containsExactly(4f, 4f, 5f, 5f, 6f);
        w.rowSlice(1, 2).decodeRow(1, row);
        assertThat(row).containsExactly(4f, 4f, 5f, 5f, 6f);
    }
}
