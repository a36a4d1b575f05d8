package baleine.generation;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SchemaMatcher#ANY_OBJECT}: json_object mode accepts exactly the JSON objects. */
public class AnyJsonObjectTest {
    static SchemaMatcher matcher() {
        return new SchemaMatcher(SchemaMatcher.ANY_OBJECT);
    }

    static boolean valid(String s) {
        SchemaMatcher p = matcher();
        return p.accept(s.getBytes(StandardCharsets.UTF_8)) && p.complete();
    }

    public static boolean prefix(String s) {
        return matcher().accept(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsObjectsAndRejectsWhatIsNotJson() {
        assertThat(valid("{}")).isTrue();
        assertThat(valid(" { \"a\" : [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\", {}], \"b\": {\"c\": []} } ")).isTrue();
        assertThat(valid("{\"ü\": \"日本\"}")).isTrue();
        assertThat(prefix("{\"a\": 1")).isTrue();
        assertThat(valid("{\"a\": 1")).isFalse();
        assertThat(prefix("[1]")).isFalse(); // json_object: the top level is an object
        assertThat(prefix("{a: 1}")).isFalse();
        assertThat(prefix("{\"a\": 01}")).isFalse();
        assertThat(prefix("{\"a\": 1.}")).isFalse();
        assertThat(prefix("{\"a\": tru}")).isFalse();
        assertThat(prefix("{\"a\": \"\u0001\"}")).isFalse();
        assertThat(prefix("{\"a\": \"\\q\"}")).isFalse();
        assertThat(prefix("{\"a\": 1,}")).isFalse();
        assertThat(prefix("{} x")).isFalse();
        assertThat(prefix("{\"a\": [1 2]}")).isFalse();
    }

    @Test
    void everySerializedRandomObjectIsAcceptedByteByByteAndEveryPrefixIsAPrefix() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Random rnd = new Random(5);
        for (int i = 0; i < 200; i++) {
            String s = json.writeValueAsString(randomObject(rnd, 0));
            assertThat(valid(s)).as(s).isTrue();
            SchemaMatcher p = matcher();
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            for (int k = 0; k < b.length - 1; k++) {
                assertThat(p.accept(b[k] & 0xFF)).isTrue();
                assertThat(p.complete()).isFalse();
            }
        }
    }

    private static Map<String, Object> randomObject(Random r, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < r.nextInt(4); i++) {
            m.put("k" + r.nextInt(100) + (r.nextBoolean() ? "é\"\\\n" : ""), randomValue(r, depth + 1));
        }
        return m;
    }

    private static Object randomValue(Random r, int depth) {
        return switch (depth > 3 ? r.nextInt(4) : r.nextInt(6)) {
            case 0 -> r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10);
            case 1 -> r.nextInt();
            case 2 -> r.nextBoolean() ? "s\t€" + r.nextInt() : null;
            case 3 -> r.nextBoolean();
            case 4 -> randomObject(r, depth);
            default -> {
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < r.nextInt(3); i++) {
                    l.add(randomValue(r, depth + 1));
                }
                yield l;
            }
        };
    }
}
