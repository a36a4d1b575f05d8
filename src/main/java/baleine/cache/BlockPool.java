package baleine.cache;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A paged KV cache shared by all sequences of a server, in blocks of {@value #BLOCK} tokens (FlashMLA's
 * page size). A full block is identified by the hash of every token up to its end, so two sequences with
 * the same prefix share the same blocks, whether the first one is still running or has finished. Blocks no
 * sequence uses stay cached for later requests and are evicted least recently used first when space runs out.
 * Not thread-safe: the scheduler thread owns it.
 */
public final class BlockPool {
    public static final int BLOCK = 64;

    private final List<LayerCache> layers;
    private final int blocks;
    private final int[] refs;
    private final long[] hashOf;            // the prefix hash a block is registered under, or 0
    private final Map<Long, Integer> index = new HashMap<>();
    private final LinkedHashSet<Integer> idle = new LinkedHashSet<>(); // registered, unused: least recently used first
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int fresh;                      // blocks [fresh, blocks) have never been used: their storage grows on demand

    /** @param layerStorage makes one empty layer cache per layer (the model's layout) */
    public BlockPool(Supplier<List<LayerCache>> layerStorage, int blocks) {
        this.layers = List.copyOf(layerStorage.get());
        this.blocks = blocks;
        this.refs = new int[blocks];
        this.hashOf = new long[blocks];
    }

    public int blocks() {
        return blocks;
    }

    /** Blocks in use by sequences. */
    public int usedBlocks() {
        return fresh - free.size() - idle.size();
    }

    /** Blocks holding reusable prefixes that no sequence uses now. */
    public int idleBlocks() {
        return idle.size();
    }

    /**
     * A cache for {@code prompt} that starts with the longest run of its full blocks already cached (always
     * leaving at least one token to evaluate); {@code reusedTokens} receives the tokens it holds.
     */
    public PagedKvCache attach(int[] prompt, int contextLength, List<Integer> reusedTokens) {
        List<Integer> table = new ArrayList<>();
        long hash = 0;
        for (int end = BLOCK; end < prompt.length; end += BLOCK) { // "<": keep at least one prompt token to evaluate
            hash = chain(hash, prompt, end - BLOCK, end);
            Integer b = index.get(hash);
            if (b == null) {
                break;
            }
            acquire(b);
            table.add(b);
        }
        for (int i = 0; i < table.size() * BLOCK; i++) {
            reusedTokens.add(prompt[i]);
        }
        return new PagedKvCache(this, layers, contextLength, table);
    }

    private void acquire(int b) {
        if (refs[b]++ == 0) {
            idle.remove(b);
        }
    }

    /** A block to write new tokens into: a free one, a new one while the budget allows, else the least recently used idle one. */
    int allocate() {
        Integer b = free.poll();
        if (b == null && fresh < blocks) {
            b = fresh++;
            for (LayerCache l : layers) {
                l.ensureRows(fresh * BLOCK, blocks * BLOCK); // storage grows with use (by doubling), not all at start
            }
        }
        if (b == null) {
            Iterator<Integer> lru = idle.iterator();
            if (!lru.hasNext()) {
                throw new CacheFullException(blocks);
            }
            b = lru.next();
            lru.remove();
            index.remove(hashOf[b]);
            hashOf[b] = 0;
        }
        refs[b] = 1;
        return b;
    }

    /**
     * Registers the full blocks of {@code cache} (whose tokens are {@code tokens}) so that other sequences
     * can share them; their content never changes after this.
     */
    public void publish(PagedKvCache cache, List<Integer> tokens) {
        List<Integer> table = cache.table();
        long hash = 0;
        int[] t = tokens.stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; (i + 1) * BLOCK <= Math.min(cache.length(), t.length) && i < table.size(); i++) {
            hash = chain(hash, t, i * BLOCK, (i + 1) * BLOCK);
            int b = table.get(i);
            if (hashOf[b] == 0 && !index.containsKey(hash)) {
                index.put(hash, b);
                hashOf[b] = hash;
            }
        }
    }

    /** Drops a sequence's claim on blocks (when it ends, or rewinds). */
    void release(List<Integer> dropped) {
        for (int b : dropped) {
            if (--refs[b] == 0) {
                if (hashOf[b] != 0) {
                    idle.add(b);
                } else {
                    free.add(b);
                }
            }
        }
    }

    /** Whether a block may be written into: only blocks no one else can see. */
    boolean privateBlock(int b) {
        return refs[b] == 1 && hashOf[b] == 0;
    }

    private static long chain(long hash, int[] tokens, int from, int to) {
        long h = hash * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = from; i < to; i++) {
            h = (h ^ tokens[i]) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h == 0 ? 1 : h;
    }
}
