package baleine.cli;

import baleine.api.Baleine;
import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.generation.Divergence;
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
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face model directory, or cached owner/name[:QUANT]")
    String model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "the text (e.g. wikitext-2's wiki.test.raw)")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512", paramLabel = "TOKENS",
            description = "tokens per chunk, as llama-perplexity's -c (default ${DEFAULT-VALUE}: give both tools the same)")
    int ctx;

    @Option(names = "--chunks", defaultValue = "0", paramLabel = "N", description = "evaluate at most N chunks (default: all)")
    int chunks;

    @Option(names = "--compare", paramLabel = "REFERENCE", description = "also load REFERENCE (the model MODEL was quantized from) "
            + "and report the KL divergence of MODEL's next-token distributions from its, and how often both rank the same token first, "
            + "as llama-perplexity's --kl-divergence does")
    String reference;

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
        try (Baleine b = load(model); Baleine base = reference == null ? null : load(reference)) {
            int[] tokens = b.encodeRaw(text);
            OptionalInt bos = b.tokenizer().addBosToPrompts() ? b.tokenizer().tokenizer().bos() : OptionalInt.empty();
            System.err.printf("perplexity: %d tokens, chunks of %d (the last %d tokens of each scored)%n", tokens.length, ctx, ctx - 1 - ctx / 2);
            long t0 = System.nanoTime();
            Perplexity.Progress progress = (done, all, ppl) -> {
                System.out.printf("[%d]%.4f,", done, ppl);
                System.out.flush();
            };
            Divergence.Result d = base == null ? null : Divergence.of(b.model(), base.model(), tokens, bos, ctx, chunks, progress);
            Perplexity.Result r = d != null ? d.model() : Perplexity.of(b.model(), tokens, bos, ctx, chunks, progress);
            System.out.println();
            System.out.printf("Final estimate: PPL = %.4f +/- %.5f%n", r.perplexity(), r.error());
            if (d != null) {
                System.out.printf("Reference:      PPL = %.4f +/- %.5f%n", d.reference().perplexity(), d.reference().error());
                System.out.printf("PPL / reference PPL: %.4f%n", r.perplexity() / d.reference().perplexity());
                System.out.printf("Mean KLD: %.6f +/- %.6f (maximum %.4f)%n", d.kld(), d.kldError(), d.maxKld());
                System.out.printf("Same top token: %.3f %% +/- %.3f %%%n", 100 * d.sameTop(), 100 * d.sameTopError());
            }
            System.err.printf("%d chunks, %d tokens scored in %.1f s%n", r.chunks(), r.scored(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private Baleine load(String name) {
        Path path = ModelOptions.resolve(name, false);
        try (Progress p = Progress.start("loading " + path.getFileName())) {
            return Baleine.load(path, new Baleine.Options(ctx, Optional.empty(), memory, CacheType.F32));
        }
    }
}
