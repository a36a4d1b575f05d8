package baleine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Hugging Face hub: the file-listing API, {@code resolve} answering LFS files
 * with a redirect to a second "CDN" server, ETag / commit / size headers, ranged downloads, and injected
 * faults (a connection dropped mid-file, a 429 with Retry-After, 401/403/404 with X-Error-Code).
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record File(String path, byte[] bytes, boolean lfs) {
        String sha256() {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        String gitEtag() {
            return "git-" + sha256().substring(0, 40);
        }
    }

    final HttpServer hub, cdn;
    final Map<String, Map<String, File>> repos = new LinkedHashMap<>();
    final List<String> cdnAuthorization = new CopyOnWriteArrayList<>();
    final List<String> hubAuthorization = new CopyOnWriteArrayList<>();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final Set<String> dropOnce = ConcurrentHashMap.newKeySet();
    final Set<String> throttleOnce = ConcurrentHashMap.newKeySet();
    final AtomicInteger cdnRequests = new AtomicInteger();

    FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        cdn = HttpServer.create(new InetSocketAddress("localhost", 0), 16);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    void add(String repo, File... files) {
        Map<String, File> m = repos.computeIfAbsent(repo, k -> new LinkedHashMap<>());
        for (File f : files) {
            m.put(f.path(), f);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            hubAuthorization.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            String p = ex.getRequestURI().getPath();
            if (p.startsWith("/api/models/")) {
                String[] parts = p.substring("/api/models/".length()).split("/");
                String repo = parts[0] + "/" + parts[1];
                if (refuse(ex, repo)) {
                    return;
                }
                StringBuilder json = new StringBuilder("{\"sha\":\"" + COMMIT + "\",\"siblings\":[");
                int i = 0;
                for (File f : repos.get(repo).values()) {
                    json.append(i++ > 0 ? "," : "").append("{\"rfilename\":\"").append(f.path()).append("\",\"size\":").append(f.bytes().length);
                    if (f.lfs()) {
                        json.append(",\"lfs\":{\"sha256\":\"").append(f.sha256()).append("\",\"size\":").append(f.bytes().length).append('}');
                    }
                    json.append('}');
                }
                send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
            // /{org}/{name}/resolve/{rev}/{path}
            String[] parts = p.substring(1).split("/", 5);
            String repo = parts[0] + "/" + parts[1];
            if (refuse(ex, repo)) {
                return;
            }
            File f = repos.get(repo).get(parts[4]);
            if (f == null) {
                ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
                send(ex, 404, new byte[0]);
                return;
            }
            ex.getResponseHeaders().set("X-Repo-Commit", COMMIT);
            if (f.lfs()) {
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + f.sha256() + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(f.bytes().length));
                ex.getResponseHeaders().set("Location", "http://localhost:" + cdn.getAddress().getPort() + "/blob/" + f.sha256());
                ex.sendResponseHeaders(302, -1);
                return;
            }
            ex.getResponseHeaders().set("ETag", "\"" + f.gitEtag() + "\"");
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", String.valueOf(f.bytes().length));
                ex.sendResponseHeaders(200, -1);
            } else {
                send(ex, 200, f.bytes());
            }
        }
    }

    private boolean refuse(HttpExchange ex, String repo) throws IOException {
        if (repo.equals("org/gated")) {
            ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
            send(ex, 403, new byte[0]);
            return true;
        }
        if (!repos.containsKey(repo)) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 401, new byte[0]);
            return true;
        }
        return false;
    }

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            cdnRequests.incrementAndGet();
            cdnAuthorization.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            String sha = ex.getRequestURI().getPath().substring("/blob/".length());
            File f = repos.values().stream().flatMap(m -> m.values().stream()).filter(x -> x.lfs() && x.sha256().equals(sha)).findFirst().orElseThrow();
            if (throttleOnce.remove(f.path())) {
                ex.getResponseHeaders().set("Retry-After", "1");
                send(ex, 429, new byte[0]);
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            ranges.add(f.path() + " " + range);
            int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
            int len = f.bytes().length - from;
            if (range != null) {
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (f.bytes().length - 1) + "/" + f.bytes().length);
            }
            ex.sendResponseHeaders(range != null ? 206 : 200, len);
            OutputStream out = ex.getResponseBody();
            if (dropOnce.remove(f.path())) {
                out.write(f.bytes(), from, len / 2);
                out.flush();
                throw new IOException("connection dropped on purpose"); // the exchange ends without the rest
            }
            out.write(f.bytes(), from, len);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
