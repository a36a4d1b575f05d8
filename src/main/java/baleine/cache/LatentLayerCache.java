package baleine.cache;

/**
 * MLA's compressed cache: per token only the normalised latent {@code c} (kv_lora_rank values) and the
 * roped key part {@code k_pe} (qk_rope_head_dim values), shared by all heads. Both sit in one row, so a
 * head's score is one dot product of the row with its absorbed query followed by its rope query.
 */
public final class LatentLayerCache implements LayerCache {
    public final int latentDim;
    public final int ropeDim;
    private final RowStore rows;

    public LatentLayerCache(int latentDim, int ropeDim, CacheType type) {
        this.latentDim = latentDim;
        this.ropeDim = ropeDim;
        this.rows = RowStore.of(type, latentDim + ropeDim);
    }

    @Override
    public void ensureRows(int tokens, int limit) {
        rows.ensureRows(tokens, limit);
    }

    @Override
    public int valuesPerToken() {
        return latentDim + ropeDim;
    }

    @Override
    public int bytesPerToken() {
        return rows.bytesPerRow();
    }

    /** Stores row {@code row}: {@code src[off ..]} holds latent then rope key. */
    public void put(int row, float[] src, int off) {
        rows.put(row, src, off);
    }

    /** Rows (latent, then rope key) of positions [from, to) as floats ({@link RowStore#view}, scratch slot 0). */
    public RowStore.View view(int[] rows, int from, int to) {
        return this.rows.view(rows, from, to, 0, valuesPerToken(), 0);
    }
}
