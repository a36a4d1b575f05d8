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
import sun.misc.Signal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "run", description = {"Chat with a model in the terminal. Type /help for commands; Ctrl-C stops an answer.",
        "With a PROMPT after MODEL: answer it and exit (as 'ollama run MODEL PROMPT')."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    JsonOutputOptions jsonOutput;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT", description = "one message to answer before leaving, instead of a chat")
    String promptArgument;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Option(names = "--hide-thinking", description = "do not show the reasoning")
    boolean hideThinking;

    @Option(names = "--no-warmup", description = "skip the JIT's warm-up: with a prompt, the decoding kernels' (about a second per weight type, before the answer); in a chat, the short passes run while you type the first message")
    boolean noWarmup;

    static final String HELP = """
            /bye                 leave
            /clear               forget the conversation
            /set temperature T   (also top_p, top_k, min_p, repeat_penalty, repeat_last_n, seed, max_tokens)
            /set think|nothink   ask for or suppress the reasoning block
            /set format json     answer with JSON objects (/set noformat: free text again)
            /show                current settings
            /help                this list""";

    /** How long a chat's warm-up goes on at most while no message arrives (on 2 cores the JIT needs ~20 s for a k-quant model's kernels). */
    static final double WARM_UP_SECONDS = 20;

    private SamplingParams params;
    private final AtomicReference<Conversation> answering = new AtomicReference<>();
    /**
     * A chat's warm-up ({@link baleine.model.DecoderModel#warmUp}), run while the user types the first message; answers,
     * and closing the model, wait for it. Typed for 8-15 s, a first answer from a Qwen-shape Q8_0 model took 0.5-1.2 s
     * instead of 2.9-5.8 (its kernels interpreted until the JIT compiled them), from the Q4_K_M model 0.7-10 s instead
     * of 7.7-16 (on 2 cores, in a fast hour and a slow one).
     */
    private Thread warmUp;
    /** Set when the first message arrives: the warm-up ends after its current pass. */
    private final AtomicBoolean messageArrived = new AtomicBoolean();
    /** Set by Ctrl-C during an answer (including its wait for the warm-up). */
    private final AtomicBoolean interrupted = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String once = modelOptions.positionalPrompt(promptArgument);
        jsonOutput.check();
        try (Baleine model = modelOptions.load()) {
            params = sampling.apply(model.defaults()).validate(model.model().vocabSize());
            Conversation chat = newChat(model);
            installInterruptHandler(out);
            if (once != null) {
                if (!noWarmup) {
                    model.model().warmUpKernels(() -> false);
                }
                return answer(chat, once, out) ? 0 : 1;
            }
            if (!noWarmup) {
                warmUp = Thread.ofPlatform().daemon().name("baleine-warm-up").start(() -> warmUp(model));
            }
            try {
                return chat(chat, model, out);
            } finally {
                awaitWarmUp(); // before the model closes
            }
        }
    }

    /** The chat loop: messages and slash commands until /bye or the end of input. */
    private int chat(Conversation chat, Baleine model, PrintStream out) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("Chatting with " + model.name() + ". Type /help for commands, /bye to leave.");
        while (true) {
            out.print(">>> ");
            out.flush();
            String line = in.readLine();
            if (line == null) {
                out.println();
                return 0;
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("/")) {
                if (line.equals("/bye") || line.equals("/exit")) {
                    return 0;
                }
                chat = command(line, chat, model, out);
                continue;
            }
            answer(chat, line, out);
        }
    }

    private Conversation newChat(Baleine model) {
        Conversation c = model.newConversation();
        if (system != null) {
            c.system(system);
        }
        return c;
    }

    /**
     * Passes on scratch caches, one sequence at a time as a chat runs them, until the first message arrives (at most
     * {@link #WARM_UP_SECONDS}); a failure is left to the answers to meet.
     */
    private void warmUp(Baleine model) {
        try {
            model.model().warmUp(WARM_UP_SECONDS, 1, messageArrived::get);
        } catch (RuntimeException e) {
            // the first answer then runs what the JIT has not compiled yet, as without a warm-up
        }
    }

    /**
     * Ends the warm-up and waits for its last pass (the model runs one pass at a time); false when Ctrl-C stopped the
     * answer meanwhile (a cancel given to the conversation before it starts would be lost: a send clears it).
     */
    private boolean awaitWarmUp() throws InterruptedException {
        if (warmUp == null) {
            return true;
        }
        messageArrived.set(true);
        warmUp.join();
        warmUp = null;
        return !interrupted.get();
    }

    /** Answers one message; false (the error printed) when generation failed. */
    private boolean answer(Conversation chat, String line, PrintStream out) throws InterruptedException {
        GenerationListener listener = new ConsoleListener(out, out, hideThinking);
        interrupted.set(false);
        answering.set(chat);
        try {
            if (!awaitWarmUp()) { // Ctrl-C while the warm-up's last pass ran: the answer is not started
                out.println("(interrupted)");
                return true;
            }
            GenerationResult r = jsonOutput.send(chat, line, params, listener);
            out.println();
            if (r.finishReason().equals("cancelled")) {
                out.println("(interrupted)");
            }
            out.println(Terminal.dim(r.timingSummary()));
            return true;
        } catch (RuntimeException e) {
            out.println();
            out.println("error: " + e.getMessage());
            return false;
        } finally {
            answering.set(null);
        }
    }

    private void installInterruptHandler(PrintStream out) {
        try {
            Signal.handle(new Signal("INT"), s -> {
                Conversation c = answering.get();
                if (c != null) {
                    interrupted.set(true);
                    c.cancel();
                } else {
                    out.print("\n(use /bye to leave)\n>>> ");
                    out.flush();
                }
            });
        } catch (IllegalArgumentException e) {
            // no SIGINT on this platform: Ctrl-C ends the program as usual
        }
    }

    private Conversation command(String line, Conversation chat, Baleine model, PrintStream out) {
        String[] w = line.split("\\s+");
        try {
            switch (w[0]) {
                case "/help", "/?" -> out.println(HELP);
                case "/clear" -> {
                    out.println("(conversation cleared)");
                    return newChat(model);
                }
                case "/show" -> out.println(params);
                case "/set" -> set(w, chat, out);
                default -> out.println("unknown command " + w[0] + "; /help lists them");
            }
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
        }
        return chat;
    }

    private void set(String[] w, Conversation chat, PrintStream out) {
        if (w.length == 2 && (w[1].equals("think") || w[1].equals("nothink"))) {
            chat.setThinking(w[1].equals("think"));
            out.println("(thinking " + (w[1].equals("think") ? "on" : "off") + ")");
            return;
        }
        if (w.length == 3 && w[1].equals("format") && w[2].equals("json") || w.length == 2 && w[1].equals("noformat")) {
            jsonOutput.anyObject(w[1].equals("format"));
            out.println("(answers " + (jsonOutput.json ? "in JSON" : "in free text") + ")");
            return;
        }
        if (w.length != 3) {
            throw new IllegalArgumentException("usage: /set NAME VALUE, /set think|nothink, or /set format json|noformat");
        }
        SamplingParams p;
        try {
            p = switch (w[1]) {
                case "temperature" -> params.withTemperature(Float.parseFloat(w[2]));
                case "top_p" -> params.withTopP(Float.parseFloat(w[2]));
                case "top_k" -> params.withTopK(Integer.parseInt(w[2]));
                case "min_p" -> params.withMinP(Float.parseFloat(w[2]));
                case "repeat_penalty" -> params.withRepetitionPenalty(Float.parseFloat(w[2]));
                case "repeat_last_n" -> params.withRepeatLastN(Integer.parseInt(w[2]));
                case "seed" -> params.withSeed(Long.parseLong(w[2]));
                case "max_tokens" -> params.withMaxTokens(Integer.parseInt(w[2]));
                default -> throw new IllegalArgumentException("unknown setting '" + w[1] + "'; /help lists them");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + w[2] + "' is not a number");
        }
        params = p.validate(Integer.MAX_VALUE);
        out.println("(" + w[1] + " = " + w[2] + ")");
    }
}
