package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;

/**
 * Values in blocks of 32 as 8-bit integers times one float scale per block (Q8_0's scheme, with a float scale):
 * {@code d = max|v| / 127}, {@code q = rint(v / d)}, read back as {@code q * d}. The vector read has a scalar twin
 * ({@link #dequantizeScalar}) that the tests compare it with.
 */
public final class Int8Blocks {
    public static final int BLOCK = 32;

    private Int8Blocks() {
    }

    /** Blocks needed for n values (the last one padded with zeros). */
    public static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    /** Quantizes {@code v[off .. off + n)} into {@code blocks(n)} blocks at {@code q[qOff ..]}, scales at {@code d[dOff ..]}. */
    public static void quantize(float[] v, int off, int n, byte[] q, int qOff, float[] d, int dOff) {
        for (int b = 0; b < blocks(n); b++) {
            int from = b * BLOCK, to = Math.min(n, from + BLOCK);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(v[off + i]));
            }
            float scale = max / 127, inverse = scale == 0 ? 0 : 1 / scale;
            d[dOff + b] = scale;
            for (int i = from; i < from + BLOCK; i++) {
                q[qOff + i] = i < to ? (byte) Math.rint(v[off + i] * inverse) : 0;
            }
        }
    }

    /** {@code dst[dOff ..]} = blocks {@code [0, blocks)} at {@code q[qOff ..]} with scales {@code d[dOff ..]}, 32 values each. */
    public static void dequantize(byte[] q, int qOff, float[] d, int sOff, int blocks, float[] dst, int dOff) {
        if (!Species.FUSED) {
            dequantizeScalar(q, qOff, d, sOff, blocks, dst, dOff);
            return;
        }
        for (int b = 0; b < blocks; b++) {
            float scale = d[sOff + b];
            for (int j = 0; j < BLOCK; j += F.length()) {
                int i = b * BLOCK + j;
                ((FloatVector) ByteVector.fromArray(B, q, qOff + i).convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, dOff + i);
            }
        }
    }

    static void dequantizeScalar(byte[] q, int qOff, float[] d, int sOff, int blocks, float[] dst, int dOff) {
        for (int i = 0; i < blocks * BLOCK; i++) {
            dst[dOff + i] = q[qOff + i] * d[sOff + i / BLOCK];
        }
    }
}
