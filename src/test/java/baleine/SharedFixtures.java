package baleine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Locates {@code ../shared} (system property {@code baleine.shared}); tests that need it skip, saying why, when absent. */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    public static Path root() {
        return Path.of(System.getProperty("baleine.shared", "../shared")).toAbsolutePath().normalize();
    }

    public static Path conformance() {
        Path dir = root().resolve("conformance");
        boolean present = Files.isRegularFile(dir.resolve("manifest.json"));
        if (!present) {
            System.err.println("SKIPPED: " + dir + " is absent, so the conformance fixtures cannot be checked");
        }
        assumeTrue(present, "shared conformance fixtures absent at " + dir);
        return dir;
    }
}
