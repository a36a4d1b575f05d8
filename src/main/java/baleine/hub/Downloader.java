package baleine.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

/**
 * {@code pull}: picks a repository's files (one GGUF quantization with its split parts, or a
 * checkpoint's weights, configs and tokenizer), downloads them into the shared cache layout
 * ({@code blobs/<etag>} written through {@code <etag>.incomplete}, snapshot symlinks, {@code refs}),
 * resuming partial files with HTTP ranges and verifying LFS files' SHA-256. A complete file is never
 * replaced by a partial one.
 */
public final class Downloader {
    /** Reports progress; called from download threads. */
    public interface Progress {
        void start(String file, long size);

        void advance(String file, long bytes);

        void done(String file);
    }

    private static final int CHUNK = 1 << 16;
    /** A quantization at the end of a GGUF file name (before any split suffix): Q4_K_M, IQ2_XS, Q8_0, BF16, ... */
    private static final Pattern QUANT_IN_NAME = Pattern.compile("(?i)(?:^|[-._])((?:IQ|Q)\\d[\\w]*|BF16|F16|F32)$");

    private final HubClient client;
    private final HubCache cache;
    private final int connections;
    private final Progress progress;

    public Downloader(HubClient client, HubCache cache, int connections, Progress progress) {
        this.client = client;
        this.cache = cache;
        this.connections = connections;
        this.progress = progress;
    }

    /** What {@link #pull} fetched: the snapshot folder and the files (relative paths) it holds. */
    public record Pulled(Path snapshot, List<String> files) {
    }

