package baleine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code baleine} command line. */
@Command(name = "baleine", mixinStandardHelpOptions = true, version = "baleine 0.1.0",
        description = "DeepSeek models on the JVM.",
        subcommands = {RunCommand.class, GenerateCommand.class, ServeCommand.class, PullCommand.class, ListCommand.class,
                ShowCommand.class, RmCommand.class, PsCommand.class, BenchCommand.class, BenchSuiteCommand.class, LoadTestCommand.class, InfoCommand.class, ConformanceCommand.class, WriteRandomCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName()));
            return 2;
        });
        return cl;
    }
}
