package baleine.generation;

/**
 * Splits streamed model output into reasoning (inside {@code <think>...</think>}) and answer. Handles a
 * template that already opened the block (DeepSeek-R1: the model only emits {@code </think>}) and tags
 * split across tokens.
 */
public final class ReasoningParser {
    public static final String OPEN = "<think>";
    public static final String CLOSE = "</think>";

    /** What a chunk of output contributed to each channel. */
    public record Delta(String reasoning, String content) {
        public boolean isEmpty() {
            return reasoning.isEmpty() && content.isEmpty();
        }
    }

    private enum State { START, THINKING, ANSWER }

    private State state;
    private boolean afterThinking;
    private final StringBuilder held = new StringBuilder();

    /** @param startsInside the prompt ended inside an open think block */
    public ReasoningParser(boolean startsInside) {
        this.state = startsInside ? State.THINKING : State.START;
    }

    public boolean thinking() {
        return state == State.THINKING;
    }

    public Delta accept(String text) {
        held.append(text);
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        while (true) {
            if (state == State.START) {
                String trimmed = held.toString().stripLeading();
                if (trimmed.startsWith(OPEN)) {
                    held.setLength(0);
                    held.append(trimmed.substring(OPEN.length()));
                    state = State.THINKING;
                } else if (OPEN.startsWith(trimmed)) {
                    break; // could still become "<think>"
                } else {
                    state = State.ANSWER;
                }
            } else if (state == State.THINKING) {
                int at = held.indexOf(CLOSE);
                if (at >= 0) {
                    reasoning.append(held, 0, at);
                    held.delete(0, at + CLOSE.length());
                    state = State.ANSWER;
                    afterThinking = true;
                } else {
                    int keep = Markers.partialSuffix(held, CLOSE);
                    reasoning.append(held, 0, held.length() - keep);
                    held.delete(0, held.length() - keep);
                    break;
                }
            } else {
                if (afterThinking) { // the blank lines after </think> separate, they are not part of the answer
                    String rest = held.toString().stripLeading();
                    held.setLength(0);
                    held.append(rest);
                    afterThinking = rest.isEmpty();
                }
                content.append(held);
                held.setLength(0);
                break;
            }
        }
        return new Delta(reasoning.toString(), content.toString());
    }

    /** At the end: what was held back goes to the channel it was in. */
    public Delta flush() {
        String rest = held.toString();
        held.setLength(0);
        return state == State.THINKING ? new Delta(rest, "") : new Delta("", rest);
    }
}
