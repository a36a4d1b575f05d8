package baleine.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaMatcherTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEMA = """
            {"type": "object", "required": ["name", "age"], "properties": {
              "name": {"type": "string"}, "age": {"type": "integer"}, "score": {"type": "number"},
              "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
              "kind": {"enum": ["cat", "dog", 7]}, "ok": {"type": "boolean"}, "none": {"type": "null"},
              "inner": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}""";

    static SchemaMatcher matcher() throws Exception {
        return new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(SCHEMA)));
    }

    static boolean full(String text) throws Exception {
        SchemaMatcher m = matcher();
        return m.accept(text.getBytes(StandardCharsets.UTF_8)) && m.complete();
    }

    static boolean prefix(String text) throws Exception {
        return matcher().accept(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsInstancesOfTheSchemaAndRejectsTheRest() throws Exception {
        assertThat(full("{\"name\":\"x\",\"age\":3}")).isTrue();
        assertThat(full(" { \"age\" : -12 , \"name\" : \"y\\u00e9\", \"tags\": [\"a\", \"b\"], \"kind\": 7, \"ok\": false, "
                + "\"none\": null, \"score\": 1.5e3, \"inner\": {\"x\": 0} } ")).isTrue();
        assertThat(full("{\"age\":1}")).isFalse();                      // name is required
        assertThat(prefix("{\"age\":1}")).isFalse();
        assertThat(prefix("{\"name\":1")).isFalse();                     // a string is expected
        assertThat(prefix("{\"name\":\"x\",\"age\":1.5")).isFalse();      // integer
        assertThat(prefix("{\"extra\"")).isFalse();                      // undeclared property
        assertThat(prefix("{\"kind\":\"cow\"")).isFalse();
        assertThat(prefix("{\"tags\":[\"a\",\"b\",\"c\",\"d\"")).isFalse(); // maxItems 3
        assertThat(prefix("{\"age\":1,\"age\":2")).isFalse();            // each property once
        assertThat(prefix("{\"inner\":{}")).isFalse();                   // inner.x is required
        assertThat(prefix("{\"ok\":tru")).isTrue();
        assertThat(prefix("{\"ok\":truth")).isFalse();
    }

    @Test
    void randomWalksThatFinishAreAlwaysValidInstances() throws Exception {
        byte[] alphabet = " \n{}[]:,\"\\-+.0123456789abcdefghijklmnopqrstuvwxyzE".getBytes(StandardCharsets.UTF_8);
        Random rnd = new Random(11);
        int finished = 0;
        for (int walk = 0; walk < 300; walk++) {
            SchemaMatcher m = matcher();
            StringBuilder text = new StringBuilder();
            for (int step = 0; step < 200 && !m.complete(); step++) {
                List<Byte> allowed = new ArrayList<>();
                for (byte b : alphabet) {
                    if (m.copy().accept(b & 0xFF)) {
                        allowed.add(b);
                    }
                }
                assertThat(allowed).as("stuck after %s", text.toString().replace("\n", "\\n")).isNotEmpty();
                byte b = allowed.get(rnd.nextInt(allowed.size()));
                assertThat(m.accept(b & 0xFF)).isTrue();
                text.append((char) b);
            }
            if (m.complete()) {
                finished++;
                JsonNode n = JSON.readTree(text.toString());
                assertThat(n.path("name").isTextual()).as(text.toString()).isTrue();
                assertThat(n.path("age").isIntegralNumber()).as(text.toString()).isTrue();
                if (n.has("tags")) {
                    assertThat(n.get("tags").size()).isLessThanOrEqualTo(3);
                }
                if (n.has("kind")) {
                    assertThat(n.get("kind").toString()).isIn("\"cat\"", "\"dog\"", "7");
                }
            }
        }
        assertThat(finished).isGreaterThan(20);
    }

    @Test
    void unsupportedKeywordsAreRefusedWithTheirPath() {
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"anyOf\":[]}}}")))
                .hasMessageContaining("$.a").hasMessageContaining("'anyOf' is not supported");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"object\",\"required\":[\"b\"]}")))
                .hasMessageContaining("'b' is not among the properties");
    }
}
