package baleine.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "write-random", description = "Write a random-weight model (placeholder).")
final class WriteRandomCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
