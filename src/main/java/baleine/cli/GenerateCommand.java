package baleine.cli;

import baleine.api.Baleine;
import baleine.api.Conversation;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "generate", description = "One-shot generation: the answer on stdout, reasoning and diagnostics on stderr.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    JsonOutputOptions jsonOutput;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT", description = "the prompt (or -p); '-' reads it from stdin")
    String promptArgument;

    @Option(names = {"-p", "--prompt"}, description = "the prompt, as an option (llama.cpp's spelling); '-' reads it from stdin")
    String prompt;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Option(names = "--raw", description = "complete the prompt as is, without the chat template")
    boolean raw;

    @Option(names = "--hide-thinking", description = "do not print the reasoning")
    boolean hideThinking;

    @Option(names = "--think", negatable = true, description = "ask for (--think) or suppress (--no-think) the reasoning block, where the template allows")
    Boolean think;

    @Option(names = "--no-warmup", description = "skip the decoding kernels' warm-up before the prompt (about a second per weight type), which lets the JIT compile them on small samples of the weights rather than over whole rows of the first pass")
    boolean noWarmup;

    @Option(names = "--verbose", description = "print the timing summary (and the warm-up's time) on stderr")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        String given = modelOptions.positionalPrompt(promptArgument);
        if ((given == null) == (prompt == null)) {
            throw new IllegalArgumentException(given == null ? "give a prompt: baleine generate MODEL \"PROMPT\" (or -p PROMPT; '-' reads stdin)"
                    : "give the prompt once: after MODEL or with -p, not both");
        }
        given = given != null ? given : prompt;
        jsonOutput.check();
        String text = given.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : given;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Baleine model = modelOptions.load()) {
            SamplingParams params = sampling.apply(model.defaults()).validate(model.model().vocabSize());
            if (!noWarmup) {
                long start = System.nanoTime();
                model.model().warmUpKernels(() -> false);
                if (verbose) {
                    System.err.println(Terminal.dim(String.format("kernels warmed up in %.1f s", (System.nanoTime() - start) / 1e9)));
                }
            }
            GenerationListener listener = new ConsoleListener(System.err, out, hideThinking);
            GenerationResult r;
            if (raw) {
                if (system != null || think != null || jsonOutput.asked()) {
                    throw new IllegalArgumentException("--system, --think and --json / --json-schema need the chat template; drop --raw");
                }
                r = model.complete(text, params, listener, new AtomicBoolean());
            } else {
                Conversation c = model.newConversation();
                if (system != null) {
                    c.system(system);
                }
                c.setThinking(think);
                r = jsonOutput.send(c, text, params, listener);
            }
            out.println();
            out.flush();
            if (verbose || Terminal.interactive()) {
                System.err.println(Terminal.dim(r.timingSummary()));
            }
        }
        return 0;
    }
}
