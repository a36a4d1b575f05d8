package baleine.hub;

import baleine.writer.DemoModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The real command line, in a child JVM with its own environment (HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN). */
class HubCliTest {
    record Result(int exit, String out, String err) {
    }

    static Result baleine(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "baleine.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        // the JVM's own notice about the incubating Vector API is not ours to test
        String errText = new String(err, StandardCharsets.UTF_8).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        return new Result(p.waitFor(), new String(out, StandardCharsets.UTF_8), errText);
    }

    /** A cache laid out exactly as huggingface_hub lays it out, holding the demo GGUF. */
    static Path pythonStyleCache(Path root) throws IOException {
        Path demo = DemoModel.ensure(DemoModel.cacheDirectory());
        String commit = "c0ffee0000000000000000000000000000000000", etag = "a".repeat(64);
        Path repo = root.resolve("models--someone--Demo-GGUF");
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.copy(demo, repo.resolve("blobs").resolve(etag));
        Files.writeString(repo.resolve("refs/main"), commit);
        Files.createSymbolicLink(repo.resolve("snapshots").resolve(commit).resolve("Demo-Q8_0.gguf"), Path.of("../../blobs/" + etag));
        return repo;
    }

    @Test
    void aPythonStyleCacheIsListedShownRunAndRemoved(@TempDir Path dir) throws Exception {
        Path repo = pythonStyleCache(dir);
        Map<String, String> env = Map.of("HF_HUB_CACHE", dir.toString());
        Result list = baleine(env, "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("someone/Demo-GGUF", "gguf", "Q8_0");
        Result gen = baleine(env, "generate", "someone/Demo-GGUF", "-p", "Hello", "-n", "4", "--seed", "1", "--no-think");
        assertThat(gen.exit()).as(gen.err()).isZero();
        assertThat(gen.out()).isNotBlank();
        Result show = baleine(env, "show", "someone/Demo-GGUF");
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("deepseek2", "quantization:   Q8_0", "chat template:  DeepSeek style");
        Result rm = baleine(env, "rm", "someone/Demo-GGUF");
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(Files.exists(repo)).isFalse();
        Result empty = baleine(env, "list");
        assertThat(empty.exit()).isZero();
        assertThat(empty.err()).contains("no models in the Hugging Face cache at " + dir, "./baleine pull REPO[:QUANT]");
        Result gone = baleine(env, "generate", "someone/Demo-GGUF", "-p", "x");
        assertThat(gone.exit()).isNotZero();
        assertThat(gone.err().strip()).contains("not in the Hugging Face cache").contains("./baleine pull someone/Demo-GGUF").doesNotContain("\tat ");
    }

    @Test
    void listNamesTheQuantizationAFileRecordsWhereItsNameGivesNone(@TempDir Path dir) throws Exception {
        Path repo = dir.resolve("models--someone--Unnamed");
        Files.createDirectories(repo.resolve("snapshots").resolve("c0ffee"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "c0ffee");
        // written afresh: a demo file cached by an older build may predate general.file_type
        Files.copy(DemoModel.ensure(dir.resolve("writer")), repo.resolve("snapshots/c0ffee/model.gguf"));
        Result list = baleine(Map.of("HF_HUB_CACHE", dir.toString()), "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out().lines().filter(l -> l.startsWith("someone/Unnamed")).findFirst().orElseThrow())
                .contains(" Q8_0 ").doesNotContain("MODEL");
    }

    @Test
    void pullThroughTheCommandLineAndItsErrors(@TempDir Path dir) throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.add("org/tiny", new FakeHub.File("tiny-Q8_0.gguf", Files.readAllBytes(DemoModel.ensure(DemoModel.cacheDirectory())), true));
            Map<String, String> env = Map.of("HF_HUB_CACHE", dir.resolve("hub").toString(), "HF_ENDPOINT", hub.endpoint().toString(),
                    "HF_TOKEN", "hf_x");
            Result pull = baleine(env, "pull", "org/tiny");
            assertThat(pull.exit()).as(pull.err()).isZero();
            assertThat(pull.err()).contains("pulled org/tiny");
            Result gen = baleine(env, "generate", "org/tiny", "-p", "Hi", "-n", "2", "--no-think");
            assertThat(gen.exit()).as(gen.err()).isZero();
            Result info = baleine(env, "info", "org/tiny");
            assertThat(info.exit()).as(info.err()).isZero();
            assertThat(info.out()).contains("deepseek2");

            hub.add("org/other", new FakeHub.File("other-Q8_0.gguf", Files.readAllBytes(DemoModel.ensure(DemoModel.cacheDirectory())), true));
            Result notPulled = baleine(env, "generate", "org/other", "-p", "Hi", "-n", "2");
            assertThat(notPulled.exit()).isNotZero();
            Result pulledFirst = baleine(env, "generate", "org/other", "--pull", "-p", "Hi", "-n", "2", "--no-think");
            assertThat(pulledFirst.exit()).as(pulledFirst.err()).isZero();
            assertThat(pulledFirst.err()).contains("done other-Q8_0.gguf");

            Result missing = baleine(env, "pull", "org/absent");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.err().strip()).isEqualTo("error: repository 'org/absent' not found on " + hub.endpoint()
                    + " (check the spelling; a private repository needs HF_TOKEN)");
            Result offline = baleine(Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_CACHE", dir.toString()), "pull", "org/tiny");
            assertThat(offline.err()).contains("offline mode");
        }
    }
}
