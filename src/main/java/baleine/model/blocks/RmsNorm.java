package baleine.model.blocks;

import baleine.model.Activations;
import baleine.tensor.VectorMath;

/** Root-mean-square normalisation with a learned per-channel scale. */
public record RmsNorm(float[] weight, float eps) {
    public void apply(float[] x, int off) {
        VectorMath.rmsNorm(x, off, weight.length, weight, eps);
    }

    /** A normalised copy of each of the first {@code n} rows. */
    public float[][] applyCopy(float[][] x, int n) {
        float[][] out = Activations.take(n, x[0].length);
        for (int t = 0; t < n; t++) {
            System.arraycopy(x[t], 0, out[t], 0, out[t].length);
            apply(out[t], 0);
        }
        return out;
    }
}
