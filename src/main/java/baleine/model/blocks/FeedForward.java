package baleine.model.blocks;

import baleine.tensor.Weight;

import java.util.List;

/** The position-wise half of a transformer layer: dense MLP or mixture of experts. */
public interface FeedForward {
    /** {@code y[t] = ffn(x[t])} for t in [0, n). */
    float[][] forward(float[][] x, int n);

    /** Parameters used for one token (all of them for a dense MLP). */
    long activeParameters();

    long totalParameters();

    /** The weight matrices it multiplies activations by (one of each kind of expert for a mixture). */
    List<Weight> matrices();

    /** Bytes of weight matrices one token reads (the selected experts only, for a mixture). */
    long activeWeightBytes();
}
