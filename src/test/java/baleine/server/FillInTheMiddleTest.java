package baleine.server;

import baleine.SharedFixtures;
import baleine.api.Baleine;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** DeepSeek's FIM completion ({@code /beta/completions} with {@code suffix}) on a model whose vocabulary has the FIM tokens. */
class FillInTheMiddleTest {
    @Test
    void prefixHoleSuffixBecomeDeepSeeksFimPromptWithItsSpecialTokens() throws Exception {
        try (Baleine model = Baleine.load(SharedFixtures.conformance().resolve("models/dsv3-a/hf-bf16"))) {
            var tok = model.tokenizer().tokenizer();
            int begin = tok.idOf("<｜fim▁begin｜>").orElseThrow(), hole = tok.idOf("<｜fim▁hole｜>").orElseThrow();
            int end = tok.idOf("<｜fim▁end｜>").orElseThrow();
            var body = new ObjectMapper().readTree("{\"prompt\":\"def add(a, b):\\n    \",\"suffix\":\"\\n\\nprint(add(1, 2))\",\"max_tokens\":4}");
            int[] ids = new RequestParser(model, "m").completion(body).prompt();
            int[] prefix = tok.encode("def add(a, b):\n    ", false), suffix = tok.encode("\n\nprint(add(1, 2))", false);
            int first = ids[0] == begin ? 0 : 1; // after the BOS the model's config asks for
            assertThat(ids[first]).isEqualTo(begin);
            assertThat(Arrays.copyOfRange(ids, first + 1, first + 1 + prefix.length)).containsExactly(prefix);
            assertThat(ids[first + 1 + prefix.length]).isEqualTo(hole);
            assertThat(Arrays.copyOfRange(ids, first + 2 + prefix.length, ids.length - 1)).containsExactly(suffix);
            assertThat(ids[ids.length - 1]).isEqualTo(end);
        }
    }
}
