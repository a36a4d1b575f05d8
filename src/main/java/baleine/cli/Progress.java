package baleine.cli;

import java.io.PrintStream;

/** A spinner on stderr while something slow runs, shown only when stderr is a terminal. */
final class Progress implements AutoCloseable {
    private static final String FRAMES = "|/-\\";
    private final Thread thread;
    private final PrintStream err = System.err;
    private volatile boolean done;

    private Progress(String label, boolean show) {
        thread = show ? Thread.ofPlatform().daemon().start(() -> spin(label)) : null;
    }

    static Progress start(String label) {
        return new Progress(label, Terminal.interactive());
    }

    private void spin(String label) {
        int i = 0;
        while (!done) {
            err.print("\r" + FRAMES.charAt(i++ % FRAMES.length()) + " " + label);
            err.flush();
            try {
                Thread.sleep(120);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        done = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.print("\r\u001b[2K");
            err.flush();
        }
    }
}
