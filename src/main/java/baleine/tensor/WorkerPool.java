package baleine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Persistent workers for the many short parallel loops of a forward pass (a decode step runs a hundred
 * or more). The caller publishes a loop and works on it too; everyone claims chunk indices from one
 * counter, so a call allocates nothing and a busy core simply claims fewer chunks. Idle workers spin
 * briefly (the next loop usually follows within microseconds), then park.
 *
 * <p>The claim counter holds the loop's generation in its high half, and a new loop first closes the
 * counter under a generation of its own: a worker that wakes late can never claim a chunk with another
 * loop's body or chunk count.
 */
final class WorkerPool {
    private static final long SPIN_NS = 200_000;
    private static final int CLOSED = Integer.MAX_VALUE;

    private final Thread[] workers;
    private final ReentrantLock callers = new ReentrantLock();
    private final AtomicLong claim = new AtomicLong(); // generation << 32 | next chunk
    private final AtomicInteger done = new AtomicInteger();
    private volatile boolean shutdown;
    private IntConsumer body; // written before the generation is published in claim
    private int chunks;
    private Thread caller;
    private volatile Throwable failure; // an IntConsumer throws only unchecked exceptions

    WorkerPool(int threads) {
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("baleine-worker-" + (i + 1)).start(this::workLoop);
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** The workers' thread ids (the caller of {@link #run} is the other thread a loop runs on). */
    long[] workerIds() {
        long[] ids = new long[workers.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = workers[i].threadId();
        }
        return ids;
    }

    /** Runs {@code body(c)} for every c in [0, chunks) on the caller and the workers; returns when all are done. */
    void run(int chunks, IntConsumer body) {
        if (chunks <= 1 || workers.length == 0 || callers.isHeldByCurrentThread() || isWorker()) {
            serial(chunks, body); // nothing to share, or a loop inside a loop: it runs where it is
            return;
        }
        callers.lock();
        try {
            // close the counter under a new generation first: a worker still holding an old value can
            // neither claim it (its generation is gone) nor read the fields below as if they were its own
            long closed = (claim.get() >>> 32) + 1, generation = closed + 1;
            claim.set(closed << 32 | CLOSED);
            this.body = body;
            this.chunks = chunks;
            this.caller = Thread.currentThread();
            failure = null;
            done.set(0);
            claim.set(generation << 32); // opens the loop and publishes the fields above
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(generation);
            awaitDone(chunks);
            Throwable f = failure;
            if (f instanceof RuntimeException re) {
                throw re;
            } else if (f instanceof Error e) {
                throw e;
            }
        } finally {
            this.body = null;
            callers.unlock();
        }
    }

    void shutdown() {
        shutdown = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }

    private static void serial(int chunks, IntConsumer body) {
        for (int c = 0; c < chunks; c++) {
            body.accept(c);
        }
    }

    private boolean isWorker() {
        Thread t = Thread.currentThread();
        for (Thread w : workers) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    /** Claims and runs chunks of loop {@code generation} until none are left. */
    private void work(long generation) {
        while (true) {
            long s = claim.get();
            if (s >>> 32 != generation) {
                return;
            }
            int c = (int) s;
            if (c == CLOSED || c >= chunks) {
                return;
            }
            if (!claim.compareAndSet(s, s + 1)) {
                continue;
            }
            try {
                body.accept(c);
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            }
            if (done.incrementAndGet() == chunks) {
                LockSupport.unpark(caller);
            }
        }
    }

    private void awaitDone(int chunks) {
        long start = System.nanoTime();
        while (done.get() < chunks) {
            if (System.nanoTime() - start < SPIN_NS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 100_000);
            }
        }
    }

    private void workLoop() {
        long seen = 0;
        while (!shutdown) {
            long start = System.nanoTime();
            long generation;
            while ((generation = claim.get() >>> 32) == seen && !shutdown) {
                if (System.nanoTime() - start < SPIN_NS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = generation;
            work(generation);
        }
    }
}
