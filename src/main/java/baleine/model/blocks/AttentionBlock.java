package baleine.model.blocks;

import baleine.cache.LayerCache;

/** The attention half of a transformer layer, with the cache layout it needs. */
public interface AttentionBlock {
    LayerCache newCache();

    /**
     * Attends tokens at positions [start, start + n) (inputs already normalised) over the cache, after
     * storing their keys at those positions; returns the output projection of each.
     */
    float[][] forward(float[][] x, int n, LayerCache cache, int start);

    long parameters();
}
