package baleine.cache;

/** The cached keys/values of one layer; grows on demand up to the context length. */
public interface LayerCache {
    /** Makes room for {@code tokens} positions in total. */
    void ensureCapacity(int tokens);

    /** Floats stored per token in this layer. */
    int valuesPerToken();
}
