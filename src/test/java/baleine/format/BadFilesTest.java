package baleine.format;

import baleine.cache.ContextOverflowException;
import baleine.cache.KvCache;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import baleine.tensor.UnsupportedTensorTypeException;
import baleine.writer.GgufWriter;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;
import baleine.writer.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Truncated, corrupt and unsupported files give an error naming the file, the part and the problem. */
class BadFilesTest {
    @TempDir
    Path dir;

    private Path gguf() throws Exception {
        Path p = dir.resolve("m.gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get("tiny-deepseek-v3"), GgmlType.Q8_0, 1, p);
        return p;
    }

    private Path copy(Path src, String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void ggufTruncatedAnywhereIsReportedAsTruncated() throws Exception {
        byte[] full = Files.readAllBytes(gguf());
        for (int cut : new int[]{3, 10, 30, 200, full.length / 3, full.length - 1}) {
            Path p = copy(null, "cut" + cut + ".gguf", Arrays.copyOf(full, cut));
            assertThatThrownBy(() -> Architectures.load(p)).as("cut at " + cut)
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining(p.toString())
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("truncated", "not a GGUF file"));
        }
    }

    @Test
    void ggufWithBadMagicOrVersionIsRejected() throws Exception {
        byte[] full = Files.readAllBytes(gguf());
        byte[] magic = full.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> Architectures.load(copy(null, "magic.gguf", magic))).hasMessageContaining("not a GGUF file");
        byte[] version = full.clone();
        version[4] = 9;
        assertThatThrownBy(() -> Architectures.load(copy(null, "v9.gguf", version))).hasMessageContaining("GGUF version 9");
    }

    @Test
    void ggufVersion2ReadsLikeVersion3() throws Exception {
        Path v3 = gguf();
        byte[] bytes = Files.readAllBytes(v3);
        bytes[4] = 2;
        Path v2 = copy(null, "v2.gguf", bytes);
        try (DecoderModel a = Architectures.load(v3); DecoderModel b = Architectures.load(v2)) {
            assertThat(b.info().format()).isEqualTo("GGUF v2");
            assertThat(b.forward(new int[]{4, 8, 15}, b.newCache(), true)).isDeepEqualTo(a.forward(new int[]{4, 8, 15}, a.newCache(), true));
        }
    }

