package baleine.server;

import baleine.api.Baleine;
import baleine.chat.ToolCalls;
import baleine.writer.DemoModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How request fields become the prompt and sampling parameters, without a server. */
class RequestParserTest {
    static Baleine model;
    static RequestParser parser;

    @BeforeAll
    static void load() throws Exception {
        model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()));
        parser = new RequestParser(model, "demo");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static RequestParser.Parsed chat(String extra) throws Exception {
        return parser.chat(new ObjectMapper().readTree("{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]," + ServerApiTest.WEATHER + extra + "}"));
    }

    @Test
    void parallelToolCallsFalseStopsTheAnswerWhereItsFirstCallEnds() throws Exception {
        assertThat(chat(",\"parallel_tool_calls\":false,\"stop\":[\"x\"]").params().stop()).containsExactly("x", ToolCalls.CALL_END);
        assertThat(chat(",\"parallel_tool_calls\":true").params().stop()).isEmpty();
        assertThat(chat("").params().stop()).isEmpty();
        assertThatThrownBy(() -> chat(",\"parallel_tool_calls\":\"no\"")).hasMessageContaining("parallel_tool_calls must be true or false");
    }
}
