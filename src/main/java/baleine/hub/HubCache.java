package baleine.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Hugging Face cache that Python tools share: {@code models--org--name/{blobs,refs,snapshots}},
 * snapshot files being relative symlinks to {@code ../../blobs/<etag>}. Root: {@code HF_HUB_CACHE},
 * else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}.
 */
public final class HubCache {
    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public static HubCache fromEnvironment(Map<String, String> env) {
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isBlank()) {
            return new HubCache(Path.of(hub));
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) {
            return new HubCache(Path.of(home, "hub"));
        }
        return new HubCache(Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "huggingface", "hub"));
    }

    public Path root() {
        return root;
    }

    public Path repoDir(String repo) {
        String[] parts = repo.split("/", 2);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new HubException("'" + repo + "' is not a repository id (expected owner/name)");
        }
        return root.resolve("models--" + parts[0] + "--" + parts[1]);
    }

    public Path blob(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    public Path snapshot(String repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    public Path lock(String repo, String etag) {
        return root.resolve(".locks").resolve(repoDir(repo).getFileName().toString()).resolve(etag + ".lock");
    }

    public Path ref(String repo, String revision) {
        return repoDir(repo).resolve("refs").resolve(revision);
    }

    /** The snapshot {@code refs/main} points to, else the most recently modified one. */
    public Optional<Path> currentSnapshot(String repo) {
        Path dir = repoDir(repo);
        Path snapshots = dir.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            return Optional.empty();
        }
        try {
            Path main = dir.resolve("refs").resolve("main");
            if (Files.isRegularFile(main)) {
                Path s = snapshots.resolve(Files.readString(main).strip());
                if (Files.isDirectory(s)) {
                    return Optional.of(s);
                }
            }
            try (Stream<Path> s = Files.list(snapshots)) {
                return s.filter(Files::isDirectory).max(Comparator.comparingLong(p -> p.toFile().lastModified()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Repository ids present in the cache. */
    public List<String> repositories() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("models--"))
                    .map(n -> n.substring("models--".length()).replaceFirst("--", "/")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files of a snapshot (relative paths), following the symlinks. */
    public static List<Path> files(Path snapshot) {
        try (Stream<Path> s = Files.walk(snapshot)) {
            return s.filter(p -> Files.isRegularFile(p)).map(snapshot::relativize).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes the given snapshot files (all of the repository's snapshots when {@code only} is empty), then
     * every blob no remaining snapshot links to. Returns the bytes freed.
     */
    public long remove(String repo, List<Path> only) throws IOException {
        Path dir = repoDir(repo);
        if (!Files.isDirectory(dir)) {
            throw new HubException(repo + " is not in the cache (" + root + ")");
        }
        if (only.isEmpty()) {
            long freed = sizeOf(dir.resolve("blobs"));
            deleteTree(dir);
            return freed;
        }
        for (Path p : only) {
            Files.deleteIfExists(p);
        }
        Set<Path> used = new HashSet<>();
        try (Stream<Path> links = Files.walk(dir.resolve("snapshots"))) {
            for (Path l : links.filter(Files::isSymbolicLink).toList()) {
                used.add(l.resolveSibling(Files.readSymbolicLink(l)).normalize());
            }
        }
        long freed = 0;
        try (Stream<Path> blobs = Files.list(dir.resolve("blobs"))) {
            for (Path b : blobs.toList()) {
                if (!used.contains(b.normalize())) {
                    freed += Files.size(b);
                    Files.delete(b);
                }
            }
        }
        return freed;
    }

    static long sizeOf(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            long total = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.toList());
            all.sort(Comparator.reverseOrder());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }
}
