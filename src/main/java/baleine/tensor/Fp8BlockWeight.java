package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static baleine.tensor.Species.F;
import static baleine.tensor.Species.B;
import static baleine.tensor.Species.I;

/**
 * DeepSeek-V3's native FP8 weights: float8 e4m3fn values with one float32 {@code scale_inv} per
 * {@code block x block} tile, {@code W[i][j] = w[i][j] * scale_inv[i / block][j / block]}.
 */
public final class Fp8BlockWeight extends Weight {
    private static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3[b] = e4m3ToFloat(b);
        }
    }

    private final MemorySegment values;
    private final MemorySegment scales;
    private final int block;
    private final int scaleCols;
    private final int firstRow;

    public Fp8BlockWeight(String name, MemorySegment values, MemorySegment scales, int rows, int cols, int block) {
        this(name, values, scales, rows, cols, block, 0);
    }

    private Fp8BlockWeight(String name, MemorySegment values, MemorySegment scales, int rows, int cols, int block, int firstRow) {
        super(name, rows, cols);
        this.values = values;
        this.scales = scales;
        this.block = block;
        this.scaleCols = (cols + block - 1) / block;
        this.firstRow = firstRow;
    }

    /** float8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN. */
    public static float e4m3ToFloat(int bits) {
        int sign = (bits & 0x80) != 0 ? -1 : 1;
        int exp = (bits >>> 3) & 0xF, man = bits & 7;
        if (exp == 15 && man == 7) {
            return Float.NaN;
        }
        float mag = exp == 0 ? man / 8f * 0x1p-6f : (1 + man / 8f) * (float) Math.scalb(1.0, exp - 7);
        return sign * mag;
    }

    /** Nearest e4m3fn value (saturating at ±448), for the model writer. */
    public static byte floatToE4m3(float x) {
        int sign = x < 0 ? 0x80 : 0;
        float a = Math.min(Math.abs(x), 448f);
        if (a < 0x1p-6f) {
            return (byte) (sign | Math.round(a / 0x1p-9f));
        }
        int e = Math.getExponent(a);
        int man = Math.round((a / (float) Math.scalb(1.0, e) - 1) * 8);
        if (man == 8) {
            e++;
            man = 0;
        }
        return (byte) (sign | ((e + 7) << 3) | man);
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        int absRow = firstRow + row;
        long base = (long) absRow * cols;
        long scaleRow = (long) (absRow / block) * scaleCols;
        for (int j0 = 0; j0 < cols; j0 += block) {
            float s = scales.get(Le.F32, 4 * (scaleRow + j0 / block));
            int end = Math.min(cols, j0 + block);
            for (int j = j0; j < end; j++) {
                dst[j] = E4M3[values.get(Le.U8, base + j) & 0xFF] * s;
            }
        }
    }

    @Override
    public boolean hasFusedDot() {
        return Species.FUSED;
    }

    /** The row read in place: e4m3 bytes widened and converted to floats in registers, one scale per block. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Species.FUSED) {
            return super.dot(row, x, xOff);
        }
        int absRow = firstRow + row;
        long base = (long) absRow * cols;
        long scaleRow = (long) (absRow / block) * scaleCols;
        float total = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int j0 = 0; j0 < cols; j0 += block) {
            float scale = scales.get(Le.F32, 4 * (scaleRow + j0 / block));
            int end = Math.min(cols, j0 + block);
            FloatVector sum = FloatVector.zero(F);
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                sum = e4m3(values, base + j).fma(FloatVector.fromArray(F, x, xOff + j), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, scale), acc);
            float tail = 0;
            for (; j < end; j++) {
                tail += E4M3[values.get(Le.U8, base + j) & 0xFF] * x[xOff + j];
            }
            total += tail * scale;
        }
        return VectorMath.sumLanes(acc) + total;
    }

    /** Four tokens at once: each 8-value chunk is converted once; per token the operations are those of {@link #dot}. */
    @Override
    public void dot4(int row, float[][] x, int t0, int xOff, float[] out) {
        if (!Species.FUSED) {
            super.dot4(row, x, t0, xOff, out);
            return;
        }
        int absRow = firstRow + row;
        long base = (long) absRow * cols;
        long scaleRow = (long) (absRow / block) * scaleCols;
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        float total0 = 0, total1 = 0, total2 = 0, total3 = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j0 = 0; j0 < cols; j0 += block) {
            float scale = scales.get(Le.F32, 4 * (scaleRow + j0 / block));
            int end = Math.min(cols, j0 + block);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int j = j0;
            for (; j + F.length() <= end; j += F.length()) {
                FloatVector w = e4m3(values, base + j);
                s0 = w.fma(FloatVector.fromArray(F, x0, xOff + j), s0);
                s1 = w.fma(FloatVector.fromArray(F, x1, xOff + j), s1);
                s2 = w.fma(FloatVector.fromArray(F, x2, xOff + j), s2);
                s3 = w.fma(FloatVector.fromArray(F, x3, xOff + j), s3);
            }
            FloatVector vs = FloatVector.broadcast(F, scale);
            a0 = s0.fma(vs, a0);
            a1 = s1.fma(vs, a1);
            a2 = s2.fma(vs, a2);
            a3 = s3.fma(vs, a3);
            float t0s = 0, t1s = 0, t2s = 0, t3s = 0;
            for (; j < end; j++) {
                float w = E4M3[values.get(Le.U8, base + j) & 0xFF];
                t0s += w * x0[xOff + j];
                t1s += w * x1[xOff + j];
                t2s += w * x2[xOff + j];
                t3s += w * x3[xOff + j];
            }
            total0 += t0s * scale;
            total1 += t1s * scale;
            total2 += t2s * scale;
            total3 += t3s * scale;
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
        out[0] += total0;
        out[1] += total1;
        out[2] += total2;
        out[3] += total3;
    }

    /**
     * Lane-wise e4m3fn to float, built in the float's bits without touching float subnormals (they are slow
     * on x86): exponent e and mantissa m placed with e's bias moved from 7 to 127 give 2^(e-7) * 1.m; for
     * e = 0, 2^-6 * 1.m minus 2^-6 is the subnormal m * 2^-9. The sign bit is placed last; S.1111.111 is NaN.
     */
    static FloatVector e4m3(MemorySegment s, long off) {
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B, s, off, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
        IntVector magnitude = b.and(0x7F);
        IntVector placed = magnitude.lanewise(VectorOperators.LSHL, 20);
        FloatVector normal = placed.add(120 << 23).reinterpretAsFloats();
        FloatVector subnormal = placed.add(121 << 23).reinterpretAsFloats().sub(0x1p-6f);
        FloatVector abs = normal.blend(subnormal, magnitude.compare(VectorOperators.LT, 8).cast(F));
        FloatVector v = abs.reinterpretAsInts().or(b.and(0x80).lanewise(VectorOperators.LSHL, 24)).reinterpretAsFloats();
        return v.blend(Float.NaN, magnitude.compare(VectorOperators.EQ, 0x7F).cast(F));
    }

    @Override
    public Weight rowSlice(int from, int count) {
        checkSlice(from, count);
        return new Fp8BlockWeight(name + "[" + from + ":" + (from + count) + "]", values, scales, count, cols, block, firstRow + from);
    }

    @Override
    public String typeName() {
        return "F8_E4M3";
    }

    @Override
    public long bytes() {
        return (long) rows * cols + 4L * ((rows + block - 1) / block) * scaleCols;
    }
}
