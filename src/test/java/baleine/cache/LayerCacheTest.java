package baleine.cache;

import baleine.tensor.Halves;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class LayerCacheTest {
    @Test
    void storageGrowsByDoublingButNeverPastTheLimit() {
        for (CacheType type : CacheType.values()) {
            RowStore store = RowStore.of(type, 12);
            store.ensureRows(100, 150);
            assertThat(store.rowsHeld()).isEqualTo(100);
            store.ensureRows(101, 150); // doubling would give 200 rows
            assertThat(store.rowsHeld()).isEqualTo(150);
            store.ensureRows(140, 1000); // fits: unchanged
            assertThat(store.rowsHeld()).isEqualTo(150);
            store.ensureRows(151, 1000);
            assertThat(store.rowsHeld()).isEqualTo(300);
        }
    }

    @Test
    void viewsGiveEachPositionsStoredRowAsFloatsInPlaceOrRoundedOnce() {
        Random rnd = new Random(7);
        int width = 70, n = 40; // 70: two whole blocks of 32 and a partial one
        int[] rows = new int[n]; // positions stored out of order, as in a paged cache
        for (int s = 0; s < n; s++) {
            rows[s] = (s * 17 + 3) % n;
        }
        float[][] x = new float[n][width];
        for (CacheType type : CacheType.values()) {
            RowStore store = RowStore.of(type, width);
            store.ensureRows(n, n);
            for (int s = 0; s < n; s++) {
                for (int i = 0; i < width; i++) {
                    x[s][i] = (float) rnd.nextGaussian() * 100;
                }
                store.put(rows[s], x[s], 0);
            }
            int from = 8, to = 33, offset = 30, count = 37; // across block bounds
            RowStore.View v = store.view(rows, from, to, offset, count, 1);
            for (int s = from; s < to; s++) {
                for (int i = 0; i < count; i++) {
                    float stored = v.data()[v.rows()[s] * v.stride() + v.offset() + i], expected = x[s][offset + i];
                    switch (type) {
                        case F32 -> assertThat(stored).isEqualTo(expected);
                        case F16 -> assertThat(stored).isEqualTo(Halves.toFloat(Halves.Format.F16, Halves.fromFloat(Halves.Format.F16, expected)));
                        case BF16 -> assertThat(stored).isEqualTo(Halves.toFloat(Halves.Format.BF16, Halves.fromFloat(Halves.Format.BF16, expected)));
                        case Q8_0 -> { // within half a step of its block's scale, max|v| / 127
                            int b = (offset + i) / 32;
                            float max = 0;
                            for (int c = 32 * b; c < Math.min(width, 32 * b + 32); c++) {
                                max = Math.max(max, Math.abs(x[s][c]));
                            }
                            assertThat((double) stored).isCloseTo(expected, org.assertj.core.api.Assertions.within(max / 127 * 0.5001));
                        }
                    }
                }
            }
        }
    }

    @Test
    void bytesPerTokenFollowTheType() {
        assertThat(new LatentLayerCache(512, 64, CacheType.F32).bytesPerToken()).isEqualTo(576 * 4);
        assertThat(new LatentLayerCache(512, 64, CacheType.BF16).bytesPerToken()).isEqualTo(576 * 2);
        assertThat(new DenseLayerCache(256, CacheType.F16).bytesPerToken()).isEqualTo(2 * 256 * 2);
        assertThat(new LatentLayerCache(512, 64, CacheType.Q8_0).bytesPerToken()).isEqualTo(18 * (32 + 4));
        assertThat(new LatentLayerCache(32, 16, CacheType.Q8_0).bytesPerToken()).isEqualTo(2 * (32 + 4)); // a partial block takes a whole one
        assertThat(CacheType.parse("BF16")).isEqualTo(CacheType.BF16);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CacheType.parse("q4_0"))
                .hasMessage("unknown cache type 'q4_0'; use f32, f16, bf16, q8_0");
    }

    @Test
    void theRowMapIsOneReusedArrayHoldingEveryPosition() {
        KvCache kv = new ContiguousKvCache(List.of(new LatentLayerCache(8, 4, CacheType.F32)), 64);
        kv.reserve(10);
        int[] rows = kv.rows(10);
        assertThat(rows).startsWith(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(kv.rows(5)).isSameAs(rows);
    }
}
