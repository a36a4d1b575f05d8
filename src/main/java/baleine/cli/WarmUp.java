package baleine.cli;

/**
 * When {@code bench}'s unmeasured repetitions may stop: after the first one, once {@code seconds} have passed and the
 * last repetition allocated like compiled kernels (at most {@link #SETTLED_BYTES_PER_TOKEN} of heap per token); while
 * they allocate more, some kernel is still interpreted or boxed (C2 not done with it: seen on 2 cores with the k-quant
 * models, e.g. Qwen-shape Q6_K tg32 33.9 tok/s at 180 KiB per token against 37.3 after a 15 s warm-up), and the warm-up
 * goes on, up to {@link #CAP_FACTOR} times as long.
 */
final class WarmUp {
    /** Heap per token under which a repetition ran compiled kernels (they need 5-45 KiB). */
    static final long SETTLED_BYTES_PER_TOKEN = 128L << 10;
    /** How much longer than asked the warm-up may go on while the JIT is not done. */
    static final int CAP_FACTOR = 10;

    private final long asked, cap; // ns after the first repetition
    private long firstEnd;
    private int repetitions;
    private boolean settled;

    WarmUp(double seconds) {
        asked = (long) (seconds * 1e9);
        cap = (long) (CAP_FACTOR * seconds * 1e9);
    }

    /** Whether the repetition starting at {@code nowNs} is measured. */
    boolean done(long nowNs) {
        return repetitions > 0 && nowNs >= firstEnd + asked && (settled || nowNs >= firstEnd + cap);
    }

    /** An unmeasured repetition that ended at {@code nowNs}, having allocated {@code bytes} over {@code tokens} tokens. */
    void record(long bytes, int tokens, long nowNs) {
        settled = bytes / Math.max(1, tokens) <= SETTLED_BYTES_PER_TOKEN;
        if (++repetitions == 1) {
            firstEnd = nowNs;
        }
    }

    int repetitions() {
        return repetitions;
    }
}
