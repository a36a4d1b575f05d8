package baleine.model;

import baleine.RandomModels;
import baleine.cache.KvCache;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Inputs longer than one pass ({@link DecoderModel#passSize} tokens) are cut into passes without changing a bit. */
class LongInputTest {
    static DecoderModel model;

    @BeforeAll
    static void load() throws Exception {
        model = RandomModels.load("tiny-deepseek-v2-lite", GgmlType.Q8_0, 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] tokens(int n, long seed) {
        return RandomModels.tokens(model, n, seed);
    }

    @Test
    void passesAreLongEnoughToGiveEachExpertAboutThirtyTwoTokens() throws Exception {
        assertThat(DecoderModel.passSize(64, 6)).as("V2-Lite").isEqualTo(512);
        assertThat(DecoderModel.passSize(256, 8)).as("V3, capped").isEqualTo(DecoderModel.MOE_PASS);
        assertThat(DecoderModel.passSize(8, 2)).as("few experts").isEqualTo(DecoderModel.DENSE_PASS);
        assertThat(DecoderModel.passSize(24, 2)).as("a power of two").isEqualTo(512);
        assertThat(model.passSize()).as("this model: 8 experts, 2 active").isEqualTo(DecoderModel.DENSE_PASS);
        try (DecoderModel dense = RandomModels.load("tiny-qwen2", GgmlType.Q8_0, 7)) {
            assertThat(dense.passSize()).isEqualTo(DecoderModel.DENSE_PASS);
        }
    }

    @Test
    void aLongPromptGivesTheLogitsOfShortPasses() {
        int[] prompt = tokens(2 * model.passSize() + 37, 1);
        float[][] whole = model.forward(prompt, model.newCache(prompt.length), true);
        KvCache cache = model.newCache(prompt.length);
        for (int from = 0; from < prompt.length; from += 100) {
            int to = Math.min(prompt.length, from + 100);
            float[][] part = model.forward(Arrays.copyOfRange(prompt, from, to), cache, true);
            for (int t = from; t < to; t++) {
                assertThat(whole[t]).as("position " + t).isEqualTo(part[t - from]);
            }
        }
        float[][] last = model.forward(prompt, model.newCache(prompt.length), false);
        assertThat(last).hasNumberOfRows(1);
        assertThat(last[0]).isEqualTo(whole[prompt.length - 1]);
    }

    @Test
    void scoringHandsOverEveryPositionsLogitsInOrderAsTheWholeForwardReturnsThem() {
        int[] prompt = tokens(2 * model.passSize() + 37, 6);
        float[][] whole = model.forward(prompt, model.newCache(prompt.length), true);
        List<float[]> handed = new java.util.ArrayList<>();
        model.forwardScored(List.of(new DecoderModel.Step(prompt, model.newCache(prompt.length))), (rows, count) -> {
            assertThat(count).isBetween(1, DecoderModel.SINK_ROWS);
            for (int i = 0; i < count; i++) {
                handed.add(rows[i].clone());
            }
        });
        assertThat(handed).hasSize(prompt.length);
        for (int t = 0; t < prompt.length; t++) {
            assertThat(handed.get(t)).as("position " + t).isEqualTo(whole[t]);
        }
    }

    @Test
    void longStepsOfSeveralSequencesKeepTheirOrder() {
        int[] a = tokens(model.passSize() + 44, 2), b = tokens(90, 3), c = tokens(model.passSize(), 4);
        float[][] together = model.forward(List.of(new DecoderModel.Step(a, model.newCache(a.length)),
                new DecoderModel.Step(b, model.newCache(b.length)), new DecoderModel.Step(c, model.newCache(c.length))), false);
        assertThat(together).hasNumberOfRows(3);
        assertThat(together[0]).isEqualTo(model.forward(a, model.newCache(a.length), false)[0]);
        assertThat(together[1]).isEqualTo(model.forward(b, model.newCache(b.length), false)[0]);
        assertThat(together[2]).isEqualTo(model.forward(c, model.newCache(c.length), false)[0]);
    }

    @Test
    void aBadTokenLateInALongPromptIsRefusedBeforeAnythingIsCached() {
        int[] prompt = tokens(model.passSize() + 10, 5);
        prompt[model.passSize() + 5] = model.vocabSize();
        KvCache cache = model.newCache(prompt.length);
        assertThatThrownBy(() -> model.forward(prompt, cache, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the vocabulary");
        assertThat(cache.length()).isZero();
    }

    @Test
    void forwardIntoWritesTheSameLogitsIntoTheCallersRows() {
        int[] shortStep = tokens(3, 6), longStep = tokens(model.passSize() + 20, 7);
        float[][] rows = new float[2][model.vocabSize()];
        float[] first = rows[0];
        model.forwardInto(List.of(new DecoderModel.Step(shortStep, model.newCache(shortStep.length)),
                new DecoderModel.Step(longStep, model.newCache(longStep.length))), rows);
        assertThat(rows[0]).isSameAs(first).isEqualTo(model.forward(shortStep, model.newCache(shortStep.length), false)[0]);
        assertThat(rows[1]).isEqualTo(model.forward(longStep, model.newCache(longStep.length), false)[0]);
        assertThatThrownBy(() -> model.forwardInto(List.of(new DecoderModel.Step(shortStep, model.newCache(3))), new float[1][5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits");
        float[][] every = new float[4][model.vocabSize()]; // a row per token, one to spare
        model.forwardAllInto(List.of(new DecoderModel.Step(shortStep, model.newCache(shortStep.length))), every);
        float[][] expected = model.forward(shortStep, model.newCache(shortStep.length), true);
        for (int t = 0; t < shortStep.length; t++) {
            assertThat(every[t]).isEqualTo(expected[t]);
        }
        assertThatThrownBy(() -> model.forwardAllInto(List.of(new DecoderModel.Step(shortStep, model.newCache(3))), new float[2][model.vocabSize()]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 tokens need as many rows");
    }
}
