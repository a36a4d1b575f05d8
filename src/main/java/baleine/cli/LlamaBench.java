package baleine.cli;

import baleine.format.WeightMemory;
import baleine.format.gguf.GgufFile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's llama-bench run on a bench model beside Baleine's measurement, for {@code bench-suite --llama-bench}:
 * the same tests (pp64 and tg32 on two threads, tg32 on one) and repetitions, read from its JSON lines. Its
 * per-repetition speeds ({@code samples_ts}) are kept, so that both tools' cells are the mean and standard deviation of
 * the same kind of sample.
 */
final class LlamaBench {
    /** tokens/s per repetition: pp64 and tg32 on two threads, tg32 on one; the build's commit as llama-bench names it. */
    record Result(double[] pp, double[] tg, double[] tg1, String build) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaBench() {
    }

    /**
     * Runs {@code llamaBench} on {@code model}; a model without a tokenizer is refused first (llama-bench would only say it
     * failed to load it), any other failure names llama-bench's own last words.
     */
    static Result run(Path llamaBench, Path model, int reps) throws IOException, InterruptedException {
        try (GgufFile file = GgufFile.open(model, WeightMemory.MAP)) {
            if (!file.metadata.has("tokenizer.ggml.model")) {
                throw new IOException("llama.cpp cannot load " + model.getFileName() + ": it has no tokenizer (bench models written by earlier "
                        + "versions of the suite had none); delete it, and the suite writes it again with one");
            }
        }
        List<String> command = List.of(llamaBench.toString(), "-m", model.toString(), "-p", "64", "-n", "32", "-t", "1,2",
                "-r", String.valueOf(reps), "-o", "jsonl");
        Path errors = Files.createTempFile("llama-bench", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                List<String> lines = Files.readAllLines(errors, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
                throw new IOException("llama-bench failed on " + model.getFileName() + " (exit status " + rc + ")"
                        + (lines.isEmpty() ? "" : ": " + lines.getLast().strip()));
            }
            return parse(out);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** llama-bench's JSON lines (one object per test) as a {@link Result}. */
    static Result parse(String jsonLines) throws IOException {
        double[] pp = null, tg = null, tg1 = null;
        String build = "";
        for (String line : jsonLines.strip().split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode o = JSON.readTree(line);
            double[] samples = samples(o.path("samples_ts"));
            int threads = o.path("n_threads").asInt(), prompt = o.path("n_prompt").asInt(), gen = o.path("n_gen").asInt();
            build = o.path("build_commit").asText("");
            if (prompt == 64 && gen == 0 && threads == 2) {
                pp = samples;
            } else if (prompt == 0 && gen == 32) {
                if (threads == 2) {
                    tg = samples;
                } else if (threads == 1) {
                    tg1 = samples;
                }
            }
        }
        if (pp == null || tg == null || tg1 == null) {
            throw new IOException("llama-bench's output lacks one of pp64 (2 threads), tg32 (2 threads) and tg32 (1 thread)");
        }
        return new Result(pp, tg, tg1, build);
    }

    private static double[] samples(JsonNode array) throws IOException {
        if (!array.isArray() || array.isEmpty()) {
            throw new IOException("llama-bench's output has no samples_ts (a llama.cpp older than mid-2024?)");
        }
        List<Double> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asDouble()));
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
