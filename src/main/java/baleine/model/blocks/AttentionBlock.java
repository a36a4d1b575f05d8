package baleine.model.blocks;

import baleine.cache.CacheType;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.tensor.Weight;

import java.util.List;

/** The attention half of a transformer layer, with the cache layout it needs. */
public interface AttentionBlock {
    /** Empty storage for one layer of a cache holding values of the given type. */
    LayerCache newCache(CacheType type);

    /**
     * Attends tokens at positions [cache.length(), cache.length() + n) (inputs already normalised) over
     * layer {@code layer} of the cache, after storing their keys there; returns the output projection of each.
     */
    float[][] forward(float[][] x, int n, KvCache cache, int layer);

    long parameters();

    /** The weight matrices it multiplies activations by: all of them, for every token. */
    List<Weight> matrices();

    /** Bytes of weight matrices one token reads: its {@link #matrices}'. */
    default long weightBytes() {
        return matrices().stream().mapToLong(Weight::bytes).sum();
    }
}
