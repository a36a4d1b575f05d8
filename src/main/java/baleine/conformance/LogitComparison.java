package baleine.conformance;

/** How far one set of logits is from a reference: max |log-softmax difference| and top-1 agreement. */
public record LogitComparison(double maxAbsLogprobDiff, double top1Agreement) {

    /** Compares row by row; both arrays hold {@code rows} rows of {@code vocab} logits. */
    public static LogitComparison of(float[][] ours, float[] reference, int vocab) {
        double maxDiff = 0;
        int agree = 0;
        for (int r = 0; r < ours.length; r++) {
            double[] a = logSoftmax(ours[r], 0, vocab);
            double[] b = logSoftmax(reference, r * vocab, vocab);
            for (int i = 0; i < vocab; i++) {
                double d = Math.abs(a[i] - b[i]);
                if (!(d <= maxDiff)) {
                    maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                }
            }
            if (argmax(a) == argmax(b)) {
                agree++;
            }
        }
        return new LogitComparison(maxDiff, (double) agree / ours.length);
    }

    public boolean within(double maxDiff, double minTop1) {
        return maxAbsLogprobDiff <= maxDiff && top1Agreement >= minTop1;
    }

    static double[] logSoftmax(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(x[off + i] - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = x[off + i] - lse;
        }
        return out;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
