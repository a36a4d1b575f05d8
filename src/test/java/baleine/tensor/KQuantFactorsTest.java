package baleine.tensor;

import baleine.tensor.quant.KQuantCodecs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The block factors the K-quant kernels use, against the packed scales and mins read one by one. */
class KQuantFactorsTest {
    @Test
    void q4kFactorsEqualTheScalarUnpackingOnRandomBlocks() {
        Random rnd = new Random(3);
        MemorySegment block = Arena.ofAuto().allocate(144);
        float[] factors = new float[16 + 5];
        for (int trial = 0; trial < 500; trial++) {
            for (long i = 0; i < 144; i++) {
                block.set(Le.I8, i, (byte) rnd.nextInt(256));
            }
            block.set(Le.I16, 0, Float.floatToFloat16((float) rnd.nextGaussian())); // finite d and dmin
            block.set(Le.I16, 2, Float.floatToFloat16((float) rnd.nextGaussian()));
            KQuantFactors.sixBitScales(block, 0, factors, 5);
            float d = Float.float16ToFloat(block.get(Le.I16, 0)), dmin = Float.float16ToFloat(block.get(Le.I16, 2));
            for (int j = 0; j < 8; j++) {
                assertThat(factors[5 + j]).as("scale " + j).isEqualTo(d * KQuantCodecs.scale(block, 4, j));
                assertThat(factors[5 + 8 + j]).as("min " + j).isEqualTo(-dmin * KQuantCodecs.min(block, 4, j));
            }
        }
    }

    @Test
    void q6kFactorsAreTheScaledSignedScalesOnRandomBlocks() {
        Random rnd = new Random(4);
        MemorySegment block = Arena.ofAuto().allocate(210);
        float[] factors = new float[32 + 3];
        for (int trial = 0; trial < 500; trial++) {
            for (long i = 0; i < 208; i++) {
                block.set(Le.I8, i, (byte) rnd.nextInt(256));
            }
            block.set(Le.I16, 208, Float.floatToFloat16((float) rnd.nextGaussian()));
            KQuantFactors.eightBitScales(block, 0, factors, 3);
            float d = Float.float16ToFloat(block.get(Le.I16, 208));
            for (int j = 0; j < 16; j++) {
                float expected = d * block.get(Le.I8, 192 + j); // int8 scale
                assertThat(factors[3 + j]).as("factor " + j).isEqualTo(expected);
                assertThat(factors[3 + 16 + j]).as("offset " + j).isEqualTo(-32 * expected);
            }
        }
    }
}
