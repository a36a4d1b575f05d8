package baleine.model;

import baleine.format.ModelFormatException;
import baleine.format.TensorStore;
import baleine.format.WeightMemory;
import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;
import baleine.model.deepseek.DeepseekArchitecture;
import baleine.model.llama.LlamaArchitecture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The registry of supported model families, and the entry point that loads a model from disk. */
public final class Architectures {
    public static final List<Architecture> ALL = List.of(new DeepseekArchitecture(), new LlamaArchitecture());

    private Architectures() {
    }

    /** Loads a GGUF file (first shard of a split model) or a Hugging Face model directory. */
    public static DecoderModel load(Path path) {
        return load(path, WeightMemory.AUTO);
    }

    public static DecoderModel load(Path path, WeightMemory memory) {
        if (HfStore.isModelDirectory(path)) {
            return loadHf(HfStore.open(path, memory));
        }
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path + " is a directory without config.json; give a GGUF file or a Hugging Face model directory");
        }
        if (!Files.exists(path)) {
            throw new ModelFormatException("model not found: " + path);
        }
        return loadGguf(GgufStore.open(path, memory));
    }

    public static DecoderModel loadGguf(GgufStore store) {
        return build(store, () -> ggufArchitecture(store).fromGguf(store));
    }

    /**
     * The context length of a file that a family reads, from the metadata alone; else the error {@link #loadGguf}
     * would throw: a caller can check it, and then the tokenizer, before any weight is read.
     */
    public static int checkSupported(GgufStore store) {
        ggufArchitecture(store);
        return Architecture.contextLength(store.metadata(), store.metadata().string("general.architecture"));
    }

    private static Architecture ggufArchitecture(GgufStore store) {
        String arch = store.metadata().string("general.architecture");
        for (Architecture a : ALL) {
            if (a.ggufNames().contains(arch)) {
                return a;
            }
        }
        throw new ModelFormatException(store.path() + ": unknown architecture '" + arch + "'; supported GGUF architectures: "
                + String.join(", ", ALL.stream().flatMap(a -> a.ggufNames().stream()).toList()));
    }

    public static DecoderModel loadHf(HfStore store) {
        return build(store, () -> {
            HfArchitecture match = hfArchitecture(store);
            return match.family().fromHf(store, match.name());
        });
    }

    /** {@link #checkSupported(GgufStore)} for a Hugging Face directory: its config.json's architectures and context. */
    public static int checkSupported(HfStore store) {
        hfArchitecture(store);
        return Architecture.contextLength(store.config());
    }

    /** The first of config.json's architectures that a family reads, with that family. */
    private record HfArchitecture(Architecture family, String name) {
    }

    private static HfArchitecture hfArchitecture(HfStore store) {
        List<String> declared = Stream.of(store.config().path("architectures")).flatMap(n -> n.isArray()
                ? Stream.iterate(0, i -> i < n.size(), i -> i + 1).map(i -> n.get(i).asText()) : Stream.empty()).toList();
        for (String name : declared) {
            for (Architecture a : ALL) {
                if (a.hfNames().contains(name)) {
                    return new HfArchitecture(a, name);
                }
            }
        }
        throw new ModelFormatException(store.directory() + "/config.json: unknown architecture " + declared
                + "; supported: " + String.join(", ", ALL.stream().flatMap(a -> a.hfNames().stream()).toList()));
    }

    /** The model {@code build} makes from the store; the store's reads ended after it, the store closed if it fails. */
    private static DecoderModel build(TensorStore store, java.util.function.Supplier<DecoderModel> build) {
        try {
            DecoderModel model = build.get();
            store.endReads();
            return model;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }
}
