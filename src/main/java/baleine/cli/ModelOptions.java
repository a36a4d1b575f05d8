package baleine.cli;

import baleine.api.Baleine;
import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.tensor.Parallel;
import baleine.writer.DemoModel;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/** Which model to load and how: shared by {@code run}, {@code generate} and {@code serve}. */
final class ModelOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF file, Hugging Face model directory, or repository id in the Hugging Face cache (owner/name[:QUANT])")
    String model;

    @Option(names = "--demo", description = "use a small random-weight DeepSeek-V3-architecture model (written once into the cache); its text is random")
    boolean demo;

    @Option(names = {"-c", "--ctx-size"}, description = "context size in tokens, at most the model's (default: the model's, up to 32768)")
    int contextSize;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "Jinja chat template to use instead of the model's")
    Path chatTemplate;

    @Option(names = {"-t", "--threads"}, description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "MODE", defaultValue = "auto", converter = MemoryMode.class, description = MEMORY_HELP)
    WeightMemory memory;

    static final String MEMORY_HELP = "where the weights live: huge-pages (read into 2 MiB pages, faster decoding; Linux), "
            + "map (mapped from the file in place, paged in as used; models larger than memory) or auto "
            + "(huge-pages when the machine has them and the model fits in available memory, else map); default ${DEFAULT-VALUE}";

    /** An option value read by a parser that names what is wrong: its message becomes picocli's. */
    abstract static class Parsed<T> implements CommandLine.ITypeConverter<T> {
        private final Function<String, T> parse;

        Parsed(Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T convert(String value) {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --memory}'s values, spelled as {@link WeightMemory#cliName}. */
    static final class MemoryMode extends Parsed<WeightMemory> {
        MemoryMode() {
            super(WeightMemory::parse);
        }
    }

    @Option(names = "--cache-type", paramLabel = "TYPE", defaultValue = "${env:BALEINE_CACHE_TYPE:-f32}", converter = CacheKind.class, description = CACHE_HELP)
    CacheType cacheType;

    static final String CACHE_HELP = "element type of the KV cache: f32, f16 / bf16 (half the memory) or q8_0 (8-bit blocks, "
            + "under a third); all but f32 round each cached value once, so results differ slightly; default ${DEFAULT-VALUE}";

    /** {@code --cache-type}'s values, spelled as {@link CacheType#label}. */
    static final class CacheKind extends Parsed<CacheType> {
        CacheKind() {
            super(CacheType::parse);
        }
    }

    @Option(names = "--draft", paramLabel = "N", description = "prompt-lookup speculative decoding: after each sampled token, "
            + "check up to N tokens guessed from the context (where its last tokens occurred before, what followed) in the same pass; "
            + "the answer is the same, faster where it repeats or quotes the prompt (serve: for a request decoding alone); "
            + "0 (default) turns it off, at most 32")
    int draftTokens;

    @Option(names = "--pull", description = "download MODEL (owner/name[:QUANT]) from the Hugging Face hub first if it is not cached")
    boolean pull;

    /**
     * The prompt given as a positional argument: {@code positional} (after MODEL), or with {@code --demo}, where no
     * MODEL is given, the argument picocli took for MODEL (which then no longer names one). Null when there is none.
     */
    String positionalPrompt(String positional) {
        if (positional == null && demo && model != null) {
            positional = model;
            model = null;
        }
        return positional;
    }

    Baleine load() {
        if (demo == (model != null)) {
            throw new IllegalArgumentException(demo ? "give either MODEL or --demo, not both" : "give a MODEL (file, directory or owner/name) or --demo");
        }
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        Optional<String> template = Optional.empty();
        if (chatTemplate != null) {
            try {
                template = Optional.of(Files.readString(chatTemplate));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read chat template " + chatTemplate + ": " + e.getMessage());
            }
            baleine.chat.ChatTemplate.checkRenders(template.get()); // before the model: a broken file fails at once
        }
        Path path = demo ? demoModel() : resolve(model, pull);
        try (Progress p = Progress.start("loading " + path.getFileName())) {
            return Baleine.load(path, new Baleine.Options(contextSize, template, memory, cacheType, draftTokens));
        }
    }

    /**
     * Resolves a model name; a repository id missing from the cache is pulled first with {@code --pull},
     * or after the user agrees on a terminal.
     */
    static Path resolve(String model, boolean pull) {
        ModelResolver resolver = new ModelResolver(System.getenv());
        try {
            return resolver.resolve(model);
        } catch (baleine.format.ModelFormatException notFound) {
            if (!ModelResolver.isRepositoryId(model) || !(pull || confirmPull(model))) {
                throw notFound;
            }
            String[] parts = model.split(":", 2);
            PullCommand.pull(baleine.hub.HubClient.fromEnvironment(System.getenv()), baleine.hub.HubCache.fromEnvironment(System.getenv()),
                    parts[0], parts.length > 1 ? parts[1] : null, "main", java.util.List.of(), 4);
            return resolver.resolve(model);
        }
    }

    private static boolean confirmPull(String model) {
        if (!Terminal.interactive()) {
            return false;
        }
        String answer = System.console().readLine("%s is not in the Hugging Face cache. Download it now? [y/N] ", model);
        return answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    }

    private static Path demoModel() {
        System.err.println("demo: a tiny random-weight model with DeepSeek-V3's architecture; its text is random, not an answer.");
        try (Progress p = Progress.start("preparing the demo model")) {
            return DemoModel.ensure(DemoModel.cacheDirectory());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo model into " + DemoModel.cacheDirectory() + ": " + e.getMessage(), e);
        }
    }
}
