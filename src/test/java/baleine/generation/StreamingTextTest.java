package baleine.generation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StreamingTextTest {
    @Test
    void stopStringSplitAcrossChunksIsFoundAndNotEmitted() {
        StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
        StringBuilder out = new StringBuilder();
        for (String chunk : List.of("Hello E", "N", "xx wor", "ld E", "N", "D more")) {
            out.append(m.accept(chunk));
            if (m.stopped()) {
                break;
            }
        }
        assertThat(m.stopped()).isTrue();
        assertThat(out.toString()).isEqualTo("Hello ENxx world ");
    }

    @Test
    void heldBackTextIsReleasedWhenNoStopFollows() {
        StopMatcher m = new StopMatcher(List.of("STOP"));
        assertThat(m.accept("abc ST")).isEqualTo("abc ");
        assertThat(m.accept("AR")).isEqualTo("STAR");
        assertThat(m.accept("ST")).isEmpty();
        assertThat(m.flush()).isEqualTo("ST");
    }

    @Test
    void r1OutputStartsInsideThinkAndOnlyClosesIt() {
        ReasoningParser p = new ReasoningParser(true);
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        for (String chunk : List.of("Let me", " think.</", "thi", "nk>\n\nThe answer", " is 4.")) {
            ReasoningParser.Delta d = p.accept(chunk);
            reasoning.append(d.reasoning());
            content.append(d.content());
        }
        ReasoningParser.Delta end = p.flush();
        reasoning.append(end.reasoning());
        content.append(end.content());
        assertThat(reasoning.toString()).isEqualTo("Let me think.");
        assertThat(content.toString()).isEqualTo("The answer is 4.");
    }

    @Test
    void modelThatOpensItsOwnThinkBlockOrNone() {
        ReasoningParser p = new ReasoningParser(false);
        assertThat(p.accept("<th").isEmpty()).isTrue();
        assertThat(p.accept("ink>hmm</think>ok")).isEqualTo(new ReasoningParser.Delta("hmm", "ok"));
        ReasoningParser plain = new ReasoningParser(false);
        assertThat(plain.accept("Just an answer <think> inline")).isEqualTo(new ReasoningParser.Delta("", "Just an answer <think> inline"));
    }
}
