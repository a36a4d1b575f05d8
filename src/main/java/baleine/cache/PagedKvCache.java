package baleine.cache;

import java.util.ArrayList;
import java.util.List;

/** A sequence's view of a {@link BlockPool}: its block table, position p living in block p / 64, row p % 64. */
public final class PagedKvCache extends KvCache {
    private final BlockPool pool;
    private final List<Integer> table;

    PagedKvCache(BlockPool pool, List<LayerCache> layers, int contextLength, List<Integer> table) {
        super(layers, contextLength, table.size() * BlockPool.BLOCK);
        this.pool = pool;
        this.table = new ArrayList<>(table);
    }

    List<Integer> table() {
        return table;
    }

    @Override
    public int row(int pos) {
        return table.get(pos / BlockPool.BLOCK) * BlockPool.BLOCK + pos % BlockPool.BLOCK;
    }

    @Override
    protected void makeRoom(int tokens) {
        int needed = (tokens + BlockPool.BLOCK - 1) / BlockPool.BLOCK;
        List<Integer> added = new ArrayList<>();
        try {
            while (table.size() + added.size() < needed) {
                added.add(pool.allocate());
            }
        } catch (CacheFullException e) {
            pool.release(added);
            throw e;
        }
        table.addAll(added);
        if (length() % BlockPool.BLOCK != 0 && !pool.privateBlock(table.get(length() / BlockPool.BLOCK))) {
            throw new IllegalStateException("writing into a shared block"); // attach() only shares whole blocks
        }
    }

    @Override
    protected void released(int newLength) {
        int keep = (newLength + BlockPool.BLOCK - 1) / BlockPool.BLOCK;
        if (keep < table.size()) {
            List<Integer> dropped = new ArrayList<>(table.subList(keep, table.size()));
            table.subList(keep, table.size()).clear();
            pool.release(dropped);
        }
        if (newLength % BlockPool.BLOCK != 0 && !pool.privateBlock(table.get(newLength / BlockPool.BLOCK))) {
            // the kept part ends inside a shared block: forget that block too rather than write into it
            int last = newLength / BlockPool.BLOCK;
            pool.release(new ArrayList<>(table.subList(last, table.size())));
            table.subList(last, table.size()).clear();
            super.truncate(last * BlockPool.BLOCK);
        }
    }

    /** Gives every block back to the pool (the sequence is done). */
    public void close() {
        pool.release(new ArrayList<>(table));
        table.clear();
    }
}
