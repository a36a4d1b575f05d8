package baleine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import baleine.SharedFixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property test: on random and adversarial strings our tokenizer gives exactly the ids of the Hugging
 * Face {@code tokenizers} library (Rust, through DJL's JNI binding), and decodes back to the text.
 */
class HuggingFaceOracleTest {
    private static final String[] ALPHABET = {
            "a", "Z", "é", "ß", "ı", "İ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "1", "22", "333", "4444", "٣", "½",
            "'s", "'S", "'ll", "!", "?!", "...", "—", "«", "»", "$", "€", "+", "=", "<", ">", "`", "~", "\\", "\"",
            "中", "文字", "日本語", "ひらがな", "カタカナ", "한국어", "ไทย", "العربية", "עברית", "Ελληνικά", "кириллица",
            "😀", "👩‍👩‍👧", "🇫🇷", "\u200d", "\u0301", "e\u0301", "\ufeff", "\u0000", "\u001b", "\ud800\udc00",
            "<｜User｜>", "<｜Assistant｜>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<think>", "</think>",
            "<｜tool▁calls▁begin｜>", "<|im_end|>", "｜", "▁", "Hello", "world", "DeepSeek", "function(x) {", "}", "::",
            "https://example.com/a?b=c", "x".repeat(40), "0.5e-3", "-123", "1,000,000", "3.14159265358979",
    };

    @Test
    void randomAndAdversarialStringsMatchTheRustTokenizer() throws Exception {
        Path dir = SharedFixtures.conformance().resolve("tokenizer");
        Tokenizer ours = Tokenizers.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json")).tokenizer();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false", "modelMaxLength", "10000000"))) {
            Random rnd = new Random(20261129);
            for (int n = 0; n < 3000; n++) {
                StringBuilder sb = new StringBuilder();
                int parts = 1 + rnd.nextInt(12);
                for (int p = 0; p < parts; p++) {
                    if (rnd.nextInt(4) == 0) {
                        sb.appendCodePoint(randomCodePoint(rnd));
                    } else {
                        sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
                    }
                }
                String text = sb.toString();
                long[] expected = hf.encode(text, false, false).getIds();
                int[] got = ours.encode(text, false);
                assertThat(got).as("ids of %s", escape(text)).containsExactly(toInt(expected));
                assertThat(ours.decode(got)).as("round trip of %s", escape(text)).isEqualTo(text);
            }
        }
    }

    private static int randomCodePoint(Random rnd) {
        while (true) {
            int cp = switch (rnd.nextInt(4)) {
                case 0 -> rnd.nextInt(0x80);
                case 1 -> rnd.nextInt(0x800);
                case 2 -> rnd.nextInt(0x10000);
                default -> 0x10000 + rnd.nextInt(0x100000);
            };
            if (Character.isValidCodePoint(cp) && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                return cp;
            }
        }
    }

    private static int[] toInt(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp > 0x7e ? String.format("\\u{%x}", cp) : String.valueOf((char) cp)));
        return sb.toString();
    }
}
