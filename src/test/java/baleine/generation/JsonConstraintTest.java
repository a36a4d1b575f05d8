package baleine.generation;

import baleine.api.Baleine;
import baleine.tokenizer.Tokenizer;
import baleine.writer.DemoModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonConstraintTest {
    /**
     * The mask tries tokens by shared prefix, and inside a string lets plain-text tokens through untried: it must
     * allow exactly the tokens that, tried one by one, continue the text.
     */
    @Test
    void theMaskAllowsExactlyTheTokensThatContinueTheText() throws Exception {
        try (Baleine model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()))) {
            Tokenizer t = model.tokenizer().tokenizer();
            String bounded = "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"maxLength\":3},"
                    + "\"n\":{\"type\":\"integer\",\"minimum\":10,\"maximum\":99},\"when\":{\"type\":\"string\",\"format\":\"date\"}}}";
            check(t, SchemaMatcherTest.PYDANTIC, "", "{", "{\"na", "{\"name\": \"Ad", "{\"name\": \"a\\", "{\"name\": \"a\", \"age\":",
                    "{\"name\": \"a\", \"age\": 1", "{\"name\": \"a\", \"age\": nu", "{\"name\": \"a\", \"age\": 1, \"address\": {\"zip\": ");
            check(t, bounded, "{\"code\": \"a", "{\"code\": \"abc", "{\"n\": ", "{\"n\": 1", "{\"when\": \"20", "{\"when\": \"2026-12-01");
        }
    }

    @Test
    void aCornerWithNoTokenLeftIsAnErrorNotARandomToken() throws Exception {
        JsonMatcher cornered = new FakeMatcher(b -> false); // a text no byte can continue
        try (Baleine model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()))) {
            Tokenizer t = model.tokenizer().tokenizer();
            assertThatThrownBy(() -> JsonConstraint.of(t, cornered).mask(new float[t.vocabSize()]))
                    .hasMessageContaining("no token can continue the constrained answer");
        }
    }

    private static void check(Tokenizer t, String schemaJson, String... prefixes) throws Exception {
        SchemaMatcher.Node schema = SchemaMatcher.compile(new ObjectMapper().readTree(schemaJson));
        for (String prefix : prefixes) {
            JsonConstraint c = JsonConstraint.of(t, new SchemaMatcher(schema));
            for (int id : t.encode(prefix)) {
                c.advance(id);
            }
            float[] logits = new float[t.vocabSize()];
            Arrays.fill(logits, 1f);
            c.mask(logits);
            int allowed = 0;
            for (int id = 0; id < logits.length; id++) {
                assertThat(logits[id] == 1f).as("token %d after %s", id, prefix).isEqualTo(c.allowed(id));
                allowed += logits[id] == 1f ? 1 : 0;
            }
            assertThat(allowed).as(prefix).isPositive();
        }
    }
}
