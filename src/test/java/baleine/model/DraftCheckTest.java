package baleine.model;

import baleine.RandomModels;
import baleine.cache.KvCache;
import baleine.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What prompt-lookup drafting relies on: tokens checked together in one pass get the logits, bit for bit, that
 * they get decoded one at a time, and a cache cut back after the check continues as if the rejected tokens had
 * never been evaluated.
 */
class DraftCheckTest {
    @ParameterizedTest
    @CsvSource({"tiny-qwen2, Q4_0", "tiny-llama3, Q8_0", "tiny-deepseek-v2-lite, Q8_0", "tiny-deepseek-v3, BF16"})
    void tokensCheckedInOnePassGetTheLogitsOfOneAtATime(String preset, GgmlType type) throws Exception {
        try (DecoderModel model = RandomModels.load(preset, type, 11)) {
            int[] prompt = RandomModels.tokens(model, 23, 1), next = RandomModels.tokens(model, 7, 2);
            KvCache alone = model.newCache(64);
            model.forward(prompt, alone, false);
            float[][] oneAtATime = new float[next.length][];
            for (int i = 0; i < next.length; i++) {
                oneAtATime[i] = model.forward(new int[]{next[i]}, alone, false)[0];
            }
            KvCache checked = model.newCache(64);
            model.forward(prompt, checked, false);
            float[][] together = model.forward(next, checked, true);
            for (int i = 0; i < next.length; i++) {
                assertThat(together[i]).as("token " + i).isEqualTo(oneAtATime[i]);
            }
            // three of the seven stand; the cache continues from there with a different token
            checked.truncate(prompt.length + 3);
            alone.truncate(prompt.length + 3);
            int other = (next[3] + 1) % model.vocabSize();
            float[] afterCheck = model.forward(new int[]{other}, checked, false)[0];
            assertThat(afterCheck).isEqualTo(model.forward(new int[]{other}, alone, false)[0]);
            KvCache fresh = model.newCache(64);
            model.forward(prompt, fresh, false);
            model.forward(Arrays.copyOf(next, 3), fresh, false);
            assertThat(afterCheck).isEqualTo(model.forward(new int[]{other}, fresh, false)[0]);
        }
    }
}
