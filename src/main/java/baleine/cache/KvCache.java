package baleine.cache;

import java.util.List;

/**
 * The attention cache of one sequence: one {@link LayerCache} per layer, holding positions
 * [0, {@link #length()}) of at most {@link #contextLength()}.
 */
public final class KvCache {
    private final List<LayerCache> layers;
    private final int contextLength;
    private int length;

    public KvCache(List<LayerCache> layers, int contextLength) {
        this.layers = List.copyOf(layers);
        this.contextLength = contextLength;
    }

    public int length() {
        return length;
    }

    public int contextLength() {
        return contextLength;
    }

    public LayerCache layer(int i) {
        return layers.get(i);
    }

    /** Checks that {@code n} more tokens fit and makes room for them; the cache is unchanged on failure. */
    public void reserve(int n) {
        if ((long) length + n > contextLength) {
            throw new ContextOverflowException(length, n, contextLength);
        }
        for (LayerCache l : layers) {
            l.ensureCapacity(length + n);
        }
    }

    /** Marks {@code n} reserved positions as filled. */
    public void commit(int n) {
        length += n;
    }

    /** Forgets every position from {@code newLength} on (e.g. to rewind a conversation). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " tokens to " + newLength);
        }
        length = newLength;
    }

    public long valuesPerToken() {
        return layers.stream().mapToLong(LayerCache::valuesPerToken).sum();
    }

    /** Bytes used per cached token over all layers (float32 storage). */
    public long bytesPerToken() {
        return 4 * valuesPerToken();
    }
}
