package baleine.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** 8-bit blocks: the vector read equals its scalar twin; a stored value is within half a step of the original. */
class Int8BlocksTest {
    @Test
    void vectorReadEqualsScalarReadAndValuesComeBackWithinHalfAStep() {
        Random rnd = new Random(3);
        int n = 100, blocks = Int8Blocks.blocks(n); // 3 whole blocks and a partial one
        float[] v = new float[n + 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        }
        byte[] q = new byte[5 + blocks * 32];
        float[] d = new float[1 + blocks];
        Int8Blocks.quantize(v, 2, n, q, 5, d, 1);
        float[] vector = new float[blocks * 32], scalar = new float[blocks * 32];
        Int8Blocks.dequantize(q, 5, d, 1, blocks, vector, 0);
        Int8Blocks.dequantizeScalar(q, 5, d, 1, blocks, scalar, 0);
        assertThat(vector).isEqualTo(scalar);
        for (int i = 0; i < n; i++) {
            float step = d[1 + i / 32];
            assertThat(step).isPositive();
            assertThat((double) vector[i]).isCloseTo(v[2 + i], within(step * 0.5001));
        }
        for (int i = n; i < blocks * 32; i++) {
            assertThat(vector[i]).isZero(); // the partial block's padding
        }
    }

    @Test
    void aBlockOfZerosStaysZeros() {
        byte[] q = new byte[32];
        float[] d = new float[1], out = new float[32];
        Int8Blocks.quantize(new float[32], 0, 32, q, 0, d, 0);
        Int8Blocks.dequantize(q, 0, d, 0, 1, out, 0);
        assertThat(out).containsOnly(0f);
    }
}
