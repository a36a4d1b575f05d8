package baleine.generation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    private static float[] logits(long seed) {
        Random r = new Random(seed);
        float[] l = new float[500];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) r.nextGaussian() * 3;
        }
        return l;
    }

    @Test
    void greedyAndTopK1PickTheArgmax() {
        float[] l = logits(1);
        int best = Sampler.argmax(l);
        assertThat(new Sampler(SamplingParams.greedy(1)).sample(l, List.of(), Map.of())).isEqualTo(best);
        SamplingParams k1 = SamplingParams.defaults().withTopK(1).withSeed(5L);
        assertThat(new Sampler(k1).sample(l, List.of(), Map.of())).isEqualTo(best);
        SamplingParams p0 = SamplingParams.defaults().withTopK(0).withTopP(1e-6f).withMinP(0).withSeed(5L);
        assertThat(new Sampler(p0).sample(l, List.of(), Map.of())).isEqualTo(best);
    }

    @Test
    void sameSeedSameDrawsDifferentSeedDifferentDraws() {
        SamplingParams p = SamplingParams.defaults().withTemperature(1.5f).withTopK(0).withMinP(0).withSeed(42L);
        List<Integer> a = draws(p), b = draws(p), c = draws(p.withSeed(43L));
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    private static List<Integer> draws(SamplingParams p) {
        Sampler s = new Sampler(p);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            out.add(s.sample(logits(i), List.of(), Map.of()));
        }
        return out;
    }

    @Test
    void minPAndTopKRestrictTheCandidates() {
        float[] l = logits(3);
        int best = Sampler.argmax(l);
        SamplingParams minP = SamplingParams.defaults().withTopK(0).withTopP(1).withMinP(0.999f);
        SamplingParams topK = SamplingParams.defaults().withTopK(3).withTopP(1).withMinP(0).withTemperature(5f);
        Integer[] sorted = new Integer[l.length];
        for (int i = 0; i < l.length; i++) {
            sorted[i] = i;
        }
        java.util.Arrays.sort(sorted, (a, b) -> Float.compare(l[b], l[a]));
        for (long seed = 0; seed < 100; seed++) {
            assertThat(new Sampler(minP.withSeed(seed)).sample(l, List.of(), Map.of())).isEqualTo(best);
            assertThat(new Sampler(topK.withSeed(seed)).sample(l, List.of(), Map.of())).isIn(sorted[0], sorted[1], sorted[2]);
        }
    }

    @Test
    void logitBiasAndPenaltiesMoveTheChoice() {
        float[] l = logits(4);
        int best = Sampler.argmax(l);
        SamplingParams biased = SamplingParams.greedy(1).withLogitBias(Map.of(7, 100f));
        assertThat(new Sampler(biased).sample(l, List.of(), Map.of())).isEqualTo(7);
        SamplingParams banned = SamplingParams.greedy(1).withLogitBias(Map.of(best, -100f));
        assertThat(new Sampler(banned).sample(l, List.of(), Map.of())).isNotEqualTo(best);
        SamplingParams presence = SamplingParams.greedy(1).withPresencePenalty(2f).withFrequencyPenalty(2f);
        assertThat(new Sampler(presence).sample(l, List.of(best), Map.of(best, 10))).isNotEqualTo(best);
        SamplingParams repeat = SamplingParams.greedy(1).withRepetitionPenalty(1000f);
        assertThat(new Sampler(repeat).sample(l, List.of(best), Map.of())).isNotEqualTo(best);
        // the penalty's window: the last n tokens of the context (best is three back)
        int other = best == 0 ? 1 : 0;
        List<Integer> context = List.of(best, other, other, other);
        assertThat(new Sampler(repeat.withRepeatLastN(3)).sample(l, context, Map.of())).isEqualTo(best);
        assertThat(new Sampler(repeat.withRepeatLastN(4)).sample(l, context, Map.of())).isNotEqualTo(best);
        assertThat(new Sampler(repeat.withRepeatLastN(0)).sample(l, context, Map.of())).as("0: off").isEqualTo(best);
        assertThat(new Sampler(repeat.withRepeatLastN(-1)).sample(l, context, Map.of())).as("-1: all").isNotEqualTo(best);
    }

    @Test
    void invalidValuesAreRejectedWithTheirName() {
        assertThatThrownBy(() -> SamplingParams.defaults().withTopP(1.5f).validate(10)).hasMessageContaining("top_p must be in (0, 1]");
        assertThatThrownBy(() -> SamplingParams.defaults().withTemperature(-1).validate(10)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingParams.defaults().withLogitBias(Map.of(99, 1f)).validate(10)).hasMessageContaining("token 99");
        assertThatThrownBy(() -> SamplingParams.defaults().withMaxTokens(-1).validate(10)).hasMessageContaining("max tokens must be at least 0");
        assertThat(SamplingParams.defaults().withMaxTokens(0).validate(10).maxTokens()).as("the prompt only").isZero();
        assertThatThrownBy(() -> SamplingParams.defaults().withRepeatLastN(-2).validate(10)).hasMessageContaining("repeat_last_n");
    }

    /** The plain reference: every token sorted by descending logit, then the same filters and draw. */
    private static int referenceSample(float[] logits, SamplingParams p, Random random) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int n = p.topK() > 0 ? Math.min(p.topK(), order.length) : order.length;
        double[] prob = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            prob[i] = Math.exp((logits[order[i]] - (double) logits[order[0]]) / p.temperature());
            sum += prob[i];
        }
        int keep = n;
        double cumulative = 0;
        for (int i = 0; i < n && p.topP() < 1; i++) { // top_p 1 keeps all
            cumulative += prob[i] / sum;
            if (cumulative >= p.topP()) {
                keep = i + 1;
                break;
            }
        }
        while (keep > 1 && prob[keep - 1] < p.minP() * prob[0]) {
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

    @Test
    void drawsMatchTheFullSortReferenceWithoutSortingTheVocabulary() {
        Random rnd = new Random(11);
        float[] l = new float[20_000];
        SamplingParams[] settings = {
                SamplingParams.defaults(), // top_k 40, top_p 0.95, min_p 0.05
                SamplingParams.defaults().withTemperature(0.6f).withTopP(0.95f).withTopK(0).withMinP(0), // DeepSeek-R1's
                SamplingParams.defaults().withTemperature(1f).withTopP(1f).withTopK(0).withMinP(0), // every candidate
                SamplingParams.defaults().withTemperature(2f).withTopP(0.5f).withTopK(0).withMinP(0.01f),
                SamplingParams.defaults().withTemperature(0.05f).withTopP(0.99f).withTopK(0).withMinP(0)};
        for (SamplingParams p : settings) {
            Sampler sampler = new Sampler(p.withSeed(7L));
            Random reference = new Random(7L);
            for (int draw = 0; draw < 40; draw++) {
                double spread = 1 + 4 * rnd.nextDouble(); // peaked to flat distributions
                for (int i = 0; i < l.length; i++) {
                    l[i] = (float) (rnd.nextGaussian() * spread);
                }
                assertThat(sampler.sample(l, List.of(), Map.of())).as(p + " draw " + draw).isEqualTo(referenceSample(l, p, reference));
            }
        }
    }

    @Test
    void quickselectMovesTheSmallestToTheFront() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(300), count = rnd.nextInt(n + 1), from = rnd.nextInt(5);
            long[] a = new long[from + n];
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextInt(50) * 1000L + i; // repeated high parts, distinct keys
            }
            long[] sorted = java.util.Arrays.copyOfRange(a, from, from + n);
            java.util.Arrays.sort(sorted);
            Sampler.select(a, from, from + n, count);
            long[] front = java.util.Arrays.copyOfRange(a, from, from + count);
            java.util.Arrays.sort(front);
            assertThat(front).isEqualTo(java.util.Arrays.copyOf(sorted, count));
        }
    }
}
