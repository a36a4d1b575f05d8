package baleine.writer;

import baleine.conformance.LogitComparison;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same random weights written as a Hugging Face directory and as a GGUF file (merged experts, split
 * attn_k_b/attn_v_b, permuted Llama Q/K rows, rope_freqs) must give the same logits.
 */
class CrossFormatTest {
    static final int[] TOKENS = {1, 17, 300, 5, 42, 99, 7, 250, 3, 64, 128, 11};

    static float[][] logits(Path model) {
        try (DecoderModel m = Architectures.load(model)) {
            return m.forward(TOKENS, m.newCache(), true);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-deepseek-v3", "tiny-deepseek-v2-lite", "tiny-deepseek-v2", "tiny-qwen2", "tiny-llama3"})
    void ggufAndHuggingFaceLayoutsOfOneModelAgree(String preset, @TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get(preset);
        RandomModelWriter.writeHf(spec, RandomModelWriter.HfType.F32, 5, dir.resolve("hf"));
        RandomModelWriter.writeGguf(spec, GgmlType.F32, 5, dir.resolve("m.gguf"));
        float[][] hf = logits(dir.resolve("hf")), gguf = logits(dir.resolve("m.gguf"));
        float[] flat = new float[hf.length * hf[0].length];
        for (int t = 0; t < hf.length; t++) {
            System.arraycopy(hf[t], 0, flat, t * hf[0].length, hf[0].length);
        }
        LogitComparison c = LogitComparison.of(gguf, flat, hf[0].length);
        assertThat(c.maxAbsLogprobDiff()).as(preset).isLessThan(1e-3);
        assertThat(c.top1Agreement()).isEqualTo(1.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-deepseek-v3", "tiny-deepseek-v2-lite"})
    void olderGgufWithWholeAttnKvBMatchesTheSplitForm(String preset, @TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get(preset);
        RandomModelWriter.writeGguf(spec, GgmlType.F32, 4, dir.resolve("split.gguf"), true);
        RandomModelWriter.writeGguf(spec, GgmlType.F32, 4, dir.resolve("whole.gguf"), false);
        try (var store = baleine.format.gguf.GgufStore.open(dir.resolve("whole.gguf"))) {
            assertThat(store.has("blk.0.attn_kv_b.weight")).isTrue();
            assertThat(store.has("blk.0.attn_k_b.weight")).isFalse();
        }
        float[][] split = logits(dir.resolve("split.gguf")), whole = logits(dir.resolve("whole.gguf"));
        for (int t = 0; t < split.length; t++) {
            for (int i = 0; i < split[t].length; i++) {
                assertThat(whole[t][i]).isCloseTo(split[t][i], org.assertj.core.api.Assertions.within(1e-3f));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void tiedEmbeddingsServeAsTheLmHead(@TempDir Path dir) throws Exception {
        ModelSpec.Dense untied = (ModelSpec.Dense) ModelPresets.ALL.get("tiny-qwen2");
        ModelSpec tied = new ModelSpec.Dense(untied.config(), untied.vocab(), true, true);
        RandomModelWriter.writeHf(tied, RandomModelWriter.HfType.F32, 6, dir.resolve("hf"));
        RandomModelWriter.writeGguf(tied, GgmlType.F32, 6, dir.resolve("m.gguf"));
        try (DecoderModel m = Architectures.load(dir.resolve("hf"))) {
            assertThat(m.headParameters()).isZero();
        }
        float[][] hf = logits(dir.resolve("hf")), gguf = logits(dir.resolve("m.gguf"));
        for (int t = 0; t < hf.length; t++) {
            for (int i = 0; i < hf[t].length; i++) {
                assertThat(gguf[t][i]).isCloseTo(hf[t][i], org.assertj.core.api.Assertions.within(1e-3f));
            }
        }
    }

    /** On a dense model (no routing decisions to flip) quantization moves logits in proportion to its resolution. */
    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q5_1", "BF16"})
    void quantizedFilesStayCloseToTheirFloatOriginal(String type, @TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get("tiny-qwen2");
        RandomModelWriter.writeGguf(spec, GgmlType.F32, 9, dir.resolve("f32.gguf"));
        RandomModelWriter.writeGguf(spec, GgmlType.valueOf(type), 9, dir.resolve("q.gguf"));
        float[][] ref = logits(dir.resolve("f32.gguf")), q = logits(dir.resolve("q.gguf"));
        double worst = 0;
        for (int t = 0; t < ref.length; t++) {
            for (int i = 0; i < ref[t].length; i++) {
                worst = Math.max(worst, Math.abs(ref[t][i] - q[t][i]));
                assertThat(Float.isFinite(q[t][i])).isTrue();
            }
        }
        assertThat(worst).as(type).isGreaterThan(0).isLessThan(switch (type) {
            case "Q4_0" -> 1.5;
            case "Q5_1" -> 1.0;
            default -> 0.3;
        });
    }

    @org.junit.jupiter.api.Test
    void nativeFp8CheckpointLoadsInPlaceAndTracksTheBf16One(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get("tiny-deepseek-v3");
        RandomModelWriter.writeHf(spec, RandomModelWriter.HfType.FP8, 3, dir.resolve("fp8"));
        RandomModelWriter.writeHf(spec, RandomModelWriter.HfType.F32, 3, dir.resolve("f32"));
        try (DecoderModel m = Architectures.load(dir.resolve("fp8"))) {
            assertThat(m.info().tensorTypes()).containsKey("F8_E4M3");
        }
        try (var fp8 = baleine.format.hf.HfStore.open(dir.resolve("fp8")); var f32 = baleine.format.hf.HfStore.open(dir.resolve("f32"))) {
            String name = "model.layers.1.mlp.experts.3.down_proj.weight";
            assertThat(fp8.typeName(name)).isEqualTo("F8_E4M3");
            float[] a = fp8.floats(name), b = f32.floats(name);
            float amax = 0;
            for (float v : b) {
                amax = Math.max(amax, Math.abs(v));
            }
            for (int i = 0; i < a.length; i++) {
                // e4m3 keeps 3 mantissa bits: relative error <= 1/16, plus the subnormal step of the block scale
                assertThat(Math.abs(a[i] - b[i])).isLessThanOrEqualTo(Math.abs(b[i]) / 16 + amax / 448 * 0x1p-9f * 2);
            }
        }
        float[][] fp8 = logits(dir.resolve("fp8"));
        for (float[] row : fp8) {
            for (float v : row) {
                assertThat(Float.isFinite(v)).isTrue();
            }
        }
    }

}
