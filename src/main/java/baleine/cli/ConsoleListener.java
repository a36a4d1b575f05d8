package baleine.cli;

import baleine.generation.GenerationListener;

import java.io.PrintStream;

/** Prints an answer as it streams: the reasoning dimmed on its stream (or not at all), the answer plain. */
final class ConsoleListener implements GenerationListener {
    private final PrintStream reasoning;
    private final PrintStream content;
    private final boolean hideReasoning;

    ConsoleListener(PrintStream reasoning, PrintStream content, boolean hideReasoning) {
        this.reasoning = reasoning;
        this.content = content;
        this.hideReasoning = hideReasoning;
    }

    @Override
    public void onReasoning(String text) {
        if (!hideReasoning) {
            reasoning.print(Terminal.dim(text));
        }
    }

    @Override
    public void onContent(String text) {
        content.print(text);
    }
}
