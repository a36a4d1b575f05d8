package baleine.cli;

/** Whether we talk to a person at a terminal (colours, spinners) or to a pipe (plain text only). */
final class Terminal {
    static final String DIM = "\u001b[2m";
    static final String RESET = "\u001b[0m";

    private Terminal() {
    }

    static boolean interactive() {
        return System.console() != null && System.console().isTerminal() && System.getenv("NO_COLOR") == null;
    }

    static String dim(String s) {
        return interactive() ? DIM + s + RESET : s;
    }
}
