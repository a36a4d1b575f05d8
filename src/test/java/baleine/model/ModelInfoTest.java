package baleine.model;

import baleine.tensor.GgmlType;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ModelInfoTest {
    @Test
    void decodeWeightBytesCountAttentionSelectedExpertsDenseAndSharedMlpsAndTheHead(@TempDir Path dir) throws Exception {
        // tiny-deepseek-v3: hidden 64, 3 layers (the first dense), 4 heads, q_lora 48, kv_lora 32, nope 16, rope 16,
        // v 24, dense width 160, 16 experts of width 32, 1 shared, 4 selected, vocabulary 1024
        long attention = 48 * 64 + 4 * 32 * 48 + (32 + 16) * 64 + 4 * (16 + 24) * 32 + 64 * 4 * 24;
        long dense = 3 * 160 * 64;
        long moe = 16 * 64 + 4 * (3 * 32 * 64) + 3 * 32 * 64;
        long head = 1024 * 64;
        RandomModelWriter.writeGguf(ModelPresets.ALL.get("tiny-deepseek-v3"), GgmlType.F32, 1, dir.resolve("m.gguf"));
        try (DecoderModel m = Architectures.load(dir.resolve("m.gguf"))) {
            assertThat(m.info().decodeWeightBytes()).isEqualTo(4 * (3 * attention + dense + 2 * moe + head));
        }
    }
}
