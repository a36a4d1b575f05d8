package baleine.cli;

import baleine.api.Baleine;
import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.generation.Perplexity;
import baleine.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

@Command(name = "perplexity", description = "Perplexity of a text file, computed as llama.cpp's llama-perplexity computes it: "
        + "chunks of -c tokens, the last half of each scored.")
final class PerplexityCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "GGUF file, Hugging Face model directory, or cached owner/name[:QUANT]")
    String model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "the text (e.g. wikitext-2's wiki.test.raw)")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512",
            description = "tokens per chunk, as llama-perplexity's -c (default ${DEFAULT-VALUE}: give both tools the same)")
    int ctx;

    @Option(names = "--chunks", defaultValue = "0", paramLabel = "N", description = "evaluate at most N chunks (default: all)")
    int chunks;

    @Option(names = {"-t", "--threads"}, description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "MODE", defaultValue = "auto", converter = ModelOptions.MemoryMode.class,
            description = ModelOptions.MEMORY_HELP)
    WeightMemory memory;

    @Override
    public Integer call() {
        if (chunks < 0) {
            throw new IllegalArgumentException("--chunks must be at least 0 (0: all), got " + chunks);
        }
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        Path path = ModelOptions.resolve(model, false);
        Baleine b;
        try (Progress p = Progress.start("loading " + path.getFileName())) {
            b = Baleine.load(path, new Baleine.Options(ctx, Optional.empty(), memory, CacheType.F32));
        }
        try (b) {
            int[] tokens = b.encodeRaw(text);
            OptionalInt bos = b.tokenizer().addBosToPrompts() ? b.tokenizer().tokenizer().bos() : OptionalInt.empty();
            System.err.printf("perplexity: %d tokens, chunks of %d (the last %d tokens of each scored)%n", tokens.length, ctx, ctx - 1 - ctx / 2);
            long t0 = System.nanoTime();
            Perplexity.Result r = Perplexity.of(b.model(), tokens, bos, ctx, chunks, (done, all, ppl) -> {
                System.out.printf("[%d]%.4f,", done, ppl);
                System.out.flush();
            });
            System.out.println();
            System.out.printf("Final estimate: PPL = %.4f +/- %.5f%n", r.perplexity(), r.error());
            System.err.printf("%d chunks, %d tokens scored in %.1f s%n", r.chunks(), r.scored(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
