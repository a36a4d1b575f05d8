package baleine.cache;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LayerCacheTest {
    @Test
    void storageGrowsByDoublingButNeverPastTheLimit() {
        LatentLayerCache cache = new LatentLayerCache(8, 4); // 12 floats per token
        cache.ensureRows(100, 150);
        assertThat(cache.values()).hasSize(100 * 12);
        cache.ensureRows(101, 150); // doubling would give 200 rows
        assertThat(cache.values()).hasSize(150 * 12);
        cache.ensureRows(140, 1000); // fits: unchanged
        assertThat(cache.values()).hasSize(150 * 12);
        cache.ensureRows(151, 1000);
        assertThat(cache.values()).hasSize(300 * 12);
    }

    @Test
    void theRowMapIsOneReusedArrayHoldingEveryPosition() {
        KvCache kv = new ContiguousKvCache(List.of(new LatentLayerCache(8, 4)), 64);
        kv.reserve(10);
        int[] rows = kv.rows(10);
        assertThat(rows).startsWith(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(kv.rows(5)).isSameAs(rows);
    }
}
