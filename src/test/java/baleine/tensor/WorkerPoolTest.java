package baleine.tensor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerPoolTest {
    private static final WorkerPool POOL = new WorkerPool(3);

    @AfterAll
    static void stop() {
        POOL.shutdown();
    }

    @Test
    void everyChunkRunsExactlyOnceOverManyBackToBackLoops() {
        for (int round = 0; round < 2000; round++) {
            int chunks = 1 + round % 13;
            AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
            POOL.run(chunks, runs::incrementAndGet);
            for (int c = 0; c < chunks; c++) {
                assertThat(runs.get(c)).as("round " + round + " chunk " + c).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailingChunkReachesTheCallerAndThePoolGoesOn() {
        assertThatThrownBy(() -> POOL.run(8, c -> {
            if (c == 5) {
                throw new IllegalStateException("chunk 5 failed");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 5 failed");
        AtomicIntegerArray runs = new AtomicIntegerArray(8);
        POOL.run(8, runs::incrementAndGet);
        assertThat(runs.toString()).isEqualTo("[1, 1, 1, 1, 1, 1, 1, 1]");
    }

    @Test
    void nestedLoopsAndConcurrentCallersAllComplete() throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        AtomicIntegerArray runs = new AtomicIntegerArray(4 * 6 * 5);
        for (int t = 0; t < 4; t++) {
            int caller = t;
            callers.add(Thread.ofPlatform().start(() -> {
                for (int round = 0; round < 200; round++) {
                    POOL.run(6, outer -> POOL.run(5, inner -> {
                        if (inner >= 0) {
                            runs.incrementAndGet((caller * 6 + outer) * 5 + inner);
                        }
                    }));
                }
            }));
        }
        for (Thread t : callers) {
            t.join();
        }
        for (int i = 0; i < runs.length(); i++) {
            assertThat(runs.get(i)).isEqualTo(200);
        }
    }
}
