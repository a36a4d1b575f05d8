package baleine.cache;

/** Standard (GQA) attention cache: full keys and values of every KV head per token. */
public final class DenseLayerCache implements LayerCache {
    public final int kvDim;
    private final RowStore keys;
    private final RowStore values;

    public DenseLayerCache(int kvDim, CacheType type) {
        this.kvDim = kvDim;
        this.keys = RowStore.of(type, kvDim);
        this.values = RowStore.of(type, kvDim);
    }

    @Override
    public void ensureRows(int tokens, int limit) {
        keys.ensureRows(tokens, limit);
        values.ensureRows(tokens, limit);
    }

    @Override
    public int valuesPerToken() {
        return 2 * kvDim;
    }

    @Override
    public int bytesPerToken() {
        return keys.bytesPerRow() + values.bytesPerRow();
    }

    public void put(int row, float[] k, int kOff, float[] v, int vOff) {
        keys.put(row, k, kOff);
        values.put(row, v, vOff);
    }

    /**
     * Values {@code [offset, offset + count)} of the keys of positions [from, to) as floats (scratch slot 0), brought
     * into the cache first ({@link RowStore#prefetch}).
     */
    public RowStore.View keys(int[] rows, int from, int to, int offset, int count) {
        keys.prefetch(rows, from, to, offset, count);
        return keys.view(rows, from, to, offset, count, 0);
    }

    /** The same of the values (scratch slot 1: usable beside the keys' view). */
    public RowStore.View values(int[] rows, int from, int to, int offset, int count) {
        values.prefetch(rows, from, to, offset, count);
        return values.view(rows, from, to, offset, count, 1);
    }
}
