package baleine.cache;

import java.util.Arrays;

/**
 * MLA's compressed cache: per token only the normalised latent {@code c} (kv_lora_rank values) and the
 * roped key part {@code k_pe} (qk_rope_head_dim values), shared by all heads. Both sit in one row, so a
 * head's score is one dot product of the row with its absorbed query followed by its rope query.
 */
public final class LatentLayerCache implements LayerCache {
    public final int latentDim;
    public final int ropeDim;
    private float[] values = new float[0];

    public LatentLayerCache(int latentDim, int ropeDim) {
        this.latentDim = latentDim;
        this.ropeDim = ropeDim;
    }

    @Override
    public void ensureRows(int tokens, int limit) {
        int width = valuesPerToken();
        if ((long) tokens * width > values.length) {
            int cap = Math.max(tokens, Math.min(Math.min(2 * values.length / width, limit), Integer.MAX_VALUE / width));
            values = Arrays.copyOf(values, Math.toIntExact((long) cap * width));
        }
    }

    @Override
    public int valuesPerToken() {
        return latentDim + ropeDim;
    }

    /** Stores row {@code row}: {@code src[off ..]} holds latent then rope key. */
    public void put(int row, float[] src, int off) {
        System.arraycopy(src, off, values, row * valuesPerToken(), valuesPerToken());
    }

    /** Row r at {@code [r * valuesPerToken(), ...)}: latent, then rope key. */
    public float[] values() {
        return values;
    }
}
