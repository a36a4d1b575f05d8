package baleine.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

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

    /**
     * Walks of random bytes, each drawn among those the matcher accepts next, up to {@code steps}: none gets stuck,
     * and every text that completes passes {@code check}. Returns how many completed.
     */
    static int randomWalks(String schema, String alphabet, long seed, int steps, Consumer<JsonNode> check) throws Exception {
        SchemaMatcher.Node node = SchemaMatcher.compile(JSON.readTree(schema));
        byte[] bytes = alphabet.getBytes(StandardCharsets.UTF_8);
        Random rnd = new Random(seed);
        int finished = 0;
        for (int walk = 0; walk < 300; walk++) {
            SchemaMatcher m = new SchemaMatcher(node);
            StringBuilder text = new StringBuilder();
            for (int step = 0; step < steps && !m.complete(); step++) {
                List<Byte> allowed = new ArrayList<>();
                for (byte b : bytes) {
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
                try {
                    check.accept(JSON.readTree(text.toString()));
                } catch (AssertionError e) {
                    throw new AssertionError(text + ": " + e.getMessage(), e);
                }
            }
        }
        return finished;
    }

    @Test
    void randomWalksThatFinishAreAlwaysValidInstances() throws Exception {
        int finished = randomWalks(SCHEMA, " \n{}[]:,\"\\-+.0123456789abcdefghijklmnopqrstuvwxyzE", 11, 200, n -> {
            assertThat(n.path("name").isTextual()).isTrue();
            assertThat(n.path("age").isIntegralNumber()).isTrue();
            if (n.has("tags")) {
                assertThat(n.get("tags").size()).isLessThanOrEqualTo(3);
            }
            if (n.has("kind")) {
                assertThat(n.get("kind").toString()).isIn("\"cat\"", "\"dog\"", "7");
            }
        });
        assertThat(finished).isGreaterThan(20);
    }

    @Test
    void unsupportedKeywordsAreRefusedWithTheirPath() {
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"not\":{}}}}")))
                .hasMessageContaining("$.a").hasMessageContaining("'not' is not supported");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"anyOf\":[{\"type\":\"string\"}],\"type\":\"string\"}")))
                .hasMessageContaining("'type' beside 'anyOf' is not supported");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"object\",\"required\":[\"b\"]}")))
                .hasMessageContaining("'b' is not among the properties");
    }

    /** What Pydantic writes for a model with an optional field, a nested model and a nullable list. */
    static final String PYDANTIC = """
            {"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"},
                 "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Zip"}},
               "required": ["city"], "title": "Address", "type": "object"}},
             "properties": {"name": {"title": "Name", "type": "string"},
               "age": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Age"},
               "address": {"$ref": "#/$defs/Address"},
               "tags": {"type": ["array", "null"], "items": {"type": "string"}}},
             "required": ["name", "age", "address"], "title": "Person", "type": "object"}""";

    static boolean begins(String schema, String text) throws Exception {
        return new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(schema))).accept(text.getBytes(StandardCharsets.UTF_8));
    }

    static boolean full(String schema, String text) throws Exception {
        SchemaMatcher m = new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(schema)));
        return m.accept(text.getBytes(StandardCharsets.UTF_8)) && m.complete();
    }

    @Test
    void anyOfTypeListsAndReferencesAsPydanticWritesThem() throws Exception {
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":null,\"address\":{\"city\":\"P\",\"zip\":null}}")).isTrue();
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":12 ,\"address\":{\"city\":\"P\",\"zip\":\"75\"},\"tags\":[\"x\"]}")).isTrue();
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":-3,\"address\":{\"city\":\"P\"},\"tags\":null}")).isTrue();
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":\"x\"")).isFalse();           // integer or null
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":1.5")).isFalse();
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":1,\"address\":{\"zip\":5")).isFalse();
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":1,\"address\":{\"zip\":null}}")).isFalse(); // city is required
        assertThat(full(PYDANTIC, "{\"name\":\"a\",\"age\":1,\"address\":{\"city\":\"P\"},\"tags\":{")).isFalse();
        // a union at the root ends where its number may end
        assertThat(full("{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "42")).isTrue();
        assertThat(full("{\"type\":[\"number\",\"boolean\"]}", "tru")).isFalse();
        assertThat(full("{\"type\":[\"number\",\"boolean\"]}", "true")).isTrue();
    }

    @Test
    void dictionariesFreeFormObjectsAndAllOfOfOneSchema() throws Exception {
        String dict = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},\"required\":[\"id\"],"
                + "\"additionalProperties\":{\"type\":\"number\"}}"; // Pydantic's Dict[str, float] beside a field
        assertThat(full(dict, "{\"id\": 1, \"x\": 2.5, \"y é\": -1}")).isTrue();
        assertThat(full(dict, "{\"x\": 2.5, \"id\": 1}")).isTrue();
        assertThat(full(dict, "{\"x\": 2.5}")).as("id is required").isFalse();
        assertThat(full(dict, "{\"id\": 1, \"x\": \"no\"")).as("other values are numbers").isFalse();
        assertThat(full(dict, "{\"id\": 1, \"id\": 2")).as("each property once").isFalse();
        String free = "{\"type\":\"object\",\"properties\":{\"meta\":{\"type\":\"object\"}}}";
        assertThat(full(free, "{\"meta\": {\"a\": [1, {\"b\": null}], \"c\": \"d\"}}")).isTrue();
        assertThat(full("{\"type\":\"object\",\"properties\":{}}", "{\"a\": 1}")).as("declared: none").isFalse();
        assertThat(full("{\"type\":\"object\",\"additionalProperties\":false}", "{\"a\": 1}")).isFalse();
        assertThat(full("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}", "{\"b\": 1}"))
                .as("properties declared, additionalProperties missing: only those").isFalse();
        String wrapped = "{\"$defs\":{\"N\":{\"type\":\"integer\"}},\"type\":\"object\",\"properties\":{\"n\":"
                + "{\"allOf\":[{\"$ref\":\"#/$defs/N\"}],\"description\":\"a count\"}}}";
        assertThat(full(wrapped, "{\"n\": 3}")).isTrue();
        assertThat(full(wrapped, "{\"n\": \"3\"}")).isFalse();
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}")))
                .hasMessageContaining("allOf is supported for object schemas, merged; a part has type \"string\"");
    }

    /** allOf of object schemas, as a base model and its extension write it: one object with both parts' properties. */
    @Test
    void allOfOfObjectSchemasMerges() throws Exception {
        String extended = """
                {"$defs": {"Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"],
                                    "additionalProperties": false}},
                 "allOf": [{"$ref": "#/$defs/Base"}, {"properties": {"name": {"type": "string"}}, "required": ["name"]}],
                 "properties": {"tags": {"type": "array", "items": {"type": "string"}}}, "description": "a named base"}""";
        assertThat(full(extended, "{\"id\": 1, \"name\": \"a\"}")).isTrue();
        assertThat(full(extended, "{\"name\": \"a\", \"id\": 2, \"tags\": [\"x\"]}")).as("the keywords beside allOf too").isTrue();
        assertThat(full(extended, "{\"name\": \"a\"}")).as("the base's required id").isFalse();
        assertThat(full(extended, "{\"id\": 1}")).as("the extension's required name").isFalse();
        assertThat(full(extended, "{\"id\": 1, \"name\": \"a\", \"other\": 1}")).as("only declared properties").isFalse();
        assertThat(full(extended, "{\"id\": \"1\", \"name\": \"a\"}")).isFalse();
        String nested = "{\"allOf\":[{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}]},"
                + "{\"properties\":{\"b\":{\"type\":\"boolean\"}},\"maxProperties\":1}]}";
        assertThat(full(nested, "{\"b\": true}")).isTrue();
        assertThat(full(nested, "{\"a\": 1, \"b\": true}")).as("maxProperties of a part").isFalse();
        String counted = "{\"allOf\":[{\"type\":\"object\"},{\"minProperties\":1}]}";
        assertThat(full(counted, "{\"any\": [1]}")).as("no part declares properties: free-form").isTrue();
        assertThat(full(counted, "{}")).isFalse();
        for (String[] refused : new String[][]{
                {"{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"integer\"}}},{\"properties\":{\"a\":{\"type\":\"string\"}}}]}",
                        "define property 'a' differently"},
                {"{\"allOf\":[{\"type\":\"object\"},{\"anyOf\":[{\"type\":\"object\"}]}]}", "a part has 'anyOf'"},
                {"{\"allOf\":[{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}},{\"type\":\"object\"}]}",
                        "additionalProperties other than false"},
                {"{\"$defs\":{\"A\":{\"allOf\":[{\"$ref\":\"#/$defs/A\"},{\"type\":\"object\"}]}},\"$ref\":\"#/$defs/A\"}",
                        "refers to '#/$defs/A' inside itself"},
                {"{\"allOf\":[]}", "non-empty array"}}) {
            assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree(refused[0]))).as(refused[0]).hasMessageContaining(refused[1]);
        }
    }

    /**
     * minProperties / maxProperties: counts held, and a key that would leave too few places for a required one is
     * not produced, so no walk is stranded.
     */
    @Test
    void propertyCountsHoldAndLeavePlaceForRequiredKeys() throws Exception {
        String two = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"},"
                + "\"c\":{\"type\":\"integer\"}},\"required\":[\"c\"],\"minProperties\":2,\"maxProperties\":2}";
        assertThat(full(two, "{\"a\": 1, \"c\": 2}")).isTrue();
        assertThat(full(two, "{\"c\": 1, \"b\": 2}")).isTrue();
        assertThat(full(two, "{\"c\": 2}")).as("minProperties 2").isFalse();
        assertThat(begins(two, "{\"a\": 1, \"b\"")).as("no place left for the required c").isFalse();
        assertThat(begins(two, "{\"c\": 1, \"b\": 2,")).as("maxProperties 2").isFalse();
        String free = "{\"type\":\"object\",\"minProperties\":1,\"maxProperties\":2}";
        assertThat(full(free, "{}")).isFalse();
        assertThat(full(free, "{\"x\": [1, {\"y\": null}]}")).isTrue();
        assertThat(begins(free, "{\"x\": 1, \"y\": 2,")).isFalse();
        int finished = randomWalks(two, " {}:,\"abc0123456789", 3, 60, n -> {
            assertThat(n.size()).isEqualTo(2);
            assertThat(n.has("c")).isTrue();
        });
        assertThat(finished).isGreaterThan(20);
        assertThat(randomWalks(free, " {}[]:,\"xyz019truefalsn", 5, 80, n -> assertThat(n.size()).isBetween(1, 2))).isPositive();
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"object\",\"minProperties\":3,\"maxProperties\":2}")))
                .hasMessageContaining("minProperties / maxProperties are inconsistent");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree(
                "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"],\"maxProperties\":0}")))
                .hasMessageContaining("inconsistent");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree(
                "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"minProperties\":2}")))
                .hasMessageContaining("minProperties 2 is more than the 1 properties the schema allows");
    }

    @Test
    void integersMultipleOfAStepEndOnlyOnAMultiple() throws Exception {
        String even = "{\"type\":\"integer\",\"multipleOf\":6}";
        assertThat(full(even, "42")).isTrue();
        assertThat(full(even, "-1200")).isTrue();
        assertThat(full(even, "0")).isTrue();
        assertThat(full(even, "43")).isFalse();
        assertThat(full(even, "4")).isFalse();
        assertThat(full("{\"type\":\"object\",\"properties\":{\"n\":" + even + "}}", "{\"n\": 13}")).isFalse();
        assertThat(full("{\"type\":\"object\",\"properties\":{\"n\":" + even + "}}", "{\"n\": 18}")).isTrue();
        assertThat(randomWalks("{\"type\":\"array\",\"items\":" + even + "}", " [],-0123456789", 7, 60,
                n -> n.forEach(v -> assertThat(v.bigIntegerValue().mod(java.math.BigInteger.valueOf(6)).signum()).as(v.toString()).isZero()))).isGreaterThan(20);
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"number\",\"multipleOf\":0.5}")))
                .hasMessageContaining("multipleOf is supported for integers");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"integer\",\"multipleOf\":3,\"minimum\":1}")))
                .hasMessageContaining("multipleOf beside minimum / maximum is not supported");
    }

    @Test
    void stringLengthsAndNumberRanges() throws Exception {
        String code = "{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}";
        assertThat(full(code, "\"ab\"")).isTrue();
        assertThat(full(code, "\"é\\n\"")).as("a character of two bytes, an escape").isTrue();
        assertThat(full(code, "\"a\"")).isFalse();
        assertThat(full(code, "\"abcd")).isFalse();
        String month = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":12}";
        assertThat(full(month, "12")).isTrue();
        assertThat(full(month, "1")).isTrue();
        assertThat(full(month, "0")).isFalse();
        assertThat(full(month, "13")).isFalse();
        assertThat(full(month, "-")).isFalse();
        String score = "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1}}}";
        assertThat(full(score, "{\"p\": 0.25}")).isTrue();
        assertThat(full(score, "{\"p\": 1}")).isTrue();
        assertThat(full(score, "{\"p\": 0}")).as("0 is excluded: the number must go on").isFalse();
        assertThat(full(score, "{\"p\": 0.0}")).isFalse();
        assertThat(full(score, "{\"p\": 1.5")).isFalse();
        assertThat(full(score, "{\"p\": 1e-1")).as("bounded numbers take no exponent").isFalse();
        int finished = randomWalks("{\"type\":\"array\",\"items\":{\"type\":\"number\",\"minimum\":-2.5,\"exclusiveMaximum\":7}}",
                " [],-.0123456789", 9, 120, n -> n.forEach(v -> assertThat(v.decimalValue()).isBetween(new BigDecimal("-2.5"), new BigDecimal("6.9999999"))));
        assertThat(finished).isGreaterThan(20);
    }

    @Test
    void patternsAndFormatsHoldTheDecodedValue() throws Exception {
        String sku = "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-\\\\d{2}$\"}";
        assertThat(full(sku, "\"ABC-12\"")).isTrue();
        assertThat(begins(sku, "\"AB")).isTrue();
        assertThat(full(sku, "\"AB\"")).as("cut short").isFalse();
        assertThat(begins(sku, "\"Ab")).isFalse();
        assertThat(full(sku, "\"ABC-123\"")).isFalse();
        assertThat(full(sku, "\"\\u0041BC-12\"")).as("an escape is its character").isTrue();
        String unanchored = "{\"type\":\"string\",\"pattern\":\"é\\\\d\"}"; // a match anywhere, after a two-byte character
        assertThat(full(unanchored, "\"xxé7yy\"")).isTrue();
        assertThat(full(unanchored, "\"xxé\"")).isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(sku))).accept(new byte[]{'"', 'A', (byte) 0xC3}))
                .as("no character that begins with this byte fits").isFalse();
        String startsWithE = "{\"type\":\"string\",\"pattern\":\"^é\"}";
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(startsWithE))).accept(new byte[]{'"', (byte) 0xC3}))
                .as("é (C3 A9) begins so").isTrue();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(startsWithE))).accept(new byte[]{'"', (byte) 0xC4})).isFalse();
        String year = "{\"type\":\"string\",\"pattern\":\"^\\\\d{4}$\"}";
        assertThat(full(year, "\"20\\u00326\"")).as("a digit written as a u-escape").isTrue();
        assertThat(begins(year, "\"20\\u004")).as("u-escapes from 0040 on are no digits").isFalse();
        assertThat(begins(year, "\"20\\n")).isFalse();
        assertThat(full(year, "\"2026\\n\"")).as("$ is the end of the value, not before a last line end").isFalse();
        assertThat(StringPatterns.endAnchored("^a[$]\\$b$")).isEqualTo("^a[$]\\$b\\z");
        String when = "{\"type\":\"string\",\"format\":\"date-time\"}";
        assertThat(full(when, "\"2026-12-01T19:20:00Z\"")).isTrue();
        assertThat(full(when, "\"2026-12-01T19:20:00.5+01:00\"")).isTrue();
        assertThat(full(when, "\"2026-12-01\"")).isFalse();
        assertThat(begins(when, "\"2026/")).isFalse();
        assertThat(full("{\"type\":\"string\",\"format\":\"uuid\"}", "\"123e4567-e89b-12d3-a456-426614174000\"")).isTrue();
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"string\",\"format\":\"hostname\"}")))
                .hasMessageContaining("format 'hostname' is not supported").hasMessageContaining("date-time");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"type\":\"string\",\"pattern\":\"[a-\"}")))
                .hasMessageContaining("pattern is not a regular expression");
        // a pattern that backtracks without end is stopped, not left to hold the scheduler
        assertThatThrownBy(() -> begins("{\"type\":\"string\",\"pattern\":\"((a{1,10}){1,10}){1,10}b\"}", "\"" + "a".repeat(24)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes too many steps to match");
        int finished = randomWalks("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"date\"}}",
                " [],\"-0123456789abT:Z", 13, 200, n -> n.forEach(v -> assertThat(v.asText()).matches("\\d{4}-\\d{2}-\\d{2}")));
        assertThat(finished).isGreaterThan(20);
    }

    @Test
    void oneOfWantsExactlyOneOptionAsADiscriminatedUnionHasIt() throws Exception {
        String pet = """
                {"oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                 "discriminator": {"propertyName": "pet_type", "mapping": {"cat": "#/$defs/Cat", "dog": "#/$defs/Dog"}},
                 "$defs": {"Cat": {"type": "object", "required": ["pet_type", "meows"],
                                   "properties": {"pet_type": {"const": "cat"}, "meows": {"type": "integer"}}},
                           "Dog": {"type": "object", "required": ["pet_type", "barks"],
                                   "properties": {"pet_type": {"const": "dog"}, "barks": {"type": "number"}}}}}""";
        assertThat(full(pet, "{\"pet_type\": \"cat\", \"meows\": 3}")).isTrue();
        assertThat(full(pet, "{\"pet_type\": \"dog\", \"barks\": 1.5}")).isTrue();
        assertThat(begins(pet, "{\"pet_type\": \"cat\", \"barks\"")).isFalse();
        String overlapping = "{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"number\"}]}";
        assertThat(full(overlapping, "1.5")).isTrue();
        assertThat(full(overlapping, "1")).as("an integer is a number too: both options").isFalse();
        assertThat(full("{\"type\":\"array\",\"items\":" + overlapping + "}", "[1.5, 2.0]")).isTrue();
        assertThat(full("{\"type\":\"array\",\"items\":" + overlapping + "}", "[1.5, 2]")).isFalse();
    }

    @Test
    void blanksBetweenTokensAreBoundedNotInsideStrings() throws Exception {
        String indented = "{\n" + " ".repeat(SchemaMatcher.MAX_BLANK - 1) + "\"a\": \"" + " ".repeat(200) + "\"}";
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}";
        assertThat(full(schema, indented)).isTrue();
        assertThat(begins(schema, "{" + " ".repeat(SchemaMatcher.MAX_BLANK + 1))).isFalse();
        assertThat(begins(schema, " ".repeat(SchemaMatcher.MAX_BLANK + 1))).as("before the value too").isFalse();
    }

    @Test
    void stringsAndOtherKeysAreValidUtf8() throws Exception {
        String string = "{\"type\":\"string\"}", dict = "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}";
        SchemaMatcher m = new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string)));
        assertThat(m.accept(new byte[]{'"', (byte) 0xC3, (byte) 0xA9, '"'}) && m.complete()).as("é").isTrue();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xA9})).as("a stray continuation").isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xC3, 'a'})).as("a cut character").isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xC0})).as("an overlong lead").isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xC3, '"'})).isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xED, (byte) 0xA0}))
                .as("a surrogate's encoding").isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(string))).accept(new byte[]{'"', (byte) 0xE0, (byte) 0x9F}))
                .as("an overlong three-byte form").isFalse();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(dict))).accept(new byte[]{'{', '"', (byte) 0xC3, (byte) 0xA9, '"', ':', '1'})).isTrue();
        assertThat(new SchemaMatcher(SchemaMatcher.compile(JSON.readTree(dict))).accept(new byte[]{'{', '"', (byte) 0xC3, '"'})).isFalse();
    }

    @Test
    void recursiveReferencesNestAndSelfReferenceBeforeAnyValueIsRefused() throws Exception {
        String tree = """
                {"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "required": ["v"], "properties": {
                  "v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}}""";
        assertThat(full(tree, "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3}]},{\"v\":4}]}")).isTrue();
        assertThat(full(tree, "{\"v\":1,\"kids\":[{\"kids\":[]}]}")).isFalse();
        String list = "{\"type\":\"object\",\"properties\":{\"next\":{\"anyOf\":[{\"$ref\":\"#\"},{\"type\":\"null\"}]}}}";
        assertThat(full(list, "{\"next\":{\"next\":{\"next\":null}}}")).isTrue();
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree(
                "{\"$ref\":\"#/$defs/A\",\"$defs\":{\"A\":{\"anyOf\":[{\"$ref\":\"#/$defs/A\"},{\"type\":\"null\"}]}}}")))
                .hasMessageContaining("refers to itself before any value starts");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"$ref\":\"#/$defs/Missing\"}")))
                .hasMessageContaining("$ref '#/$defs/Missing' does not name");
        assertThatThrownBy(() -> SchemaMatcher.compile(JSON.readTree("{\"$ref\":\"https://example.com/s.json\"}")))
                .hasMessageContaining("does not name the root");
    }

    @Test
    void randomWalksUnderUnionsAndReferencesFinishAsValidInstances() throws Exception {
        int finished = randomWalks(PYDANTIC, " {}[]:,\"-.0123456789acdegilmnprstuvxyz", 5, 300, n -> {
            assertThat(n.path("name").isTextual()).isTrue();
            assertThat(n.get("age").isIntegralNumber() || n.get("age").isNull()).isTrue();
            assertThat(n.path("address").path("city").isTextual()).isTrue();
            JsonNode zip = n.path("address").path("zip");
            assertThat(zip.isMissingNode() || zip.isTextual() || zip.isNull()).isTrue();
            JsonNode tags = n.path("tags");
            assertThat(tags.isMissingNode() || tags.isArray() || tags.isNull()).isTrue();
        });
        assertThat(finished).isGreaterThan(20);
    }
}
