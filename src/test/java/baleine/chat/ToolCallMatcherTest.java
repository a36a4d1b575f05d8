package baleine.chat;

import baleine.generation.SchemaMatcher;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ToolCallMatcherTest {
    static ToolCallMatcher matcher() throws Exception {
        Map<String, SchemaMatcher.Node> tools = new LinkedHashMap<>();
        tools.put("get_weather", SchemaMatcher.compile(new ObjectMapper().readTree(
                "{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}")));
        tools.put("get", SchemaMatcher.ANY_OBJECT); // a prefix of the other name
        return new ToolCallMatcher(tools);
    }

    static boolean accepts(String text) throws Exception {
        return matcher().accept(text.getBytes(StandardCharsets.UTF_8));
    }

    static boolean complete(String text) throws Exception {
        ToolCallMatcher m = matcher();
        return m.accept(text.getBytes(StandardCharsets.UTF_8)) && m.complete();
    }

    @Test
    void aNameOfTheToolsThenTheFenceThenArgumentsUnderThatToolsSchema() throws Exception {
        assertThat(complete("get_weather\n```json\n{\"city\": \"Paris\"}")).isTrue();
        assertThat(complete("get\n```json\n{\"anything\": [1, 2]}")).isTrue();
        assertThat(accepts("get_time")).as("not a tool").isFalse();
        assertThat(accepts("get_weather\n```js\n")).isFalse();
        assertThat(accepts("get_weather\n```json\n{\"town\"")).as("get_weather's schema").isFalse();
        assertThat(complete("get_weather\n```json\n{}")).as("city is required").isFalse();
        assertThat(complete("get_weather\n```json\n")).isFalse();
        assertThat(accepts("get_weath\n")).as("a name cut short").isFalse();
    }

    @Test
    void copiesAreIndependent() throws Exception {
        ToolCallMatcher m = matcher();
        m.accept("get_weather\n```json\n{\"city\": \"P".getBytes(StandardCharsets.UTF_8));
        assertThat(m.insideString()).isTrue();
        ToolCallMatcher c = m.copy();
        assertThat(c.accept("aris\"}".getBytes(StandardCharsets.UTF_8)) && c.complete()).isTrue();
        assertThat(m.complete()).isFalse();
        assertThat(m.accept('"') && m.accept('}') && m.complete()).isTrue();
    }
}
