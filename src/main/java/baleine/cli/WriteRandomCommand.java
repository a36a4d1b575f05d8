package baleine.cli;

import baleine.writer.DemoModel;
import baleine.writer.GgufFileType;
import baleine.writer.ModelPresets;
import baleine.writer.ModelSpec;
import baleine.writer.RandomModelWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "write-random", description = {
        "Write a random-weight model: a GGUF file, or a Hugging Face directory (config.json + model.safetensors).",
        "Presets: tiny-deepseek-v3, tiny-deepseek-v2-lite, tiny-deepseek-v2, tiny-qwen2, tiny-llama3,",
        "         deepseek-v2-lite-shape, qwen2-1.5b-shape, deepseek-v3-shape (real widths, few layers)."})
final class WriteRandomCommand implements Callable<Integer> {
    enum Format { gguf, hf }

    @Parameters(index = "0", description = "output: a .gguf file, or a directory for --format hf")
    Path out;

    @Option(names = "--preset", required = true, description = "model shape (see above)")
    String preset;

    @Option(names = "--format", defaultValue = "gguf", description = "gguf or hf (default ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--type", defaultValue = "f32", description = "GGUF: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k, or llama.cpp's mixes q4_k_m q5_k_m; HF: bf16 f16 f32 fp8 (default ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--layers", description = "override the preset's layer count")
    Integer layers;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (same seed, same weights in every format)")
    long seed;

    @Option(names = "--with-tokenizer", description = "GGUF: include the demo tokenizer and chat template, so that run / serve can use the model")
    boolean withTokenizer;

    @Override
    public Integer call() throws Exception {
        ModelSpec spec = ModelPresets.ALL.get(preset);
        if (spec == null) {
            throw new IllegalArgumentException("unknown preset '" + preset + "'; choose one of " + String.join(", ", ModelPresets.ALL.keySet()));
        }
        if (layers != null) {
            if (layers < 1) {
                throw new IllegalArgumentException("--layers must be at least 1");
            }
            spec = spec.withLayers(layers);
        }
        if (format == Format.gguf) {
            GgufFileType fileType = GgufFileType.parse(type);
            ModelSpec s = spec;
            RandomModelWriter.writeGguf(spec, fileType, seed, out, true, w -> {
                if (withTokenizer) {
                    DemoModel.addTokenizer(w, s.vocab());
                }
            });
        } else {
            if (withTokenizer) {
                throw new IllegalArgumentException("--with-tokenizer is for GGUF output only");
            }
            RandomModelWriter.HfType hf;
            try {
                hf = RandomModelWriter.HfType.valueOf(type.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown Hugging Face type '" + type + "' (bf16, f16, f32 or fp8)");
            }
            RandomModelWriter.writeHf(spec, hf, seed, out);
        }
        System.err.println("wrote " + preset + " (" + format + ", " + type + ") to " + out);
        return 0;
    }
}
