package baleine.cli;

import baleine.format.ModelFormatException;
import baleine.hub.HubCache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns what a user typed into a model path: a GGUF file, a Hugging Face model directory, or a repository
 * id already in the local Hugging Face cache ({@code owner/name}, optionally {@code :QUANT} to pick one
 * GGUF file of several), honouring {@code HF_HUB_CACHE} and {@code HF_HOME}.
 */
public final class ModelResolver {
    private static final Pattern REPO = Pattern.compile("([\\w.-]+)/([\\w.-]+)(?::([\\w.-]+))?");

    private final Map<String, String> env;

    public ModelResolver(Map<String, String> env) {
        this.env = env;
    }

    /** Whether {@code spec} looks like {@code owner/name[:QUANT]} rather than a path. */
    public static boolean isRepositoryId(String spec) {
        return REPO.matcher(spec).matches() && !Files.exists(Path.of(spec));
    }

    public Path hubCache() {
        return HubCache.fromEnvironment(env).root();
    }

    public Path resolve(String spec) {
        Path direct = Path.of(spec);
        if (Files.exists(direct)) {
            return direct;
        }
        Matcher m = REPO.matcher(spec);
        if (!m.matches()) {
            throw new ModelFormatException("model '" + spec + "' not found: it is not a file or directory. "
                    + "Give a .gguf file, a Hugging Face model directory, or a repository id like deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B");
        }
        HubCache cache = HubCache.fromEnvironment(env);
        Path repo = cache.repoDir(m.group(1) + "/" + m.group(2));
        Path snapshot = cache.currentSnapshot(m.group(1) + "/" + m.group(2)).orElse(null);
        if (snapshot == null) {
            throw new ModelFormatException("model '" + spec + "' not found: not a file, and " + repo + " is not in the Hugging Face cache "
                    + "(searched " + hubCache() + "; set HF_HUB_CACHE or HF_HOME if yours is elsewhere). "
                    + "Download it first: ./baleine pull " + spec);
        }
        if (Files.isRegularFile(snapshot.resolve("config.json")) && m.group(3) == null) {
            return snapshot;
        }
        return pickGguf(spec, snapshot, m.group(3));
    }

    private static Path pickGguf(String spec, Path snapshot, String quant) {
        List<Path> ggufs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(snapshot, 2)) {
            s.filter(p -> p.getFileName().toString().endsWith(".gguf"))
                    .filter(p -> !p.getFileName().toString().matches(".*-\\d{5}-of-\\d{5}\\.gguf") || p.getFileName().toString().contains("-00001-of-"))
                    .sorted().forEach(ggufs::add);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + snapshot + ": " + e.getMessage());
        }
        if (quant != null) {
            String q = quant.toLowerCase(Locale.ROOT);
            ggufs.removeIf(p -> !p.getFileName().toString().toLowerCase(Locale.ROOT).contains(q));
        }
        if (ggufs.size() == 1) {
            return ggufs.getFirst();
        }
        if (ggufs.isEmpty()) {
            throw new ModelFormatException("the cached snapshot " + snapshot + " of '" + spec + "' has no config.json and no "
                    + (quant != null ? "GGUF file matching '" + quant + "'" : "GGUF file"));
        }
        throw new ModelFormatException("'" + spec + "' has several GGUF files; pick one with :QUANT, e.g. " + spec.replaceFirst(":.*", "")
                + ":" + ggufs.getFirst().getFileName().toString().replaceFirst("(?i).*[-.]((?:i?q|f|bf)\\d[\\w]*)\\.gguf$", "$1")
                + " (found: " + String.join(", ", ggufs.stream().map(p -> p.getFileName().toString()).toList()) + ")");
    }
}
