package baleine.writer;

import baleine.format.gguf.GgufStore;
import baleine.format.gguf.LlamaFileType;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufFileTypeTest {
    @Test
    void moreBitsGoToTheFirstAndLastEighthAndEveryThirdLayerBetween() {
        List<Integer> picked = new ArrayList<>();
        for (int i = 0; i < 28; i++) {
            if (GgufFileType.usesMoreBits(i, 28)) {
                picked.add(i);
            }
        }
        // R1-Distill-Qwen-1.5B's 28 layers: 0-2, 24-27, and 5, 8, ..., 23
        assertThat(picked).containsExactly(0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27);
    }

    @Test
    void q4KMGivesTheHeadAndSomeLayersValueAndDownProjectionsSixBits(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get("tiny-llama3").withLayers(8); // 256 wide: every matrix fills whole k-quant blocks
        Path file = dir.resolve("m.gguf");
        RandomModelWriter.writeGguf(spec, GgufFileType.parse("Q4_K_M"), 3, file, true, w -> {
        });
        Set<Integer> sixBitLayers = Set.of(0, 3, 6, 7);
        try (GgufStore store = GgufStore.open(file)) {
            assertThat(store.metadata().integer("general.file_type")).as("llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M").isEqualTo(15);
            assertThat(store.fileType()).contains("Q4_K_M");
            assertThat(store.typeName("output.weight")).isEqualTo("Q6_K");
            assertThat(store.typeName("token_embd.weight")).isEqualTo("Q4_K");
            for (int i = 0; i < 8; i++) {
                String wide = sixBitLayers.contains(i) ? "Q6_K" : "Q4_K";
                assertThat(store.typeName("blk." + i + ".ffn_down.weight")).as("layer %d", i).isEqualTo(wide);
                assertThat(store.typeName("blk." + i + ".attn_v.weight")).as("layer %d", i).isEqualTo(wide);
                assertThat(store.typeName("blk." + i + ".attn_q.weight")).isEqualTo("Q4_K");
                assertThat(store.typeName("blk." + i + ".ffn_gate.weight")).isEqualTo("Q4_K");
                assertThat(store.typeName("blk." + i + ".attn_norm.weight")).isEqualTo("F32");
            }
        }
        try (DecoderModel m = Architectures.load(file)) {
            assertThat(m.info().quantization()).isEqualTo("Q4_K_M"); // as Ollama's quantization_level shows it
            for (float[] row : m.forward(new int[]{1, 5, 9}, m.newCache(), true)) {
                for (float v : row) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
        }
    }

    @Test
    void singleTypesStayUniformAndUnknownNamesListTheChoices() {
        GgufFileType q8 = GgufFileType.parse("q8_0");
        assertThat(q8.requested("output.weight", 4)).isEqualTo(GgmlType.Q8_0);
        assertThat(q8.requested("blk.0.ffn_down.weight", 4)).isEqualTo(GgmlType.Q8_0);
        assertThat(GgufFileType.parse("q5_k_m").requested("blk.1.ffn_up.weight", 4)).isEqualTo(GgmlType.Q5_K);
        assertThat(q8.llamaFileType().id).isEqualTo(7);
        assertThat(GgufFileType.parse("q4_k").llamaFileType()).isEqualTo(LlamaFileType.Q4_K_S); // as llama-quantize names a mostly-Q4_K file
        assertThat(GgufFileType.parse("bf16").llamaFileType().id).isEqualTo(32);
        assertThat(LlamaFileType.of(99)).isEmpty();
        assertThatThrownBy(() -> GgufFileType.parse("q4_k_xl")).hasMessageContaining("unknown GGUF type 'q4_k_xl'").hasMessageContaining("q4_k_m");
    }
}
