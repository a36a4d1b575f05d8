package baleine.model.blocks;

/**
 * Rotary position embedding over {@code dim} values. Pairs are either adjacent values (2i, 2i+1),
 * as in DeepSeek's reference and llama.cpp's "normal" mode, or the two halves (i, i + dim/2), as in
 * Hugging Face's rotate_half / llama.cpp's NeoX mode. Frequencies may be rescaled (YaRN, llama3).
 */
public final class Rope {
    public enum Pairing { INTERLEAVED, HALVES }

    private final double[] invFreq;
    private final Pairing pairing;
    private final double magnitude;

    private Rope(double[] invFreq, Pairing pairing, double magnitude) {
        this.invFreq = invFreq;
        this.pairing = pairing;
        this.magnitude = magnitude;
    }

    public static double[] baseFrequencies(int dim, double theta) {
        double[] f = new double[dim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(theta, 2.0 * i / dim);
        }
        return f;
    }

    public static Rope standard(int dim, double theta, Pairing pairing) {
        return new Rope(baseFrequencies(dim, theta), pairing, 1.0);
    }

    /** Frequencies divided by per-pair factors (llama.cpp's {@code rope_freqs} tensor). */
    public static Rope withFactors(int dim, double theta, Pairing pairing, float[] factors) {
        double[] f = baseFrequencies(dim, theta);
        for (int i = 0; i < f.length; i++) {
            f[i] /= factors[i];
        }
        return new Rope(f, pairing, 1.0);
    }

    /** Llama 3 scaling: long wavelengths divided by {@code factor}, short ones kept, smooth between. */
    public static Rope llama3(int dim, double theta, Pairing pairing, double factor, double lowFreqFactor,
                              double highFreqFactor, int originalContext) {
        return withFactors(dim, theta, pairing, llama3Factors(dim, theta, factor, lowFreqFactor, highFreqFactor, originalContext));
    }

    /** The divisor llama3 scaling applies to each pair's frequency (what llama.cpp stores as {@code rope_freqs}). */
    public static float[] llama3Factors(int dim, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                                        int originalContext) {
        double[] f = baseFrequencies(dim, theta);
        float[] divisors = new float[f.length];
        double lowWavelen = originalContext / lowFreqFactor, highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) {
                divisors[i] = (float) factor;
            } else if (wavelen >= highWavelen) {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                divisors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            } else {
                divisors[i] = 1f;
            }
        }
        return divisors;
    }

    /**
     * YaRN: frequencies whose wavelength is short keep their value, long ones are divided by {@code factor},
     * with a linear ramp between the correction dims of {@code betaFast} and {@code betaSlow} rotations.
     * {@code magnitude} multiplies cos and sin (Hugging Face's mscale / mscale_all_dim ratio).
     */
    public static Rope yarn(int dim, double theta, Pairing pairing, double factor, int originalContext,
                            double betaFast, double betaSlow, double magnitude) {
        double[] f = baseFrequencies(dim, theta);
        double low = Math.max(Math.floor(correctionDim(betaFast, dim, theta, originalContext)), 0);
        double high = Math.min(Math.ceil(correctionDim(betaSlow, dim, theta, originalContext)), dim - 1);
        if (low == high) {
            high += 0.001;
        }
        for (int i = 0; i < f.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double keep = 1 - ramp;
            f[i] = f[i] / factor * (1 - keep) + f[i] * keep;
        }
        return new Rope(f, pairing, magnitude);
    }

    static double correctionDim(double rotations, int dim, double theta, int originalContext) {
        return dim * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** YaRN's attention temperature: {@code 0.1 * mscale * ln(factor) + 1} (1 when not scaling up). */
    public static double yarnMscale(double factor, double mscale) {
        return factor <= 1 ? 1.0 : 0.1 * mscale * Math.log(factor) + 1.0;
    }

    public int dim() {
        return 2 * invFreq.length;
    }

    /** Rotates {@code x[off .. off + dim)} for position {@code pos}. */
    public void apply(float[] x, int off, int pos) {
        applyHeads(x, off, 1, 0, pos);
    }

    /**
     * Rotates {@code heads} vectors of {@code dim} values, at {@code off}, {@code off + stride}, ..., all for
     * position {@code pos}: each pair's cosine and sine are computed once for all of them (per head they cost
     * more than the rotation: 0.9 ms a layer for a 64-token Qwen-shape prompt), and each head gets exactly the
     * values {@link #apply} gives it.
     */
    public void applyHeads(float[] x, int off, int heads, int stride, int pos) {
        int half = invFreq.length;
        for (int i = 0; i < half; i++) {
            double angle = pos * invFreq[i];
            double cos = Math.cos(angle) * magnitude, sin = Math.sin(angle) * magnitude;
            for (int h = 0; h < heads; h++) {
                int a = pairing == Pairing.INTERLEAVED ? off + h * stride + 2 * i : off + h * stride + i;
                int b = pairing == Pairing.INTERLEAVED ? a + 1 : a + half;
                double x0 = x[a], x1 = x[b];
                x[a] = (float) (x0 * cos - x1 * sin);
                x[b] = (float) (x0 * sin + x1 * cos);
            }
        }
    }
}
