package baleine.cli;

import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.model.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "info", description = "Show a model's architecture, parameter counts, tensor types and KV cache size.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "GGUF file, Hugging Face model directory, or cached owner/name[:QUANT]")
    String model;

    @Override
    public Integer call() {
        try (DecoderModel m = Architectures.load(ModelOptions.resolve(model, false), WeightMemory.AS_STORED)) { // describes, does not run: nothing copied or rearranged
            ModelInfo i = m.info();
            System.out.println("model:         " + i.source());
            System.out.println("format:        " + i.format());
            System.out.println("architecture:  " + i.architecture());
            System.out.println("layers:        " + i.layers() + ", hidden " + i.hidden() + ", vocabulary " + i.vocabSize()
                    + ", context " + i.contextLength());
            System.out.println("structure:     " + i.details());
            System.out.println("parameters:    " + human(i.totalParameters()) + " total, " + human(i.activeParameters()) + " active per token");
            System.out.println("tensor types:  " + i.tensorTypes().entrySet().stream()
                    .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", ")) + " (" + i.quantization() + ")");
            System.out.println("weights:       " + bytes(i.weightBytes()) + ", of which a generated token reads " + bytes(i.decodeWeightBytes()));
            System.out.println("KV cache:      " + i.kvValuesPerToken() + " values per token per layer; per token "
                    + Arrays.stream(CacheType.values()).map(t -> t.label() + " " + bytes(cacheBytesPerToken(m, t))).collect(Collectors.joining(", "))
                    + " (--cache-type); the whole " + i.contextLength() + "-token context in f32: "
                    + bytes(cacheBytesPerToken(m, CacheType.F32) * i.contextLength()));
        }
        return 0;
    }

    /** Bytes per cached token with the cache in {@code type}: as a cache of that type would hold them. */
    private static long cacheBytesPerToken(DecoderModel m, CacheType type) {
        m.setCacheType(type);
        return m.newCache(1).bytesPerToken();
    }

    static String human(long n) {
        if (n >= 1_000_000_000) return String.format("%.2f B", n / 1e9);
        if (n >= 1_000_000) return String.format("%.2f M", n / 1e6);
        if (n >= 1_000) return String.format("%.1f K", n / 1e3);
        return Long.toString(n);
    }

    static String bytes(long b) {
        if (b >= 1L << 30) return String.format("%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format("%.2f MiB", b / (double) (1L << 20));
        if (b >= 1L << 10) return String.format("%.1f KiB", b / 1024.0);
        return b + " B";
    }
}
