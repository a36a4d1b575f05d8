package baleine.cache;

/** Every block of the shared KV cache is in use by running sequences. */
public final class CacheFullException extends RuntimeException {
    public CacheFullException(int blocks) {
        super("the KV cache is full (" + blocks + " blocks of " + BlockPool.BLOCK + " tokens all in use); "
                + "retry later, or give the server more --cache-memory");
    }
}
