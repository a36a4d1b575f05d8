package baleine.bench;

import baleine.cache.KvCache;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.Parallel;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Two variants of a change measured in one JVM: a static boolean field (added for the experiment, e.g.
 * {@code static boolean ALT} tested in a kernel's caller) is flipped between prompts, so both variants see the
 * same phase of the machine. Make each variant a method of its own and test the flag in their caller: a flag
 * tested inside the kernel it switches can slow the kernel's other variant (a Q8_0 prompt tile read 1.123 that
 * way and 0.969 with the flag in its caller). Separate JVMs on the 2-core CI VM swing by ±10% (an A/A pair of one jar read 597
 * against 584 tok/s); interleaved pairs resolve ±2–3%. Prints each variant's median prompt time and the median of
 * the pairs' speed ratios with its quartiles.
 * <p>
 * {@code ./scripts/flag-ab MODEL package.Class#FIELD [pairs=40] [promptTokens=64] [depth=0] [threads]}: with a depth,
 * the cache is filled with that many tokens once and each measured forward runs after them (one prompt token at depth
 * 4096 is a decoding step over a long context); threads, where given, is the worker pool's size (one thread: where a
 * kernel's arithmetic, not memory, bounds a decoding step).
 */
public final class FlagAB {
    private FlagAB() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: flag-ab MODEL package.Class#FIELD [pairs] [promptTokens] [depth] [threads]");
            System.exit(2);
        }
        String[] target = args[1].split("#", 2);
        Field flag = Class.forName(target[0]).getDeclaredField(target[1]);
        if (flag.getType() != boolean.class || !Modifier.isStatic(flag.getModifiers())
                || Modifier.isFinal(flag.getModifiers())) {
            System.err.println(args[1] + " must be a static, non-final boolean field");
            System.exit(2);
        }
        flag.setAccessible(true);
        int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 40, n = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int depth = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        if (args.length > 5) {
            Parallel.setThreads(Integer.parseInt(args[5]));
        }
        try (DecoderModel m = Architectures.load(Path.of(args[0]))) {
            KvCache cache = m.newCache(depth + n);
            Random rnd = new Random(1);
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = rnd.nextInt(m.vocabSize());
            }
            for (int i = 0; i < depth; i += 512) { // the context, in prompts of at most 512 tokens
                int[] part = new int[Math.min(512, depth - i)];
                for (int k = 0; k < part.length; k++) {
                    part[k] = rnd.nextInt(m.vocabSize());
                }
                m.forward(part, cache, false);
            }
            for (int w = 0; w < 30; w++) { // both variants compiled and warm
                flag.setBoolean(null, w % 2 == 0);
                prompt(m, tokens, cache, depth);
            }
            double[][] ms = new double[2][pairs];
            for (int p = 0; p < pairs; p++) {
                for (int i = 0; i < 2; i++) {
                    int v = p % 2 == 0 ? i : 1 - i; // each variant first in half the pairs
                    flag.setBoolean(null, v == 1);
                    ms[v][p] = prompt(m, tokens, cache, depth);
                }
            }
            double[] ratio = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                ratio[p] = ms[0][p] / ms[1][p];
            }
            Arrays.sort(ratio);
            for (int v = 0; v < 2; v++) {
                double[] sorted = ms[v].clone();
                Arrays.sort(sorted);
                System.out.printf("%s = %b: median %.2f ms a %d-token prompt%s (%.1f tok/s)%n", args[1], v == 1, sorted[pairs / 2], n,
                        depth > 0 ? " after " + depth : "", n / sorted[pairs / 2] * 1e3);
            }
            System.out.printf("speed with true over false, median of %d pairs: %.3f (quartiles %.3f, %.3f)%n",
                    pairs, ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);
        }
    }

    private static double prompt(DecoderModel m, int[] tokens, KvCache cache, int depth) {
        cache.truncate(depth);
        long t0 = System.nanoTime();
        m.forward(tokens, cache, false);
        return (System.nanoTime() - t0) / 1e6;
    }
}
