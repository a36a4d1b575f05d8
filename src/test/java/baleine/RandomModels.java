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

    public static DecoderModel load(String preset, GgmlType type, long seed) throws IOException {
        Path file = Files.createTempDirectory("model").resolve(preset + ".gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get(preset), type, seed, file);
        return Architectures.load(file);
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
