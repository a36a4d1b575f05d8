package baleine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Machines whose preferred vectors hold 4 floats (ARM NEON, SSE-only x86) have no byte vector to widen
 * from: the engine must still run there. Emulated on x86 by capping the JIT at SSE (-XX:UseAVX=0).
 */
class NarrowVectorsTest {
    @Test
    void aQuantizedModelRunsWith128BitVectors(@TempDir Path dir) throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "-XX:UseAVX exists on x86 only");
        Path model = dir.resolve("m.gguf");
        assertThat(CliTest.run("write-random", "--preset", "tiny-deepseek-v3", "--type", "q4_0", model.toString()).exit()).isZero();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:UseAVX=0", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "baleine.cli.Main", "bench", model.toString(), "-p", "4", "-n", "2", "-r", "1", "--warmup", "0", "--no-bandwidth")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("| pp4 |", "| tg2 |");
    }
}