    @Test
    void unknownAndUnsupportedTensorTypesNameTheTensor() throws Exception {
        GgufWriter w = new GgufWriter().put("general.architecture", "llama");
        w.rawTensor("blk.0.attn_q.weight", new long[]{1, 256}, GgmlType.Q2_K, new byte[84]);
        Path unsupported = dir.resolve("q2k.gguf");
        w.write(unsupported);
        try (var store = baleine.format.gguf.GgufStore.open(unsupported)) {
            assertThatThrownBy(() -> store.weight("blk.0.attn_q.weight")).isInstanceOf(UnsupportedTensorTypeException.class)
                    .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("Q2_K");
        }
        byte[] bytes = Files.readAllBytes(unsupported);
        int typeAt = indexOf(bytes, "blk.0.attn_q.weight".getBytes()) + "blk.0.attn_q.weight".length() + 4 + 16;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 77);
        assertThatThrownBy(() -> Architectures.load(copy(null, "t77.gguf", bytes)))
                .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("unknown type id 77");
    }

    @Test
    void aModelWhoseTokenizerCannotBeReadFailsBeforeItsWeightsAre() throws Exception {
        // a qwen2 file with one tensor and no tokenizer: reading its weights would fail on the missing metadata and
        // tensors, so the tokenizer's error shows that it was checked first (and the architecture's before it)
        Path p = dir.resolve("no-tokenizer.gguf");
        new GgufWriter().put("general.architecture", "qwen2")
                .tensor(new TensorData("token_embd.weight", new long[]{4, 32}, () -> new float[128]), GgmlType.F32).write(p);
        assertThatThrownBy(() -> baleine.api.Baleine.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("has no tokenizer");
        assertThatThrownBy(() -> baleine.api.Baleine.load(p, new baleine.api.Baleine.Options(5000, java.util.Optional.empty(), WeightMemory.MAP)))
                .as("the context asked for, checked first against the file's (4096 when it declares none)")
                .hasMessage("context size 5000 is more than this model's 4096 tokens; give at most 4096");
        Path mamba = dir.resolve("mamba.gguf");
        new GgufWriter().put("general.architecture", "mamba")
                .tensor(new TensorData("token_embd.weight", new long[]{4, 32}, () -> new float[128]), GgmlType.F32).write(mamba);
        assertThatThrownBy(() -> baleine.api.Baleine.load(mamba)).hasMessageContaining("unknown architecture 'mamba'");
        Path hf = dir.resolve("hf-no-tokenizer");
        RandomModelWriter.writeHf(ModelPresets.ALL.get("tiny-qwen2"), RandomModelWriter.HfType.BF16, 1, hf);
        assertThat(hf.resolve("tokenizer.json")).doesNotExist(); // the writer writes weights and config only
        assertThatThrownBy(() -> baleine.api.Baleine.load(hf)).hasMessageContaining("has no tokenizer.json");
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() throws Exception {
        Path p = dir.resolve("x.gguf");
        new GgufWriter().put("general.architecture", "mamba")
                .tensor(new TensorData("token_embd.weight", new long[]{4, 32}, () -> new float[128]), GgmlType.F32).write(p);
        assertThatThrownBy(() -> Architectures.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("unknown architecture 'mamba'").hasMessageContaining("deepseek2").hasMessageContaining("qwen2");
        Path hf = dir.resolve("hf");
        RandomModelWriter.writeHf(ModelPresets.ALL.get("tiny-qwen2"), RandomModelWriter.HfType.BF16, 1, hf);
        Files.writeString(hf.resolve("config.json"), "{\"architectures\": [\"MambaForCausalLM\"]}");
        assertThatThrownBy(() -> Architectures.load(hf)).hasMessageContaining("MambaForCausalLM").hasMessageContaining("DeepseekV3ForCausalLM");
    }

    @Test
    void configWithoutARequiredNumberNamesTheKey() throws Exception {
        for (String preset : new String[]{"tiny-qwen2", "tiny-deepseek-v3"}) {
            Path hf = dir.resolve(preset);
            RandomModelWriter.writeHf(ModelPresets.ALL.get(preset), RandomModelWriter.HfType.BF16, 1, hf);
            Path config = hf.resolve("config.json");
            Files.writeString(config, Files.readString(config).replace("\"hidden_size\"", "\"hidden_size_\""));
            assertThatThrownBy(() -> Architectures.load(hf)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("config.json lacks the number 'hidden_size'");
        }
    }

    @Test
    void safetensorsTruncatedOrCorruptIsReported() throws Exception {
        Path hf = dir.resolve("hf");
        RandomModelWriter.writeHf(ModelPresets.ALL.get("tiny-deepseek-v3"), RandomModelWriter.HfType.FP8, 1, hf);
        Path weights = hf.resolve("model.safetensors");
        byte[] full = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(full, full.length - 10));
        assertThatThrownBy(() -> Architectures.load(hf)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors is truncated");
        Files.write(weights, Arrays.copyOf(full, 5));
        assertThatThrownBy(() -> Architectures.load(hf)).hasMessageContaining("truncated");
        byte[] badJson = full.clone();
        badJson[8] = 'x';
        Files.write(weights, badJson);
        assertThatThrownBy(() -> Architectures.load(hf)).hasMessageContaining("not valid JSON");
        String header = new String(full, 8, 4096, java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] noScale = full.clone();
        int at = header.indexOf("o_proj.weight_scale_inv") + 8;
        noScale[at + "o_proj.weight_".length()] = 'X';
        Files.write(weights, noScale);
        assertThatThrownBy(() -> Architectures.load(hf)).hasMessageContaining("o_proj.weight_scale_inv");
        Files.delete(weights);
        assertThatThrownBy(() -> Architectures.load(hf)).hasMessageContaining("no .safetensors weights");
    }

    @Test
    void missingModelIsAClearError() {
        assertThatThrownBy(() -> Architectures.load(dir.resolve("nope.gguf"))).hasMessageContaining("model not found");
        assertThatThrownBy(() -> Architectures.load(dir)).hasMessageContaining("without config.json");
    }

    @Test
    void promptLongerThanTheContextIsRejectedWithoutTouchingTheCache() throws Exception {
        try (DecoderModel m = Architectures.load(gguf())) {
            KvCache cache = m.newCache(8);
            m.forward(new int[]{1, 2, 3}, cache, false);
            assertThatThrownBy(() -> m.forward(new int[]{1, 2, 3, 4, 5, 6}, cache, false))
                    .isInstanceOf(ContextOverflowException.class).hasMessageContaining("context length of 8");
            assertThat(cache.length()).isEqualTo(3);
            assertThatThrownBy(() -> m.forward(new int[]{5000}, cache, false)).hasMessageContaining("outside the vocabulary");
            assertThat(cache.length()).isEqualTo(3);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
