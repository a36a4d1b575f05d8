package baleine.tokenizer;

import baleine.SharedFixtures;
import baleine.format.gguf.GgufStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizerTest {
    static final List<String> TEXTS = List.of("Hello world", "  leading spaces\n\nand lines", "1234567 numbers 3.14",
            "中文和日本語のテキスト", "emoji 🚀😶‍🌫️ ok", "<｜User｜>hi<｜Assistant｜>", "tabs\tand\r\nCRLF", "x".repeat(100),
            "Ça va? Très bien! «Citation»", "def f(x):\n    return x**2  # comment");

    @Test
    void ggufMetadataTokenizerEncodesLikeTheHuggingFaceOneOfTheSameModel() {
        Path models = SharedFixtures.conformance().resolve("models");
        for (String m : List.of("dsv3-a", "qwen2-a", "llama3-a")) {
            Tokenizer hf = Tokenizers.fromHuggingFace(models.resolve(m).resolve("hf-bf16")).tokenizer();
            Path gguf = models.resolve(m).resolve(m + "-q8_0.gguf");
            try (GgufStore store = GgufStore.open(gguf)) {
                Tokenizer fromGguf = Tokenizers.fromGguf(store.metadata(), gguf.toString()).tokenizer();
                for (String t : TEXTS) {
                    assertThat(fromGguf.encode(t, false)).as(m + ": " + t).containsExactly(hf.encode(t, false));
                }
            }
        }
    }

    @Test
    void streamingDecoderNeverSplitsACharacter() {
        Path dir = SharedFixtures.conformance().resolve("tokenizer");
        Tokenizer tok = Tokenizers.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json")).tokenizer();
        for (String text : TEXTS) {
            StreamingDecoder d = tok.streamingDecoder();
            StringBuilder out = new StringBuilder();
            for (int id : tok.encode(text, false)) {
                String piece = d.push(id);
                assertThat(piece).doesNotContain("\uFFFD");
                if (!piece.isEmpty()) {
                    assertThat(Character.isLowSurrogate(piece.charAt(0))).isFalse();
                    assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
                }
                out.append(piece);
            }
            out.append(d.flush());
            assertThat(out.toString()).isEqualTo(text);
        }
    }

    @Test
    void completePrefixStopsBeforeAnUnfinishedCharacter() {
        byte[] rocket = "a🚀".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int cut = 1; cut < rocket.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(rocket, cut);
            assertThat(StreamingDecoder.completePrefix(part)).isEqualTo(1);
        }
        assertThat(StreamingDecoder.completePrefix(rocket)).isEqualTo(rocket.length);
    }

    @Test
    void ggufPreTokenizerTypesCompileAndSplitAsLlamaCppDoes() {
        assertThat(new PreTokenizer(PreTokenizer.forGgufPreType("deepseek-llm")).split("Hello world 12345\n中文"))
                .containsExactly("Hello", " world", " ", "12345", "\n", "中文");
        assertThat(new PreTokenizer(PreTokenizer.forGgufPreType("deepseek-v3")).split("abc1234"))
                .containsExactly("abc", "123", "4");
        assertThat(new PreTokenizer(PreTokenizer.forGgufPreType("qwen2")).split("x 42")).containsExactly("x", " ", "4", "2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PreTokenizer.forGgufPreType("falcon"))
                .hasMessageContaining("'falcon' is not supported");
    }

    @Test
    void specialTokensAreSkippedOnlyWhenAsked() {
        Path dir = SharedFixtures.conformance().resolve("tokenizer");
        Tokenizer tok = Tokenizers.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json")).tokenizer();
        int[] ids = tok.encode("<｜begin▁of▁sentence｜>Hi", false);
        assertThat(ids[0]).isZero();
        assertThat(tok.decode(ids)).isEqualTo("<｜begin▁of▁sentence｜>Hi");
        assertThat(tok.decode(ids, true)).isEqualTo("Hi");
    }
}
