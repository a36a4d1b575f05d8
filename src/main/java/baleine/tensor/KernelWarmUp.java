package baleine.tensor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Gets C2 to compile a model's decoding kernels before its first pass. Until then the JVM runs a kernel interpreted,
 * about 1000x slower, and a decoding call covers whole rows: a cold Qwen-shape Q4_K_M model spent ~3 s of a 19-token
 * prompt in its output head (151936 rows of Q6_K), then compiled that kernel twice (its loop, then the whole method).
 * Here one matrix of each kind (class and type) multiplies one vector through its {@link Weight#kernelSample} — the
 * same code, classes and memory, a fraction of a row per call — until the calls run compiled. A kind whose matrices
 * all hold less than {@link #SMALL} samples' worth is left to the first pass, which reads them whole quickly even
 * interpreted, and a short run may never need the thousand or so calls that compiling takes (a tiny test model's
 * 16-token {@code generate}: 2.0-2.2 s without the warm-up, 3.2-3.5 s with it). Narrow is not enough to skip a kind:
 * DeepSeek's latent up-projections (512 columns, called per head) left out compiled during the first tokens, V2-Lite
 * shape 11.7-12.0 s against 10.6-10.7.
 */
public final class KernelWarmUp {
    private static final int ROUND = 100;
    private static final int MOST_CALLS = 5000;
    /**
     * Multiply-adds a second that only C2's code reaches on a sample (one thread: 6-30 G; interpreted ~0.1 G, C1's
     * Java stand-ins for the Vector API ~0.7 G). Calls past the compile cost little either way: a sample's call then
     * takes microseconds.
     */
    private static final double COMPILED_RATE = 2e9;
    /** Samples' worth of elements below which a matrix is small. */
    private static final int SMALL = 8;

    private KernelWarmUp() {
    }

    /**
     * Warms up the one-vector kernels of every kind among {@code matrices} that are not all small, the kinds spread
     * over the worker threads (a kind waiting for C2 leaves its core to another kind's calls, and the launcher runs
     * two C2 threads: a cold V2-Lite-shape {@code generate} 10.5-10.9 s one kind after another, 9.2 in parallel),
     * asking {@code stop} after each kind (from the thread that warmed it); once it says stop no kind starts. Returns
     * false if that ended it.
     */
    public static boolean decoding(Collection<Weight> matrices, BooleanSupplier stop) {
        Map<String, Weight> samples = new LinkedHashMap<>();
        for (Weight w : matrices) {
            String kind = w.getClass().getName() + " " + w.typeName();
            if (!samples.containsKey(kind)) {
                Weight sample = w.kernelSample();
                if (sample != null && w.elements() >= SMALL * sample.elements()) {
                    samples.put(kind, sample);
                }
            }
        }
        List<Weight> kinds = new ArrayList<>(samples.values());
        AtomicBoolean stopped = new AtomicBoolean();
        Parallel.forEach(kinds.size(), i -> {
            if (!stopped.get()) {
                warm(kinds.get(i));
                if (stop.getAsBoolean()) {
                    stopped.set(true);
                }
            }
        });
        return !stopped.get();
    }

    /** Multiplies one vector by {@code sample} in rounds until a round runs at the compiled rate, at most MOST_CALLS times. */
    static int warm(Weight sample) {
        Random rnd = new Random(1);
        float[][] x = {new float[sample.cols]}, y = {new float[sample.rows]};
        for (int i = 0; i < sample.cols; i++) {
            x[0][i] = (float) rnd.nextGaussian();
        }
        double work = (double) ROUND * sample.rows * sample.cols;
        int calls = 0;
        while (calls < MOST_CALLS) {
            long start = System.nanoTime();
            for (int i = 0; i < ROUND; i++) {
                MatMul.rows(sample, 0, sample.rows, x, 0, y, 0, 1);
            }
            calls += ROUND;
            if (work / Math.max(1, System.nanoTime() - start) * 1e9 >= COMPILED_RATE) {
                break;
            }
        }
        return calls;
    }
}
