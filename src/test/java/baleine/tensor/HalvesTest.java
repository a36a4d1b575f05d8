package baleine.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** 16-bit floats: the vector reads equal the scalar ones on every bit pattern; stores round to nearest, ties to even. */
class HalvesTest {
    @Test
    void vectorReadsEqualScalarReadsOnEveryBitPattern() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        for (Halves.Format format : Halves.Format.values()) {
            int off = 3, n = all.length - 10; // an offset and a tail past the last whole vector
            float[] out = new float[n + 5];
            Halves.toFloats(format, all, off, out, 5, n);
            for (int i = 0; i < n; i++) {
                float expected = Halves.toFloat(format, all[off + i]);
                if (Float.isNaN(expected)) {
                    assertThat(out[5 + i]).as(format + " bits %04x", off + i).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(out[5 + i])).as(format + " bits %04x", off + i).isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
        assertThat(Halves.toFloat(Halves.Format.F16, (short) 0x3C00)).isEqualTo(1f);
        assertThat(Halves.toFloat(Halves.Format.BF16, (short) 0x3F80)).isEqualTo(1f);
    }

    @Test
    void bfloat16StoresTheNearestValueTiesToEven() {
        Random rnd = new Random(11);
        for (int k = 0; k < 100_000; k++) {
            int bits = rnd.nextInt();
            if (k % 10 == 0) {
                bits = (bits & 0xFFFF0000) | 0x8000; // exactly halfway between two bfloat16 values
            }
            float v = Float.intBitsToFloat(bits);
            if (Float.isNaN(v)) {
                assertThat(Halves.toFloat(Halves.Format.BF16, Halves.fromFloat(Halves.Format.BF16, v))).isNaN();
                continue;
            }
            float stored = Halves.toFloat(Halves.Format.BF16, Halves.fromFloat(Halves.Format.BF16, v));
            float down = Float.intBitsToFloat(bits & 0xFFFF0000), up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
            double upValue = Float.isInfinite(up) ? Math.copySign(0x1p128, v) : up; // past the largest: 2^128, which rounds to infinity
            double dDown = Math.abs((double) v - down), dUp = Math.abs(upValue - v);
            float expected = dDown < dUp ? down : dUp < dDown ? up : ((bits >>> 16) & 1) == 0 ? down : up;
            assertThat(stored).as("%08x", bits).isEqualTo(expected);
        }
    }

    @Test
    void halfPrecisionStoresAsJavasConversion() {
        Random rnd = new Random(5);
        float[] v = new float[1000];
        short[] h = new short[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian() * (i % 2 == 0 ? 1e-5f : 1e3f);
        }
        Halves.fromFloats(Halves.Format.F16, v, 0, h, 0, v.length);
        for (int i = 0; i < v.length; i++) {
            assertThat(h[i]).isEqualTo(Float.floatToFloat16(v[i]));
        }
    }
}
