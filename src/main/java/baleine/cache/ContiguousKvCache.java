package baleine.cache;

import java.util.List;

/** A private cache whose row for position p is p, growing on demand (the CLI's and the Java API's conversations). */
public final class ContiguousKvCache extends KvCache {
    public ContiguousKvCache(List<LayerCache> layers, int contextLength) {
        super(layers, contextLength, 0);
    }

    @Override
    public int row(int pos) {
        return pos;
    }

    @Override
    protected void makeRoom(int tokens) {
        for (LayerCache l : layers()) {
            l.ensureRows(tokens, contextLength());
        }
    }
}
