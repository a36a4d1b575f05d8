package baleine.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ToolCallsTest {
    static final String TWO_CALLS = ToolCalls.CALLS_BEGIN
            + ToolCalls.CALL_BEGIN + "function" + ToolCalls.SEP + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCalls.CALL_END
            + "\n" + ToolCalls.CALL_BEGIN + "function" + ToolCalls.SEP + "get_time\n```json\n{}\n```" + ToolCalls.CALL_END
            + ToolCalls.CALLS_END;

    @Test
    void textBeforeTheCallsStreamsAndTheCallsAreParsedAtTheEnd() {
        String output = "Let me check." + TWO_CALLS;
        ToolCalls parser = new ToolCalls();
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < output.length(); i += 3) { // chunks split the markers anywhere
            shown.append(parser.accept(output.substring(i, Math.min(output.length(), i + 3))));
        }
        ToolCalls.Parsed p = parser.finish();
        assertThat(shown.toString()).isEqualTo("Let me check.");
        assertThat(p.calls()).containsExactly(new ToolCalls.Call("get_weather", "{\"city\": \"Paris\"}"), new ToolCalls.Call("get_time", "{}"));
        assertThat(p.text()).isEmpty();
    }

    @Test
    void malformedCallsComeBackAsText() {
        ToolCalls parser = new ToolCalls();
        String broken = ToolCalls.CALLS_BEGIN + ToolCalls.CALL_BEGIN + "function" + ToolCalls.SEP + "f\n```json\n{\"a\":";
        assertThat(parser.accept("ok " + broken)).isEqualTo("ok ");
        assertThat(parser.finish()).isEqualTo(new ToolCalls.Parsed(List.of(), broken));
        ToolCalls plain = new ToolCalls();
        assertThat(plain.accept("no calls <｜tool")).isEqualTo("no calls ");
        assertThat(plain.accept(" here")).isEqualTo("<｜tool here");
    }

    @Test
    void aCallMayEndWithTheTextWhereTheAnswerStoppedAtItsEndMarker() {
        ToolCalls parser = new ToolCalls();
        parser.accept(ToolCalls.CALLS_BEGIN + ToolCalls.CALL_BEGIN + "function" + ToolCalls.SEP + "get_weather\n```json\n{\"city\": \"Paris\"}\n```");
        assertThat(parser.finish().calls()).containsExactly(new ToolCalls.Call("get_weather", "{\"city\": \"Paris\"}"));
    }

    @Test
    void describesToolsInTheCallFormat() {
        String d = ToolCalls.describe(List.of(new ToolCalls.Tool("get_weather", "Weather of a city", "{\"type\":\"object\"}")));
        assertThat(d).contains("get_weather: Weather of a city", ToolCalls.CALLS_BEGIN, "{\"type\":\"object\"}");
        assertThat(ToolCalls.FORCED_PREFIX + "f" + ToolCalls.ARGUMENTS_FENCE).isEqualTo(ToolCalls.CALLS_BEGIN + ToolCalls.CALL_BEGIN + "function"
                + ToolCalls.SEP + "f\n```json\n");
        assertThat(ToolCalls.forcedCall("f\n```json\n{\"a\": 1}")).isEqualTo(new ToolCalls.Call("f", "{\"a\": 1}"));
        assertThat(ToolCalls.forcedCall("f\n``")).isNull();
    }
}
