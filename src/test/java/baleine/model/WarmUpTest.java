package baleine.model;

import baleine.RandomModels;
import baleine.model.llama.LlamaConfig;
import baleine.tensor.GgmlType;
import baleine.tensor.Parallel;
import baleine.writer.ModelSpec;
import baleine.writer.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link DecoderModel#warmUp} and {@link DecoderModel#warmUpKernels} change nothing a later pass computes, and end when asked to. */
class WarmUpTest {
    @Test
    void logitsAreTheSameBeforeAndAfterWarmingUp() throws Exception {
        try (DecoderModel model = RandomModels.load("tiny-deepseek-v2-lite", GgmlType.Q8_0, 11)) {
            int[] prompt = RandomModels.tokens(model, 9, 3);
            float[][] before = model.forward(prompt, model.newCache(prompt.length), true);
            model.warmUp(0, 4); // one round
            float[][] after = model.forward(prompt, model.newCache(prompt.length), true);
            for (int t = 0; t < prompt.length; t++) {
                assertThat(after[t]).as("position " + t).isEqualTo(before[t]);
            }
        }
    }

    @Test
    void theKernelsOfAModelOfLargerMatricesWarmUpAndItsLogitsStayTheSame(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wide.gguf"); // 1024 x 1024 matrices: 32 kernel samples of 64 x 512 each
        RandomModelWriter.writeGguf(new ModelSpec.Dense(new LlamaConfig(1024, 1, 4, 2, 256, 1024, 1e-6f, 10000, null, true, 256),
                1024, true, false), GgmlType.Q4_K, 12, file);
        try (DecoderModel model = Architectures.load(file)) {
            int[] prompt = RandomModels.tokens(model, 5, 4);
            float[][] before = model.forward(prompt, model.newCache(prompt.length), true);
            AtomicInteger kinds = new AtomicInteger();
            assertThat(model.warmUpKernels(() -> kinds.incrementAndGet() < 0)).isTrue();
            assertThat(kinds).as("every matrix Q4_K, regrouped").hasValue(1);
            float[][] after = model.forward(prompt, model.newCache(prompt.length), true);
            for (int t = 0; t < prompt.length; t++) {
                assertThat(after[t]).as("position " + t).isEqualTo(before[t]);
            }
        }
    }

    @Test
    void aWarmUpEndsAfterThePassDuringWhichItIsAskedToStop() throws Exception {
        try (DecoderModel model = RandomModels.load("tiny-deepseek-v2-lite", GgmlType.Q8_0, 11)) {
            AtomicInteger kinds = new AtomicInteger(), asked = new AtomicInteger();
            assertThat(model.warmUpKernels(() -> kinds.incrementAndGet() < 0)).isTrue(); // asked after each kind warmed
            // the kernels, a prompt, a step, then asked to stop (a round has five passes)
            model.warmUp(0, 1, () -> asked.incrementAndGet() >= kinds.get() + 2);
            assertThat(asked).hasValue(kinds.get() + 2);
            asked.set(0);
            model.warmUp(0, 1, () -> asked.incrementAndGet() >= 1); // asked to stop at its first ask
            assertThat(asked.get()).as("the kinds under way then, or the first pass").isBetween(1, Parallel.threads());
        }
    }
}
