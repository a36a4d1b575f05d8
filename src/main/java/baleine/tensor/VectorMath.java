package baleine.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels on float arrays; each has a plain scalar twin that the tests compare it with. */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Doubles in a vector of S's size: S's floats convert to two of these. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());

    private VectorMath() {
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int len = S.length();
        int i = 0;
        for (int bound = n - n % (2 * len); i < bound; i += 2 * len) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + len).fma(FloatVector.fromArray(S, b, bOff + i + len), acc1);
        }
        for (int bound = S.loopBound(n); i < bound; i += len) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    // lane i meets lane i ^ k: a fixed pairwise tree over the lanes (null where the vector has fewer than 2k lanes)
    private static final VectorShuffle<Float> FOLD32 = fold(32), FOLD16 = fold(16);
    /** Lane i meets lane i ^ k: also the lane swaps of {@link LaneFolds}, {@link EightLaneFolds} and {@link FusedDot}. */
    static final VectorShuffle<Float> FOLD8 = fold(8), FOLD4 = fold(4), FOLD2 = fold(2), FOLD1 = fold(1);

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

    /** Lanes in the kernels' float vectors. */
    static final int LANES = S.length();

    /**
     * Sums the {@code results} accumulators a kernel stored one after the other in {@code out}
     * ({@code LANES} floats each) into {@code out[0 .. results)}, each in {@link #sumLanes(FloatVector)}'s
     * order, so the bits are the same. Kernels with many accumulators end this way rather than passing
     * vectors to {@code sumLanes}: past C2's inlining budget such a call boxes the vector on every use.
     */
    static void sumLanesInPlace(float[] out, int results) {
        sumLanesInPlace(out, 0, results);
    }

    /** {@link #sumLanesInPlace(float[], int)} on the accumulators from {@code out[off]}: sums to {@code out[off .. off + results)}. */
    static void sumLanesInPlace(float[] out, int off, int results) {
        if (LaneFolds.SIXTEEN && results == 16) { // a tile: the sixteen folded together in vector registers
            LaneFolds.sumSixteen(out, off);
            return;
        }
        if (LaneFolds.SIXTEEN && results == 8) {
            LaneFolds.sumEight(out, off);
            return;
        }
        if (LaneFolds.SIXTEEN && results == 4) {
            LaneFolds.sumFour(out, off);
            return;
        }
        if (EightLaneFolds.EIGHT && results == 16) { // AVX2's tiles
            EightLaneFolds.sumEight(out, off, off);
            EightLaneFolds.sumEight(out, off + 64, off + 8);
            return;
        }
        if (EightLaneFolds.EIGHT && results == 8) {
            EightLaneFolds.sumEight(out, off, off);
            return;
        }
        if (EightLaneFolds.EIGHT && results == 4) {
            EightLaneFolds.sumFour(out, off);
            return;
        }
        for (int r = 0; r < results; r++) {
            int a = off + r * LANES;
            for (int k = LANES / 2; k >= 1; k /= 2) { // lane i meets lane i + k, as FOLDk's i ^ k
                for (int i = 0; i < k; i++) {
                    out[a + i] += out[a + i + k];
                }
            }
            out[off + r] = out[a]; // out[off + r] lies in an accumulator already summed
        }
    }

    /** An {@code out} array for a kernel with {@code results} results: room for one accumulator's lanes each. */
    public static float[] outBuffer(int results) {
        return new float[results * LANES];
    }

    /**
     * Four dot products sharing one row: {@code out[k] = row[rowOff ..] . x[k][xOff ..]}, the row loaded once;
     * {@code out} from {@link #outBuffer}(4).
     * Rounding differs slightly from four {@link #dot} calls; callers always use the same one per value.
     */
    public static void dot4(float[] row, int rowOff, float[][] x, int x0, int xOff, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        float[] v0 = x[x0], v1 = x[x0 + 1], v2 = x[x0 + 2], v3 = x[x0 + 3];
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector r = FloatVector.fromArray(S, row, rowOff + i);
            a0 = r.fma(FloatVector.fromArray(S, v0, xOff + i), a0);
            a1 = r.fma(FloatVector.fromArray(S, v1, xOff + i), a1);
            a2 = r.fma(FloatVector.fromArray(S, v2, xOff + i), a2);
            a3 = r.fma(FloatVector.fromArray(S, v3, xOff + i), a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, LANES);
        a2.intoArray(out, 2 * LANES);
        a3.intoArray(out, 3 * LANES);
        sumLanesInPlace(out, 4);
        float s0 = out[0], s1 = out[1], s2 = out[2], s3 = out[3];
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
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
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

    /**
     * Four rows of {@code a} (at offsets o0..o3) times four vectors {@code x[x0 .. x0 + 3]}:
     * {@code out[4 * i + k] = a[o_i ..] . x[x0 + k][0 ..]} over n values, each loaded chunk used four times;
     * {@code out} from {@link #outBuffer}(16).
     */
    public static void dotRows4x4(float[] a, int o0, int o1, int o2, int o3, float[][] x, int x0, int n, float[] out) {
        float[] v0 = x[x0], v1 = x[x0 + 1], v2 = x[x0 + 2], v3 = x[x0 + 3];
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector r0 = FloatVector.fromArray(S, a, o0 + i), r1 = FloatVector.fromArray(S, a, o1 + i);
            FloatVector r2 = FloatVector.fromArray(S, a, o2 + i), r3 = FloatVector.fromArray(S, a, o3 + i);
            FloatVector v = FloatVector.fromArray(S, v0, i);
            a00 = r0.fma(v, a00); a10 = r1.fma(v, a10); a20 = r2.fma(v, a20); a30 = r3.fma(v, a30);
            v = FloatVector.fromArray(S, v1, i);
            a01 = r0.fma(v, a01); a11 = r1.fma(v, a11); a21 = r2.fma(v, a21); a31 = r3.fma(v, a31);
            v = FloatVector.fromArray(S, v2, i);
            a02 = r0.fma(v, a02); a12 = r1.fma(v, a12); a22 = r2.fma(v, a22); a32 = r3.fma(v, a32);
            v = FloatVector.fromArray(S, v3, i);
            a03 = r0.fma(v, a03); a13 = r1.fma(v, a13); a23 = r2.fma(v, a23); a33 = r3.fma(v, a33);
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, 1 * LANES);
        a02.intoArray(out, 2 * LANES);
        a03.intoArray(out, 3 * LANES);
        a10.intoArray(out, 4 * LANES);
        a11.intoArray(out, 5 * LANES);
        a12.intoArray(out, 6 * LANES);
        a13.intoArray(out, 7 * LANES);
        a20.intoArray(out, 8 * LANES);
        a21.intoArray(out, 9 * LANES);
        a22.intoArray(out, 10 * LANES);
        a23.intoArray(out, 11 * LANES);
        a30.intoArray(out, 12 * LANES);
        a31.intoArray(out, 13 * LANES);
        a32.intoArray(out, 14 * LANES);
        a33.intoArray(out, 15 * LANES);
        sumLanesInPlace(out, 16);
        for (; i < n; i++) {
            float r0 = a[o0 + i], r1 = a[o1 + i], r2 = a[o2 + i], r3 = a[o3 + i];
            for (int k = 0; k < 4; k++) {
                float v = x[x0 + k][i];
                out[k] += r0 * v;
                out[4 + k] += r1 * v;
                out[8 + k] += r2 * v;
                out[12 + k] += r3 * v;
            }
        }
    }

    /**
     * {@link #dotRows4x4} for two vectors: {@code out[2 * i + k] = a[o_i ..] . x[x0 + k]} over n values, each sum
     * formed as there (a grouped-query attention's heads left over after whole fours).
     */
    public static void dotRows4x2(float[] a, int o0, int o1, int o2, int o3, float[][] x, int x0, int n, float[] out) {
        float[] v0 = x[x0], v1 = x[x0 + 1];
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector r0 = FloatVector.fromArray(S, a, o0 + i), r1 = FloatVector.fromArray(S, a, o1 + i);
            FloatVector r2 = FloatVector.fromArray(S, a, o2 + i), r3 = FloatVector.fromArray(S, a, o3 + i);
            FloatVector v = FloatVector.fromArray(S, v0, i);
            a00 = r0.fma(v, a00); a10 = r1.fma(v, a10); a20 = r2.fma(v, a20); a30 = r3.fma(v, a30);
            v = FloatVector.fromArray(S, v1, i);
            a01 = r0.fma(v, a01); a11 = r1.fma(v, a11); a21 = r2.fma(v, a21); a31 = r3.fma(v, a31);
        }
        a00.intoArray(out, 0);
        a01.intoArray(out, LANES);
        a10.intoArray(out, 2 * LANES);
        a11.intoArray(out, 3 * LANES);
        a20.intoArray(out, 4 * LANES);
        a21.intoArray(out, 5 * LANES);
        a30.intoArray(out, 6 * LANES);
        a31.intoArray(out, 7 * LANES);
        sumLanesInPlace(out, 8);
        for (; i < n; i++) {
            float r0 = a[o0 + i], r1 = a[o1 + i], r2 = a[o2 + i], r3 = a[o3 + i];
            for (int k = 0; k < 2; k++) {
                float v = x[x0 + k][i];
                out[k] += r0 * v;
                out[2 + k] += r1 * v;
                out[4 + k] += r2 * v;
                out[6 + k] += r3 * v;
            }
        }
    }

    /** {@link #dotRows4x4} for one vector: {@code out[i] = a[o_i ..] . v} over n values, each sum formed as there. */
    public static void dotRows4x1(float[] a, int o0, int o1, int o2, int o3, float[] v, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, v, i);
            a0 = FloatVector.fromArray(S, a, o0 + i).fma(x, a0);
            a1 = FloatVector.fromArray(S, a, o1 + i).fma(x, a1);
            a2 = FloatVector.fromArray(S, a, o2 + i).fma(x, a2);
            a3 = FloatVector.fromArray(S, a, o3 + i).fma(x, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, LANES);
        a2.intoArray(out, 2 * LANES);
        a3.intoArray(out, 3 * LANES);
        sumLanesInPlace(out, 4);
        for (; i < n; i++) {
            out[0] += a[o0 + i] * v[i];
            out[1] += a[o1 + i] * v[i];
            out[2] += a[o2 + i] * v[i];
            out[3] += a[o3 + i] * v[i];
        }
    }

    /**
     * {@link #axpyRows4x4} for two vectors: {@code y[y0 + k][0 ..] += sum_i w[2 * i + k] * a[o_i ..]} for k in 0..1,
     * each y value taking the same steps as there.
     */
    public static void axpyRows4x2(float[] w, float[] a, int o0, int o1, int o2, int o3, float[][] y, int y0, int n) {
        float[] u0 = y[y0], u1 = y[y0 + 1];
        FloatVector c0 = FloatVector.broadcast(S, w[0]), c1 = FloatVector.broadcast(S, w[1]);
        FloatVector c2 = FloatVector.broadcast(S, w[2]), c3 = FloatVector.broadcast(S, w[3]);
        FloatVector c4 = FloatVector.broadcast(S, w[4]), c5 = FloatVector.broadcast(S, w[5]);
        FloatVector c6 = FloatVector.broadcast(S, w[6]), c7 = FloatVector.broadcast(S, w[7]);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector r0 = FloatVector.fromArray(S, a, o0 + i), r1 = FloatVector.fromArray(S, a, o1 + i);
            FloatVector r2 = FloatVector.fromArray(S, a, o2 + i), r3 = FloatVector.fromArray(S, a, o3 + i);
            FloatVector u = FloatVector.fromArray(S, u0, i);
            u = r0.fma(c0, u);
            u = r1.fma(c2, u);
            u = r2.fma(c4, u);
            r3.fma(c6, u).intoArray(u0, i);
            u = FloatVector.fromArray(S, u1, i);
            u = r0.fma(c1, u);
            u = r1.fma(c3, u);
            u = r2.fma(c5, u);
            r3.fma(c7, u).intoArray(u1, i);
        }
        int[] rows = {o0, o1, o2, o3};
        for (; i < n; i++) { // as axpyRows4x4's tail
            for (int r = 0; r < 4; r++) {
                for (int k = 0; k < 2; k++) {
                    y[y0 + k][i] += w[2 * r + k] * a[rows[r] + i];
                }
            }
        }
    }

    /** {@link #axpyRows4x4} for one vector: {@code u[0 ..] += sum_i w[i] * a[o_i ..]}, each value taking the same steps as there. */
    public static void axpyRows4x1(float[] w, float[] a, int o0, int o1, int o2, int o3, float[] u, int n) {
        FloatVector c0 = FloatVector.broadcast(S, w[0]), c1 = FloatVector.broadcast(S, w[1]);
        FloatVector c2 = FloatVector.broadcast(S, w[2]), c3 = FloatVector.broadcast(S, w[3]);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, u, i);
            acc = FloatVector.fromArray(S, a, o0 + i).fma(c0, acc);
            acc = FloatVector.fromArray(S, a, o1 + i).fma(c1, acc);
            acc = FloatVector.fromArray(S, a, o2 + i).fma(c2, acc);
            FloatVector.fromArray(S, a, o3 + i).fma(c3, acc).intoArray(u, i);
        }
        for (; i < n; i++) {
            u[i] += w[0] * a[o0 + i];
            u[i] += w[1] * a[o1 + i];
            u[i] += w[2] * a[o2 + i];
            u[i] += w[3] * a[o3 + i];
        }
    }

    /**
     * {@code y[y0 + k][0 ..] += sum_i w[4 * i + k] * a[o_i ..]} for k in 0..3 over n values: four rows of
     * {@code a} added into four vectors, each loaded chunk used four times, each y chunk loaded and stored once.
     */
    public static void axpyRows4x4(float[] w, float[] a, int o0, int o1, int o2, int o3, float[][] y, int y0, int n) {
        float[] u0 = y[y0], u1 = y[y0 + 1], u2 = y[y0 + 2], u3 = y[y0 + 3];
        FloatVector c0 = FloatVector.broadcast(S, w[0]), c1 = FloatVector.broadcast(S, w[1]);
        FloatVector c2 = FloatVector.broadcast(S, w[2]), c3 = FloatVector.broadcast(S, w[3]);
        FloatVector c4 = FloatVector.broadcast(S, w[4]), c5 = FloatVector.broadcast(S, w[5]);
        FloatVector c6 = FloatVector.broadcast(S, w[6]), c7 = FloatVector.broadcast(S, w[7]);
        FloatVector c8 = FloatVector.broadcast(S, w[8]), c9 = FloatVector.broadcast(S, w[9]);
        FloatVector c10 = FloatVector.broadcast(S, w[10]), c11 = FloatVector.broadcast(S, w[11]);
        FloatVector c12 = FloatVector.broadcast(S, w[12]), c13 = FloatVector.broadcast(S, w[13]);
        FloatVector c14 = FloatVector.broadcast(S, w[14]), c15 = FloatVector.broadcast(S, w[15]);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector r0 = FloatVector.fromArray(S, a, o0 + i), r1 = FloatVector.fromArray(S, a, o1 + i);
            FloatVector r2 = FloatVector.fromArray(S, a, o2 + i), r3 = FloatVector.fromArray(S, a, o3 + i);
            FloatVector u = FloatVector.fromArray(S, u0, i);
            u = r0.fma(c0, u);
            u = r1.fma(c4, u);
            u = r2.fma(c8, u);
            r3.fma(c12, u).intoArray(u0, i);
            u = FloatVector.fromArray(S, u1, i);
            u = r0.fma(c1, u);
            u = r1.fma(c5, u);
            u = r2.fma(c9, u);
            r3.fma(c13, u).intoArray(u1, i);
            u = FloatVector.fromArray(S, u2, i);
            u = r0.fma(c2, u);
            u = r1.fma(c6, u);
            u = r2.fma(c10, u);
            r3.fma(c14, u).intoArray(u2, i);
            u = FloatVector.fromArray(S, u3, i);
            u = r0.fma(c3, u);
            u = r1.fma(c7, u);
            u = r2.fma(c11, u);
            r3.fma(c15, u).intoArray(u3, i);
        }
        int[] rows = {o0, o1, o2, o3};
        for (; i < n; i++) { // as axpy4's tail, one row after the other
            for (int r = 0; r < 4; r++) {
                for (int k = 0; k < 4; k++) {
                    y[y0 + k][i] += w[4 * r + k] * a[rows[r] + i];
                }
            }
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
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
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
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
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

    /** {@code x[off .. off + n) *= factor}. */
    public static void scale(float[] x, int off, int n, float factor) {
        for (int i = off; i < off + n; i++) {
            x[i] *= factor;
        }
    }

    /**
     * Softmax in place over {@code x[off .. off + n)}: e^(x - max) by {@link #exp}, summed in doubles.
     * In the loops the fresh vector is the receiver, never the accumulator: C2 knows the accumulator's class
     * only from a type profile, which a method compiled early (at tier 2, under a long C2 queue) may lack;
     * then every operation is a virtual call that boxes (seen on decoding's softmax, 15-25% of the speed).
     */
    public static void softmax(float[] x, int off, int n) {
        double sum = expSum(x, off, n, max(x, off, n));
        float inv = (float) (1.0 / sum);
        int i, vectorEnd = off + S.loopBound(n);
        for (i = off; i < vectorEnd; i += S.length()) {
            FloatVector.fromArray(S, x, i).mul(inv).intoArray(x, i);
        }
        for (; i < off + n; i++) {
            x[i] *= inv;
        }
    }

    /** The largest of {@code x[off .. off + n)}. */
    private static float max(float[] x, int off, int n) {
        int i, vectorEnd = off + S.loopBound(n);
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (i = off; i < vectorEnd; i += S.length()) {
            m = FloatVector.fromArray(S, x, i).max(m);
        }
        float max = m.reduceLanes(VectorOperators.MAX); // exact in any order
        for (; i < off + n; i++) {
            max = Math.max(max, x[i]);
        }
        return max;
    }

    /** {@code x[off .. off + n) = e^(x - shift)} by {@link #exp}; returns their sum, in doubles in a fixed order. */
    private static double expSum(float[] x, int off, int n, float shift) {
        exp(x, off, n, 1f, shift);
        int i, vectorEnd = off + S.loopBound(n);
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        for (i = off; i < vectorEnd; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, i);
            s0 = ((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0)).add(s0);
            s1 = ((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1)).add(s1);
        }
        DoubleVector lanes = s0.add(s1);
        double sum = 0;
        for (int j = 0; j < D.length(); j++) { // a fixed order: reduceLanes may associate differently once compiled
            sum += lanes.lane(j);
        }
        for (; i < off + n; i++) {
            sum += x[i];
        }
        return sum;
    }

    public static void softmaxScalar(float[] x, int off, int n) {
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

    // e^x = 2^k e^r, k = round(x log2 e), r = x - k ln 2 in two parts (Cody-Waite), e^r = 1 + r + r^2 p(r) with
    // Cephes' expf polynomial; 2^k from the exponent bits. Below EXP_MIN (e^x under the smallest normal float) 0.
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float EXP_MIN = -87.33f, EXP_MAX = 88.3f, ROUNDER = 0x1.8p23f; // adding 1.5 * 2^23 rounds to an integer
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * {@code x[off .. off + n) = e^(sign x - shift)}, within a few ulps of {@link Math#exp}; whole vectors and
     * the tail ({@link #expScalar}) give the same bits. It works on arrays, not on a vector argument: a vector
     * passed to a method C2 compiled on its own (as it may, depending on what got hot first) is boxed, and
     * every operation then runs its allocating fallback (seen in decoding's softmax).
     */
    static void exp(float[] x, int off, int n, float sign, float shift) {
        int i = off;
        for (; i < off + S.loopBound(n); i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i).mul(sign).sub(shift);
            FloatVector c = v.max(EXP_MIN).min(EXP_MAX);
            FloatVector t = c.fma(LOG2E, ROUNDER), k = t.sub(ROUNDER);
            FloatVector r = FloatVector.broadcast(S, -LN2_HI).fma(k, c);
            r = FloatVector.broadcast(S, -LN2_LO).fma(k, r);
            FloatVector p = r.fma(P0, P1);
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            // t's low mantissa bits hold k + 2^22: 2^k's bits are (k + 127) << 23
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(Float.floatToRawIntBits(ROUNDER) - 127).lanewise(VectorOperators.LSHL, 23);
            y.mul(bits.reinterpretAsFloats()).blend(0f, v.lt(EXP_MIN)).intoArray(x, i);
        }
        for (; i < off + n; i++) {
            x[i] = expScalar(x[i] * sign - shift);
        }
    }

    /** {@link #exp} for one value, the same operations in the same order. */
    static float expScalar(float x) {
        if (x < EXP_MIN) {
            return 0f;
        }
        float c = Math.min(x, EXP_MAX);
        float t = Math.fma(c, LOG2E, ROUNDER), k = t - ROUNDER;
        float r = Math.fma(k, -LN2_HI, c);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (Float.floatToRawIntBits(ROUNDER) - 127)) << 23);
    }

    /**
     * SwiGLU gate: {@code gate[i] = gate[i] up[i] / (1 + e^-gate[i])} (silu(g) u) with {@link #exp};
     * {@code up} is overwritten.
     */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (; i < S.loopBound(n); i += S.length()) {
            FloatVector.fromArray(S, gate, i).mul(FloatVector.fromArray(S, up, i)).intoArray(up, i);
        }
        for (; i < n; i++) {
            up[i] = gate[i] * up[i];
        }
        exp(gate, 0, n, -1f, 0f);
        for (i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector.fromArray(S, up, i).div(FloatVector.fromArray(S, gate, i).add(1f)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            gate[i] = up[i] / (1f + gate[i]);
        }
    }

    public static void swigluScalar(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g * up[i] / (1f + (float) Math.exp(-g));
        }
    }

    public static void add(float[] y, float[] x, int n) {
        axpy(1f, x, 0, y, 0, n);
    }
}
