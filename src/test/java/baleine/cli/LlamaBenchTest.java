package baleine.cli;

import baleine.tensor.GgmlType;
import baleine.writer.DemoModel;
import baleine.writer.GgufFileType;
import baleine.writer.ModelPresets;
import baleine.writer.ModelSpec;
import baleine.writer.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** bench-suite's llama-bench runs, against stand-in scripts that answer as llama-bench does (no llama.cpp needed). */
class LlamaBenchTest {
    /** llama-bench's JSON lines for -p 64 -n 32 -t 1,2 (fields cut to those read, and one it adds that is not). */
    private static final String LINES = """
            {"build_commit": "de3ff81", "n_threads": 1, "n_prompt": 64, "n_gen": 0, "avg_ts": 420.3, "samples_ts": [ 418.1, 422.5 ]}
            {"build_commit": "de3ff81", "n_threads": 1, "n_prompt": 0, "n_gen": 32, "avg_ts": 76.2, "samples_ts": [ 75.0, 77.4 ]}
            {"build_commit": "de3ff81", "n_threads": 2, "n_prompt": 64, "n_gen": 0, "avg_ts": 693.7, "samples_ts": [ 690.0, 697.4 ]}
            {"build_commit": "de3ff81", "n_threads": 2, "n_prompt": 0, "n_gen": 32, "avg_ts": 137.1, "samples_ts": [ 136.0, 138.2 ], "n_depth": 0}
            """;

    @Test
    void runsLlamaBenchWithTheSuitesTestsAndReadsItsSamples(@TempDir Path dir) throws Exception {
        Path args = dir.resolve("args");
        Path fake = script(dir.resolve("llama-bench"), "echo \"$@\" > " + args + "\ncat <<'EOF'\n" + LINES + "EOF\n");
        LlamaBench.Result r = LlamaBench.run(fake, model(dir.resolve("model.gguf"), true), 2);
        assertThat(Files.readString(args).strip()).isEqualTo("-m " + dir.resolve("model.gguf") + " -p 64 -n 32 -t 1,2 -r 2 -o jsonl");
        assertThat(r.pp()).containsExactly(690.0, 697.4); // two threads' pp64, not one thread's
        assertThat(r.tg()).containsExactly(136.0, 138.2);
        assertThat(r.tg1()).containsExactly(75.0, 77.4);
        assertThat(r.build()).isEqualTo("de3ff81");
        assertThat(BenchSuiteCommand.measured(r.tg(), new double[]{150, 160})).isEqualTo("137.1 ± 1.6 (1.13x)");
        assertThat(BenchSuiteCommand.measured(null, new double[]{150})).isEmpty();
    }

    @Test
    void aFailureNamesTheModelAndLlamaBenchsLastWords(@TempDir Path dir) throws Exception {
        Path fake = script(dir.resolve("llama-bench"), "echo 'llama_model_load: error loading model: key not found: tokenizer.ggml.model' >&2\n"
                + "echo 'main: error: failed to load model' >&2\nexit 1\n");
        assertThatThrownBy(() -> LlamaBench.run(fake, model(dir.resolve("m.gguf"), true), 5))
                .hasMessage("llama-bench failed on m.gguf (exit status 1): main: error: failed to load model");
        // a model without a tokenizer is named before llama-bench runs (it would only say it failed to load it)
        assertThatThrownBy(() -> LlamaBench.run(fake, model(dir.resolve("old.gguf"), false), 5))
                .hasMessage("llama.cpp cannot load old.gguf: it has no tokenizer (bench models written by earlier versions of the suite had "
                        + "none); delete it, and the suite writes it again with one");
        assertThatThrownBy(() -> LlamaBench.parse(LINES.lines().limit(3).reduce("", (a, b) -> a + b + "\n")))
                .hasMessageContaining("lacks one of pp64 (2 threads), tg32 (2 threads) and tg32 (1 thread)");
        assertThatThrownBy(() -> LlamaBench.parse("{\"n_threads\": 2, \"n_prompt\": 64, \"n_gen\": 0, \"avg_ts\": 1.0}"))
                .hasMessageContaining("no samples_ts");
    }

    @Test
    void theSuiteRefusesALlamaBenchThatIsNotThereBeforeWritingAnything(@TempDir Path dir) {
        CliTest.Run run = CliTest.run("bench-suite", "--dir", dir.resolve("suite").toString(), "--llama-bench", dir.resolve("nowhere").toString());
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--llama-bench " + dir.resolve("nowhere") + ": no executable file there (scripts/build-llama-cpp builds one)")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("suite")).doesNotExist();
    }

    /** A tiny GGUF model, with the demo tokenizer or without any. */
    private static Path model(Path file, boolean tokenizer) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get("tiny-deepseek-v3");
        RandomModelWriter.writeGguf(spec, GgufFileType.uniform(GgmlType.F32), 1, file, true, w -> {
            if (tokenizer) {
                DemoModel.addTokenizer(w, spec.vocab());
            }
        });
        return file;
    }

    private static Path script(Path file, String body) throws Exception {
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
