package baleine.cli;

import baleine.api.Baleine;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code baleine} command line. */
@Command(name = "baleine", mixinStandardHelpOptions = true, version = "baleine " + Baleine.VERSION,
        description = "DeepSeek models on the JVM.",
        subcommands = {RunCommand.class, GenerateCommand.class, ServeCommand.class, PullCommand.class, ListCommand.class,
                ShowCommand.class, RmCommand.class, PsCommand.class, BenchCommand.class, BenchSuiteCommand.class, LoadTestCommand.class,
                PerplexityCommand.class, InfoCommand.class, ConformanceCommand.class, WriteRandomCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * A mistyped command line gets one line naming the problem (with picocli's suggestions for a misspelt
     * option) and where the usage is, not the whole usage text after it; {@code baleine} alone gets the usage.
     */
    private static int parameterError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (args.length == 0) { // plain `baleine`: what it can do
            cmd.usage(err);
            return 2;
        }
        err.println("error: " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        return 2;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName()));
            return 2;
        });
        cl.setParameterExceptionHandler(Main::parameterError);
        for (CommandLine sub : cl.getSubcommands().values()) { // `baleine CMD --help`, as the error hint says
            if (!sub.getCommandSpec().mixinStandardHelpOptions()) {
                sub.getCommandSpec().mixinStandardHelpOptions(true).version(cl.getCommandSpec().version());
            }
        }
        return cl;
    }
}
