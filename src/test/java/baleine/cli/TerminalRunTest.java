package baleine.cli;

import baleine.writer.DemoModel;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code run} in a real pseudo-terminal (through util-linux's {@code script}): Ctrl-C stops the answer, not the program. */
class TerminalRunTest {
    @Test
    void ctrlCInterruptsTheAnswerAndTheChatGoesOn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed: no pseudo-terminal test");
        DemoModel.ensure(DemoModel.cacheDirectory());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // exec: no shell stays between script and the JVM (a non-interactive dash would die of the SIGINT itself)
        String command = String.join(" ", "exec", java, "--add-modules", "jdk.incubator.vector", "-Dbaleine.home=" + DemoModel.cacheDirectory(),
                "-cp", System.getProperty("java.class.path"), "baleine.cli.Main", "run", "--demo", "-n", "100000",
                "--logit-bias", "1=-100", "--logit-bias", "0=-100");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-qfec", command, "/dev/null").redirectErrorStream(true);
        pb.environment().put("SHELL", "/bin/sh");
        Process p = pb.start();
        StringBuilder seen = new StringBuilder();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (seen) {
                        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        OutputStream keys = p.getOutputStream();
        waitFor(seen, ">>> ");
        keys.write("Tell me a story\r".getBytes(StandardCharsets.UTF_8));
        keys.flush();
        Thread.sleep(1500);
        keys.write(3); // Ctrl-C, as the terminal sends it
        keys.flush();
        waitFor(seen, "(interrupted)");
        keys.write("/bye\r".getBytes(StandardCharsets.UTF_8));
        keys.flush();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(2000);
        synchronized (seen) {
            assertThat(seen.toString()).contains("(interrupted)", "cancelled");
        }
        assertThat(p.exitValue()).isZero();
    }

    private static void waitFor(StringBuilder seen, String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            synchronized (seen) {
                if (seen.indexOf(text) >= 0) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        synchronized (seen) {
            throw new AssertionError("no '" + text + "' in: " + seen.substring(Math.max(0, seen.length() - 500)));
        }
    }
}
