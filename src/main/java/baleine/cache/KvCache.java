package baleine.cache;

import java.util.List;

/**
 * The attention cache of one sequence: positions [0, {@link #length()}) of at most {@link #contextLength()},
 * stored in per-layer {@link LayerCache} rows. Where a position's row is depends on the kind: contiguous
 * (row = position) or paged (blocks of {@link BlockPool#BLOCK} tokens shared between sequences).
 */
public abstract sealed class KvCache permits ContiguousKvCache, PagedKvCache {
    private final List<LayerCache> layers;
    private final int contextLength;
    private int length;
    private int[] rows = new int[0];

    protected KvCache(List<LayerCache> layers, int contextLength, int length) {
        this.layers = List.copyOf(layers);
        this.contextLength = contextLength;
        this.length = length;
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

    protected List<LayerCache> layers() {
        return layers;
    }

    /** The storage row of position {@code pos} (reserved or filled). */
    public abstract int row(int pos);

    /**
     * Rows of positions [0, n) in the first n entries of an array this cache reuses (valid until its next
     * call: one array per sequence instead of one per layer and token).
     */
    public int[] rows(int n) {
        if (rows.length < n) {
            rows = new int[Math.max(n, rows.length + rows.length / 2)];
        }
        for (int p = 0; p < n; p++) {
            rows[p] = row(p);
        }
        return rows;
    }

    /** Checks that {@code n} more tokens fit and makes room for them; the cache is unchanged on failure. */
    public void reserve(int n) {
        if ((long) length + n > contextLength) {
            throw new ContextOverflowException(length, n, contextLength);
        }
        makeRoom(length + n);
    }

    /** Gives positions [0, tokens) a row each. */
    protected abstract void makeRoom(int tokens);

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
        released(newLength);
    }

    /** Lets go of storage beyond {@code newLength}, if the kind holds any. */
    protected void released(int newLength) {
    }

    public long valuesPerToken() {
        return layers.stream().mapToLong(LayerCache::valuesPerToken).sum();
    }

    /** Bytes used per cached token over all layers. */
    public long bytesPerToken() {
        return layers.stream().mapToLong(LayerCache::bytesPerToken).sum();
    }
}
