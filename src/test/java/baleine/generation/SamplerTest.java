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
    }

    @Test
    void invalidValuesAreRejectedWithTheirName() {
        assertThatThrownBy(() -> SamplingParams.defaults().withTopP(1.5f).validate(10)).hasMessageContaining("top_p must be in (0, 1]");
        assertThatThrownBy(() -> SamplingParams.defaults().withTemperature(-1).validate(10)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingParams.defaults().withLogitBias(Map.of(99, 1f)).validate(10)).hasMessageContaining("token 99");
        assertThatThrownBy(() -> SamplingParams.defaults().withMaxTokens(0).validate(10)).hasMessageContaining("max tokens");
    }
}