    /**
     * @param quant   for a GGUF repository, the quantization to fetch (e.g. Q4_K_M); null if there is only one
     * @param include glob patterns overriding the choice of files, or empty
     */
    public Pulled pull(String repo, String quant, String revision, List<String> include) {
        HubClient.Listing listing = client.list(repo, revision);
        List<HubClient.FileEntry> chosen = choose(repo, listing.files(), quant, include);
        long needed = chosen.stream().mapToLong(f -> Math.max(0, f.size())).sum();
        checkSpace(needed);
        List<String> done = new ArrayList<>();
        Semaphore slots = new Semaphore(connections);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> futures = new ArrayList<>();
            for (HubClient.FileEntry f : chosen) {
                futures.add(pool.submit(() -> {
                    slots.acquire();
                    try {
                        fetch(repo, listing.commit(), revision, f);
                        return f.path();
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<String> fu : futures) {
                try {
                    done.add(fu.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new HubException(String.valueOf(e.getCause().getMessage()), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HubException("interrupted");
                }
            }
        }
        writeRef(repo, revision, listing.commit());
        return new Pulled(cache.snapshot(repo, listing.commit()), done);
    }

    static List<HubClient.FileEntry> choose(String repo, List<HubClient.FileEntry> files, String quant, List<String> include) {
        if (!include.isEmpty()) {
            List<PathMatcher> globs = include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
            List<HubClient.FileEntry> out = files.stream().filter(f -> globs.stream().anyMatch(m -> m.matches(Path.of(f.path())))).toList();
            if (out.isEmpty()) {
                throw new HubException("no file of " + repo + " matches " + include);
            }
            return out;
        }
        List<HubClient.FileEntry> ggufs = files.stream().filter(f -> f.path().endsWith(".gguf")).toList();
        if (!ggufs.isEmpty()) {
            List<String> quants = ggufs.stream().map(f -> quantOf(f.path())).distinct().sorted().toList();
            if (quant == null) {
                if (quants.size() == 1) {
                    return ggufs;
                }
                throw new HubException(repo + " has several quantizations; pick one with " + repo + ":QUANT (" + String.join(", ", quants) + ")");
            }
            String q = quant.toUpperCase(Locale.ROOT);
            List<HubClient.FileEntry> out = ggufs.stream().filter(f -> quantOf(f.path()).equals(q)).toList();
            if (out.isEmpty()) {
                throw new HubException(repo + " has no " + quant + " file; available: " + String.join(", ", quants));
            }
            return out;
        }
        if (quant != null) {
            throw new HubException(repo + " is not a GGUF repository; drop :" + quant);
        }
        List<HubClient.FileEntry> out = files.stream().filter(f -> {
            String name = Path.of(f.path()).getFileName().toString();
            return !f.path().contains("/") && (name.endsWith(".safetensors") || name.endsWith(".json") || name.endsWith(".jinja")
                    || name.equals("tokenizer.model") || name.equals("LICENSE") || name.equals("README.md"));
        }).toList();
        if (out.stream().noneMatch(f -> f.path().endsWith(".safetensors"))) {
            throw new HubException(repo + " has neither GGUF nor safetensors weights");
        }
        return out;
    }

    /**
     * The quantization named in a GGUF file name ({@code DeepSeek-R1-Q4_K_M-00001-of-00002.gguf} → Q4_K_M), else
     * the name itself (upper case): what {@code REPO:QUANT} picks a file by.
     */
    public static String quantOf(String path) {
        return namedQuant(path).orElse(baseName(path).toUpperCase(Locale.ROOT));
    }

    /** The quantization a GGUF file name names, if it names one. */
    public static Optional<String> namedQuant(String path) {
        var m = QUANT_IN_NAME.matcher(baseName(path));
        return m.find() ? Optional.of(m.group(1).toUpperCase(Locale.ROOT)) : Optional.empty();
    }

    private static String baseName(String path) {
        return Path.of(path).getFileName().toString().replaceFirst("(-\\d{5}-of-\\d{5})?\\.gguf$", "");
    }

    private void checkSpace(long needed) {
        try {
            Files.createDirectories(cache.root());
            long free = Files.getFileStore(cache.root()).getUsableSpace();
            if (free < needed) {
                throw new HubException("not enough disk space in " + cache.root() + ": need " + needed / (1 << 20) + " MiB, "
                        + free / (1 << 20) + " MiB free");
            }
        } catch (IOException e) {
            throw new HubException("cannot use the cache at " + cache.root() + ": " + e.getMessage(), e);
        }
    }

    private void fetch(String repo, String commit, String revision, HubClient.FileEntry f) throws IOException {
        Path link = cache.snapshot(repo, commit).resolve(f.path());
        if (Files.isSymbolicLink(link) && Files.exists(link)) {
            progress.done(f.path());
            return;
        }
        HubClient.Resolved r = client.resolve(repo, commit.equals(revision) ? revision : commit, f.path());
        Path blob = cache.blob(repo, r.etag());
        Files.createDirectories(blob.getParent());
        Path lockFile = cache.lock(repo, r.etag());
        Files.createDirectories(lockFile.getParent());
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockChannel.lock()) {
            if (!Files.exists(blob)) {
                download(repo, f, r, blob);
            }
        }
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, link.getParent().relativize(blob));
        progress.done(f.path());
    }

    private void download(String repo, HubClient.FileEntry f, HubClient.Resolved r, Path blob) throws IOException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long size = r.size() >= 0 ? r.size() : f.size();
        progress.start(f.path(), size);
        for (int attempt = 1; ; attempt++) {
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            if (size >= 0 && have > size) {
                Files.delete(partial);
                have = 0;
            }
            progress.advance(f.path(), have);
            try {
                if (size < 0 || have < size) {
                    HttpResponse<InputStream> resp = client.open(r.location(), have, repo, f.path());
                    long start = HubClient.startsAt(resp, have);
                    try (InputStream in = resp.body();
                         OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                 start == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
                        byte[] buf = new byte[CHUNK];
                        long written = start;
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            out.write(buf, 0, n);
                            written += n;
                            progress.advance(f.path(), written);
                        }
                    }
                }
                long got = Files.size(partial);
                if (size >= 0 && got != size) {
                    throw new IOException("connection ended after " + got + " of " + size + " bytes");
                }
                verify(f, r, partial);
                Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                if (attempt >= HubClient.ATTEMPTS) {
                    throw new HubException("downloading " + f.path() + " of " + repo + " failed: " + e.getMessage()
                            + " (the partial file is kept; pull again to resume)", e);
                }
            }
        }
    }

    private static void verify(HubClient.FileEntry f, HubClient.Resolved r, Path file) throws IOException {
        String expected = f.sha256() != null ? f.sha256() : (r.etag().matches("[0-9a-f]{64}") ? r.etag() : null);
        if (expected == null) {
            return;
        }
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(expected)) {
            Files.delete(file);
            throw new HubException(f.path() + " is corrupt: its SHA-256 is " + got + ", expected " + expected + "; pull again");
        }
    }

    private void writeRef(String repo, String revision, String commit) {
        if (revision.equals(commit)) {
            return;
        }
        try {
            Path ref = cache.ref(repo, revision);
            Files.createDirectories(ref.getParent());
            Files.writeString(ref, commit);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
