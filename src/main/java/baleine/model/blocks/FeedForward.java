package baleine.model.blocks;

/** The position-wise half of a transformer layer: dense MLP or mixture of experts. */
public interface FeedForward {
    /** {@code y[t] = ffn(x[t])} for t in [0, n). */
    float[][] forward(float[][] x, int n);

    /** Parameters used for one token (all of them for a dense MLP). */
    long activeParameters();

    long totalParameters();

    /** Bytes of weight matrices one token reads (the selected experts only, for a mixture). */
    long activeWeightBytes();
}
