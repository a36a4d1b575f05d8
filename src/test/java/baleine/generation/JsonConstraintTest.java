package baleine.generation;

import baleine.api.Baleine;
import baleine.tokenizer.Tokenizer;
import baleine.writer.DemoModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

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

    /**
     * Random walks over the demo tokenizer's tokens, each drawn among those the mask allows: none gets stuck, and
     * every finished text is valid UTF-8 and JSON that follows the schema's checked parts.
     */
    @Test
    void tokenWalksNeverGetStuckAndFinishAsValidJson() throws Exception {
        String[] schemas = {
                "{\"type\":\"object\",\"properties\":{\"born\":{\"type\":\"string\",\"format\":\"date\"},"
                        + "\"code\":{\"type\":\"string\",\"pattern\":\"^[a-z]{2,4}$\"}},\"required\":[\"born\",\"code\"]}",
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":8},"
                        + "\"age\":{\"anyOf\":[{\"type\":\"integer\",\"minimum\":0,\"maximum\":120},{\"type\":\"null\"}]}},\"required\":[\"city\",\"age\"]}",
                "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}"};
        ObjectMapper json = new ObjectMapper();
        try (Baleine model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()))) {
            Tokenizer t = model.tokenizer().tokenizer();
            Random rnd = new Random(7);
            for (String schemaJson : schemas) {
                SchemaMatcher.Node schema = SchemaMatcher.compile(json.readTree(schemaJson));
                int finished = 0;
                for (int walk = 0; walk < 60; walk++) {
                    JsonConstraint c = JsonConstraint.of(t, new SchemaMatcher(schema));
                    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
                    for (int step = 0; step < 60 && !c.complete(); step++) {
                        float[] logits = new float[t.vocabSize()];
                        c.mask(logits); // throws when stuck
                        List<Integer> allowed = new ArrayList<>();
                        for (int id = 0; id < logits.length; id++) {
                            if (logits[id] == 0f) {
                                allowed.add(id);
                            }
                        }
                        int id = allowed.get(rnd.nextInt(allowed.size()));
                        c.advance(id);
                        text.writeBytes(t.bytes(id));
                    }
                    if (c.complete()) {
                        finished++;
                        String s = java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(text.toByteArray())).toString();
                        JsonNode n = json.readTree(s);
                        if (n.has("born")) {
                            assertThat(n.get("born").asText()).matches("\\d{4}-\\d{2}-\\d{2}");
                            assertThat(n.get("code").asText()).matches("[a-z]{2,4}");
                        }
                        if (n.has("city")) {
                            assertThat(n.get("city").asText().codePointCount(0, n.get("city").asText().length())).isLessThanOrEqualTo(8);
                        }
                    }
                }
                assertThat(finished).as(schemaJson).isPositive();
            }
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
