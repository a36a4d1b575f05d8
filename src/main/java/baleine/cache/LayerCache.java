package baleine.cache;

/** The cached keys/values of one layer, one row per token, grown on demand; which row holds a position is the {@link KvCache}'s business. */
public interface LayerCache {
    /** Makes room for {@code rows} rows in total, growing by doubling but never past {@code limit} rows. */
    void ensureRows(int rows, int limit);

    /** Values stored per token in this layer. */
    int valuesPerToken();

    /** Bytes stored per token in this layer (for its {@link CacheType}). */
    int bytesPerToken();
}
