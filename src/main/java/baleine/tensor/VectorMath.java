package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels on float arrays; each has a plain scalar twin that the tests compare it with. */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int len = S.length();
        int i = 0;
        for (; i + 2 * len <= n; i += 2 * len) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + len).fma(FloatVector.fromArray(S, b, bOff + i + len), acc1);
        }
        for (; i + len <= n; i += len) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    // lane i meets lane i ^ k: a fixed pairwise tree over the lanes
    private static final VectorShuffle<Float> FOLD32 = fold(32), FOLD16 = fold(16), FOLD8 = fold(8), FOLD4 = fold(4);
    private static final VectorShuffle<Float> FOLD2 = fold(2), FOLD1 = fold(1);

    private static VectorShuffle<Float> fold(int k) {
        return S.length() >= 2 * k ? VectorShuffle.fromOp(S, i -> i ^ k) : null;
    }

    /**
     * Adds the lanes in a fixed pairwise order. {@code reduceLanes(ADD)} may associate differently once
     * JIT-compiled, which would make the same input give different bits before and after warm-up.
     */
    static float sumLanes(FloatVector v) {
        if (FOLD32 != null) { // up to 64 lanes (2048-bit SVE)
            v = v.add(v.rearrange(FOLD32));
        }
        if (FOLD16 != null) {
            v = v.add(v.rearrange(FOLD16));
        }
        if (FOLD8 != null) {
            v = v.add(v.rearrange(FOLD8));
        }
        if (FOLD4 != null) {
            v = v.add(v.rearrange(FOLD4));
        }
        if (FOLD2 != null) {
            v = v.add(v.rearrange(FOLD2));
        }
        if (FOLD1 != null) {
            v = v.add(v.rearrange(FOLD1));
        }
        return v.lane(0);
    }

    /**
     * Four dot products sharing one row: {@code out[k] = row[rowOff ..] . x[k][xOff ..]}, the row loaded once.
     * Rounding differs slightly from four {@link #dot} calls; callers always use the same one per value.
     */
    public static void dot4(float[] row, int rowOff, float[][] x, int x0, int xOff, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        float[] v0 = x[x0], v1 = x[x0 + 1], v2 = x[x0 + 2], v3 = x[x0 + 3];
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector r = FloatVector.fromArray(S, row, rowOff + i);
            a0 = r.fma(FloatVector.fromArray(S, v0, xOff + i), a0);
            a1 = r.fma(FloatVector.fromArray(S, v1, xOff + i), a1);
            a2 = r.fma(FloatVector.fromArray(S, v2, xOff + i), a2);
            a3 = r.fma(FloatVector.fromArray(S, v3, xOff + i), a3);
        }
        float s0 = sumLanes(a0), s1 = sumLanes(a1), s2 = sumLanes(a2), s3 = sumLanes(a3);
        for (; i < n; i++) {
            float r = row[rowOff + i];
            s0 += r * v0[xOff + i];
            s1 += r * v1[xOff + i];
            s2 += r * v2[xOff + i];
            s3 += r * v3[xOff + i];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    /** {@code y[y0 + k][yOff ..] += alpha[k] * x[xOff ..]} for k in 0..3, x loaded once. */
    public static void axpy4(float[] alpha, float[] x, int xOff, float[][] y, int y0, int yOff, int n) {
        FloatVector c0 = FloatVector.broadcast(S, alpha[0]), c1 = FloatVector.broadcast(S, alpha[1]);
        FloatVector c2 = FloatVector.broadcast(S, alpha[2]), c3 = FloatVector.broadcast(S, alpha[3]);
        float[] u0 = y[y0], u1 = y[y0 + 1], u2 = y[y0 + 2], u3 = y[y0 + 3];
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.fma(c0, FloatVector.fromArray(S, u0, yOff + i)).intoArray(u0, yOff + i);
            v.fma(c1, FloatVector.fromArray(S, u1, yOff + i)).intoArray(u1, yOff + i);
            v.fma(c2, FloatVector.fromArray(S, u2, yOff + i)).intoArray(u2, yOff + i);
            v.fma(c3, FloatVector.fromArray(S, u3, yOff + i)).intoArray(u3, yOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            u0[yOff + i] += alpha[0] * v;
            u1[yOff + i] += alpha[1] * v;
            u2[yOff + i] += alpha[2] * v;
            u3[yOff + i] += alpha[3] * v;
        }
    }

    public static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y[yOff + i] += alpha * x[xOff + i]}. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    public static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** RMSNorm in place: {@code x = x / sqrt(mean(x^2) + eps) * w} over {@code x[off .. off + n)}. */
    public static void rmsNorm(float[] x, int off, int n, float[] w, float eps) {
        float ss = dot(x, off, x, off, n);
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector.fromArray(S, x, off + i).mul(inv).mul(FloatVector.fromArray(S, w, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = x[off + i] * inv * w[i];
        }
    }

    public static void rmsNormScalar(float[] x, int off, int n, float[] w, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[off + i] * x[off + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            x[off + i] = x[off + i] * inv * w[i];
        }
    }

    /** Softmax in place over {@code x[off .. off + n)}. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    /** SwiGLU gate: {@code gate[i] = silu(gate[i]) * up[i]}. */
    public static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    public static void add(float[] y, float[] x, int n) {
        axpy(1f, x, 0, y, 0, n);
    }
}
