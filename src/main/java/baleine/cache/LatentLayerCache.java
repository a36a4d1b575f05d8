package baleine.cache;

import java.util.Arrays;

/**
 * MLA's compressed cache: per token only the normalised latent {@code c} (kv_lora_rank values) and the
 * roped key part {@code k_pe} (qk_rope_head_dim values), shared by all heads.
 */
public final class LatentLayerCache implements LayerCache {
    public final int latentDim;
    public final int ropeDim;
    private float[] latent = new float[0];
    private float[] ropeKeys = new float[0];

    public LatentLayerCache(int latentDim, int ropeDim) {
        this.latentDim = latentDim;
        this.ropeDim = ropeDim;
    }

    @Override
    public void ensureRows(int tokens) {
        if ((long) tokens * latentDim > latent.length) {
            int cap = Math.max(tokens, Math.min(2 * latent.length / Math.max(1, latentDim), Integer.MAX_VALUE / Math.max(latentDim, 1)));
            latent = Arrays.copyOf(latent, Math.toIntExact((long) cap * latentDim));
            ropeKeys = Arrays.copyOf(ropeKeys, Math.toIntExact((long) cap * ropeDim));
        }
    }

    @Override
    public int valuesPerToken() {
        return latentDim + ropeDim;
    }

    /** Stores row {@code row}: {@code src[off ..]} holds latent then rope key. */
    public void put(int row, float[] src, int off) {
        System.arraycopy(src, off, latent, row * latentDim, latentDim);
        System.arraycopy(src, off + latentDim, ropeKeys, row * ropeDim, ropeDim);
    }

    public float[] latent() {
        return latent;
    }

    public float[] ropeKeys() {
        return ropeKeys;
    }
}
