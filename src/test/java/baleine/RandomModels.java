package baleine;

import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Small random-weight models written for a test (a preset of {@link ModelPresets}), and random prompts for them. */
public final class RandomModels {
    private RandomModels() {
    }

    /** Writes the preset into a temporary folder that goes when the JVM exits, and loads it. */
    public static DecoderModel load(String preset, GgmlType type, long seed) throws IOException {
        Path file = deletedOnExit(Files.createTempDirectory("model")).resolve(preset + ".gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get(preset), type, seed, deletedOnExit(file));
        return Architectures.load(file);
    }

    /** Registers a temporary file or folder for deletion at exit: a folder before its files, so they go first. */
    public static Path deletedOnExit(Path path) {
        path.toFile().deleteOnExit();
        return path;
    }

    public static int[] tokens(DecoderModel model, int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(model.vocabSize());
        }
        return t;
    }
}
