package baleine.tensor;

import java.util.function.IntConsumer;

/** Splits index ranges over a {@link WorkerPool} of one thread per core (or as many as {@link #setThreads} says). */
public final class Parallel {
    private static volatile WorkerPool pool = new WorkerPool(Runtime.getRuntime().availableProcessors());

    private Parallel() {
    }

    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        if (threads != pool.threads()) {
            WorkerPool old = pool;
            pool = new WorkerPool(threads);
            old.shutdown();
        }
    }

    public static int threads() {
        return pool.threads();
    }

    /** The pool's worker threads' ids (what a parallel loop runs on besides its caller). */
    public static long[] workerThreadIds() {
        return pool.workerIds();
    }

    /** Calls {@code body} for every chunk index in [0, chunks), in parallel. */
    public static void forEach(int chunks, IntConsumer body) {
        pool.run(chunks, body);
    }

    /** Calls {@code body(from, to)} over a partition of [0, n) into chunks of at least {@code grain}. */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.max(1, Math.min(n / Math.max(1, grain), 4 * threads()));
        forEach(chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }
}
