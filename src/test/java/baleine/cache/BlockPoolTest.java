package baleine.cache;

import baleine.RandomModels;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockPoolTest {
    static DecoderModel model;

    @BeforeAll
    static void load() throws Exception {
        model = RandomModels.load("tiny-deepseek-v3", GgmlType.Q8_0, 3);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] tokens(int n, long seed) {
        return RandomModels.tokens(model, n, seed);
    }

    static List<Integer> list(int[] t) {
        List<Integer> l = new ArrayList<>();
        for (int x : t) {
            l.add(x);
        }
        return l;
    }

    @Test
    void aSecondSequenceSharesTheFirstOnesBlocksAndGetsTheSameLogits() {
        BlockPool pool = new BlockPool(model::newLayerCaches, 16);
        int[] prompt = tokens(120, 1); // one full block of 64, then 56 more
        List<Integer> none = new ArrayList<>();
        PagedKvCache a = pool.attach(prompt, 128, none);
        assertThat(a.length()).isZero();
        float[] fromScratch = model.forward(prompt, a, false)[0];
        pool.publish(a, list(prompt)); // while a still runs

        int[] longer = java.util.Arrays.copyOf(prompt, 125);
        System.arraycopy(tokens(5, 2), 0, longer, 120, 5);
        List<Integer> reused = new ArrayList<>();
        PagedKvCache b = pool.attach(longer, 128, reused);
        assertThat(b.length()).isEqualTo(64);
        assertThat(reused).isEqualTo(list(prompt).subList(0, 64));
        assertThat(pool.usedBlocks()).isEqualTo(2); // a's two blocks, the first shared with b
        float[] shared = model.forward(java.util.Arrays.copyOfRange(longer, 64, 125), b, false)[0];

        KvCache alone = model.newCache(128);
        float[] expected = model.forward(longer, alone, false)[0];
        assertThat(shared).isEqualTo(expected); // bit for bit: sharing changes nothing
        assertThat(model.forward(prompt, model.newCache(128), false)[0]).isEqualTo(fromScratch);
        a.close();
        b.close();
        assertThat(pool.usedBlocks()).isZero();
        assertThat(pool.idleBlocks()).isEqualTo(1); // the published block stays for later requests
    }

    @Test
    void idleBlocksAreEvictedLeastRecentlyUsedFirst() {
        BlockPool pool = new BlockPool(model::newLayerCaches, 3);
        int[] p1 = tokens(65, 10), p2 = tokens(65, 11);
        for (int[] p : List.of(p1, p2)) {
            PagedKvCache c = pool.attach(p, 128, new ArrayList<>());
            model.forward(p, c, false);
            pool.publish(c, list(p));
            c.close();
        }
        assertThat(pool.idleBlocks()).isEqualTo(2);
        // a request needing 2 blocks takes the free one and evicts p1's (the least recently used)
        PagedKvCache big = pool.attach(tokens(100, 12), 128, new ArrayList<>());
        model.forward(tokens(100, 12), big, false);
        assertThat(pool.attach(p1, 128, new ArrayList<>()).length()).isZero();
        List<Integer> again = new ArrayList<>();
        PagedKvCache c2 = pool.attach(p2, 128, again);
        assertThat(c2.length()).isEqualTo(64);
        assertThatThrownBy(() -> model.forward(tokens(70, 13), pool.attach(tokens(70, 13), 128, new ArrayList<>()), false))
                .isInstanceOf(CacheFullException.class).hasMessageContaining("KV cache is full");
    }

    @Test
    void truncatingIntoASharedBlockLetsGoOfItInsteadOfWritingIntoIt() {
        BlockPool pool = new BlockPool(model::newLayerCaches, 8);
        int[] p = tokens(130, 20);
        PagedKvCache a = pool.attach(p, 256, new ArrayList<>());
        model.forward(p, a, false);
        pool.publish(a, list(p));
        List<Integer> reused = new ArrayList<>();
        PagedKvCache b = pool.attach(p, 256, reused);
        assertThat(b.length()).isEqualTo(128);
        b.truncate(100); // inside the shared second block
        assertThat(b.length()).isEqualTo(64);
        model.forward(java.util.Arrays.copyOfRange(p, 64, 130), b, false); // writes into a fresh block
        a.close();
        b.close();
    }
}
