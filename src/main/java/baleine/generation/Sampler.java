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

    public Sampler(SamplingParams params) {
        this.p = params;
        this.random = new Random(params.seed() != null ? params.seed() : System.nanoTime());
    }

    /**
     * @param context   every token so far (prompt and generated), for the repetition penalty
     * @param generated how often each token was generated, for presence / frequency penalties
     */
    public int sample(float[] logits, List<Integer> context, Map<Integer, Integer> generated) {
        float[] l = logits.clone();
        p.logitBias().forEach((id, b) -> l[id] += b);
        if (p.repetitionPenalty() != 1f) {
            for (int id : new java.util.HashSet<>(context)) {
                l[id] = l[id] > 0 ? l[id] / p.repetitionPenalty() : l[id] * p.repetitionPenalty();
            }
        }
        if (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) {
            generated.forEach((id, n) -> l[id] -= p.presencePenalty() + p.frequencyPenalty() * n);
        }
        if (p.temperature() == 0) {
            return argmax(l);
        }
        int[] order = candidates(l, p.topK());
        int n = order.length;
        double max = l[order[0]];
        double[] prob = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            prob[i] = Math.exp((l[order[i]] - max) / p.temperature());
            sum += prob[i];
        }
        // top-p: the smallest prefix of the sorted candidates with mass >= top_p
        double cumulative = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cumulative += prob[i] / sum;
            if (cumulative >= p.topP()) {
                keep = i + 1;
                break;
            }
        }
        // min-p: drop candidates below min_p times the best probability
        double threshold = p.minP() * prob[0];
        while (keep > 1 && prob[keep - 1] < threshold) {
            keep--;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += prob[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= prob[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /**
     * Token ids by descending logit (ties: lower id first): the best {@code topK} when set (a heap, no full
     * sort), else all of them (a primitive sort of packed keys).
     */
    static int[] candidates(float[] l, int topK) {
        if (topK > 0 && topK < l.length) {
            return best(l, topK);
        }
        long[] keys = new long[l.length];
        for (int i = 0; i < l.length; i++) {
            keys[i] = key(l[i], i);
        }
        Arrays.sort(keys);
        int[] ids = new int[l.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) keys[i];
        }
        return ids;
    }

    /** Sorts ascending as logits descend, then ids ascend. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF; // monotone in the float value
        return ((long) ~ordered << 32) | (id & 0xFFFFFFFFL);
    }

    private static int[] best(float[] l, int k) {
        java.util.PriorityQueue<Long> heap = new java.util.PriorityQueue<>(k, java.util.Comparator.reverseOrder());
        for (int i = 0; i < l.length; i++) {
            long key = key(l[i], i);
            if (heap.size() < k) {
                heap.add(key);
            } else if (key < heap.peek()) {
                heap.poll();
                heap.add(key);
            }
        }
        long[] keys = new long[heap.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = heap.poll();
        }
        Arrays.sort(keys);
        int[] ids = new int[keys.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) keys[i];
        }
        return ids;
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
