package baleine.generation;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Picks the next token: logit bias and penalties, then greedy (temperature 0) or temperature, top-k,
 * top-p and min-p filtering and a draw from a seeded generator.
 */
public final class Sampler {
    private final SamplingParams p;
    private final Random random;
    // per-token working memory, reused: adjusted logits, candidate keys, probabilities by token id
    private float[] work = new float[0];
    private long[] keys = new long[0];
    private double[] prob = new double[0];
    private int sorted; // keys[0 .. sorted) are in order

    public Sampler(SamplingParams params) {
        this.p = params;
        this.random = new Random(params.seed() != null ? params.seed() : System.nanoTime());
    }

    /**
     * @param context   every token so far (prompt and generated), for the repetition penalty
     * @param generated how often each token was generated, for presence / frequency penalties
     */
    public int sample(float[] logits, List<Integer> context, Map<Integer, Integer> generated) {
        float[] l = adjusted(logits, context, generated);
        if (p.temperature() == 0) {
            return argmax(l);
        }
        int n = candidates(l);
        // probabilities relative to the best candidate's, summed over the candidates
        double max = l[(int) keys[0]], sum = 0;
        for (int i = 0; i < n; i++) {
            int id = (int) keys[i];
            prob[id] = Math.exp((l[id] - max) / p.temperature());
            sum += prob[id];
        }
        // top-p: the smallest prefix with mass >= top_p (1 keeps every candidate)
        int keep = n;
        double cumulative = 0;
        for (int i = 0; i < n && keep == n && p.topP() < 1; i++) {
            cumulative += prob[sortedKey(i, n)] / sum;
            if (cumulative >= p.topP()) {
                keep = i + 1;
            }
        }
        // min-p: drop candidates below min_p times the best probability (probabilities fall as the order goes)
        double threshold = p.minP() * prob[(int) keys[0]];
        if (threshold > 0) {
            int above = 0;
            for (int i = 0; i < n; i++) {
                above += prob[(int) keys[i]] >= threshold ? 1 : 0;
            }
            keep = Math.max(1, Math.min(keep, above));
        }
        double total = sum;
        if (keep < n) {
            total = 0;
            for (int i = 0; i < keep; i++) {
                total += prob[sortedKey(i, n)];
            }
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            int id = sortedKey(i, n);
            r -= prob[id];
            if (r < 0) {
                return id;
            }
        }
        return sortedKey(keep - 1, n);
    }

    /**
     * The id of the i-th best candidate: the best 64, then the best 1024, are picked (quickselect) and sorted
     * when the order gets there, the rest is sorted in one go when needed (a peaked distribution never
     * gets past the first 64).
     */
    private int sortedKey(int i, int n) {
        if (i >= sorted) {
            int to = i < 64 ? 64 : i < 1024 ? 1024 : n;
            if (to < n / 2) {
                select(keys, i, n, to - i);
            } else {
                to = n;
            }
            Arrays.sort(keys, i, to);
            sorted = to;
        }
        return (int) keys[i];
    }

    /** The logits with logit bias and penalties applied, in a buffer reused token after token. */
    private float[] adjusted(float[] logits, List<Integer> context, Map<Integer, Integer> generated) {
        if (work.length != logits.length) {
            work = new float[logits.length];
            prob = new double[logits.length];
            keys = new long[logits.length];
        }
        float[] l = work;
        System.arraycopy(logits, 0, l, 0, l.length);
        p.logitBias().forEach((id, b) -> l[id] += b);
        if (p.repetitionPenalty() != 1f) {
            int n = p.repeatLastN() < 0 ? context.size() : Math.min(p.repeatLastN(), context.size());
            for (int id : new java.util.HashSet<>(context.subList(context.size() - n, context.size()))) {
                l[id] = l[id] > 0 ? l[id] / p.repetitionPenalty() : l[id] * p.repetitionPenalty();
            }
        }
        if (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) {
            generated.forEach((id, n) -> l[id] -= p.presencePenalty() + p.frequencyPenalty() * n);
        }
        return l;
    }

    /**
     * Fills {@code keys[0 .. n)} with the candidates and returns n; {@code keys[0]} is the best. With top-k,
     * the best {@code top_k} tokens, sorted. Otherwise every token within 40 temperatures of the best logit,
     * unsorted after the first ({@link #sortedKey} sorts them only as far as the filters and the draw look:
     * a whole vocabulary sorted costs milliseconds per token). Any other token's probability is below
     * e^-40 of the best one's (under 1e-12 for a whole vocabulary), too small to change a double sum that
     * starts at 1.
     */
    private int candidates(float[] l) {
        if (p.topK() > 0 && p.topK() < l.length) {
            return bestK(l, p.topK());
        }
        int best = argmax(l), n = 0;
        sorted = 1;
        double floor = l[best] - 40.0 * p.temperature();
        keys[n++] = key(l[best], best);
        for (int i = 0; i < l.length; i++) {
            if (l[i] >= floor && i != best) {
                keys[n++] = key(l[i], i);
            }
        }
        return n;
    }

    /** The {@code k} smallest keys, sorted, through a max-heap in {@code keys[0 .. k)}: most tokens lose one comparison with its top. */
    private int bestK(float[] l, int k) {
        for (int i = 0; i < k; i++) {
            keys[i] = key(l[i], i);
            for (int c = i; c > 0 && keys[(c - 1) / 2] < keys[c]; c = (c - 1) / 2) {
                swap(keys, c, (c - 1) / 2);
            }
        }
        for (int i = k; i < l.length; i++) {
            long key = key(l[i], i);
            if (key < keys[0]) {
                keys[0] = key;
                for (int c = 0; ; ) {
                    int child = 2 * c + 1;
                    if (child >= k) {
                        break;
                    }
                    if (child + 1 < k && keys[child + 1] > keys[child]) {
                        child++;
                    }
                    if (keys[c] >= keys[child]) {
                        break;
                    }
                    swap(keys, c, child);
                    c = child;
                }
            }
        }
        Arrays.sort(keys, 0, k);
        sorted = k;
        return k;
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /** Sorts ascending as logits descend, then ids ascend. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF; // monotone in the float value
        return ((long) ~ordered << 32) | (id & 0xFFFFFFFFL);
    }

    /** Moves the {@code count} smallest of {@code a[from .. to)} to its front, in any order (quickselect). */
    static void select(long[] a, int from, int to, int count) {
        int lo = from, hi = to - 1, k = from + count - 1;
        while (count > 0 && lo < hi) {
            long pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    swap(a, i++, j--);
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }
}
