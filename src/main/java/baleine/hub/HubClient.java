package baleine.hub;

import baleine.api.Baleine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hub's HTTP protocol: file listing ({@code /api/models/{repo}/revision/{rev}}), {@code HEAD .../resolve/...}
 * for commit, ETag, size and the download location, and ranged downloads. Transient failures (408, 429,
 * 5xx, dropped connections) are retried with back-off honouring {@code Retry-After}; the token is never
 * sent to another host than the hub's.
 */
public final class HubClient {
    /** One file of a repository; {@code sha256} is set for LFS files. */
    public record FileEntry(String path, long size, String sha256) {
    }

    public record Listing(String commit, List<FileEntry> files) {
    }

    /** Where and what a file is: commit, ETag (the blob name), size and the URL to GET. */
    public record Resolved(String commit, String etag, long size, URI location) {
    }

    static final int ATTEMPTS = 5;

    private final URI endpoint;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(20)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final long backoffMillis;

    public HubClient(URI endpoint, String token, long backoffMillis) {
        this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        this.token = token;
        this.backoffMillis = backoffMillis;
    }

    /** {@code HF_ENDPOINT}, {@code HF_TOKEN} or {@code $HF_HOME/token}. */
    public static HubClient fromEnvironment(Map<String, String> env) {
        String token = env.get("HF_TOKEN");
        if (token == null || token.isBlank()) {
            Path home = env.get("HF_HOME") != null ? Path.of(env.get("HF_HOME"))
                    : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "huggingface");
            try {
                token = Files.isRegularFile(home.resolve("token")) ? Files.readString(home.resolve("token")).strip() : null;
            } catch (IOException e) {
                token = null;
            }
        }
        return new HubClient(URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co")), token, 1000);
    }

    public URI endpoint() {
        return endpoint;
    }

    public Listing list(String repo, String revision) {
        URI uri = URI.create(endpoint + "/api/models/" + repo + "/revision/" + encode(revision) + "?blobs=true");
        HttpResponse<byte[]> r = send(request(uri, "GET"), HttpResponse.BodyHandlers.ofByteArray(), repo, null);
        try {
            JsonNode n = json.readTree(r.body());
            List<FileEntry> files = new ArrayList<>();
            for (JsonNode s : n.path("siblings")) {
                JsonNode lfs = s.path("lfs");
                files.add(new FileEntry(s.path("rfilename").asText(), lfs.isObject() ? lfs.path("size").asLong(s.path("size").asLong(-1))
                        : s.path("size").asLong(-1), lfs.isObject() ? lfs.path("sha256").asText(null) : null));
            }
            return new Listing(n.path("sha").asText(revision), files);
        } catch (IOException e) {
            throw new HubException(endpoint + " answered the file listing of " + repo + " with something that is not JSON");
        }
    }

    public Resolved resolve(String repo, String revision, String path) {
        URI uri = URI.create(endpoint + "/" + repo + "/resolve/" + encode(revision) + "/" + path);
        for (int hop = 0; hop < 5; hop++) {
            HttpResponse<Void> r = send(request(uri, "HEAD"), HttpResponse.BodyHandlers.discarding(), repo, path);
            var h = r.headers();
            Optional<String> location = h.firstValue("Location");
            String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null);
            if (r.statusCode() / 100 == 3 && location.isPresent() && etag == null) {
                uri = uri.resolve(location.get()); // a relative redirect (renamed repository): follow it
                continue;
            }
            if (etag == null) {
                throw new HubException(endpoint + " gave no ETag for " + repo + "/" + path + "; cannot cache it safely");
            }
            long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length")).map(Long::parseLong).orElse(-1L);
            String commit = h.firstValue("X-Repo-Commit").orElse(revision);
            URI target = location.map(uri::resolve).orElse(uri);
            return new Resolved(commit, etag.replaceFirst("^W/", "").replace("\"", ""), size, target);
        }
        throw new HubException("too many redirects resolving " + repo + "/" + path);
    }

    /**
     * Streams {@code location} from byte {@code from} on; the body starts at {@code from} when the server
     * honoured the range (206) and at 0 otherwise (200), as {@link #startsAt} reports.
     */
    public HttpResponse<InputStream> open(URI location, long from, String repo, String path) {
        HttpRequest.Builder b = request(location, "GET");
        if (from > 0) {
            b.header("Range", "bytes=" + from + "-");
        }
        return send(b, HttpResponse.BodyHandlers.ofInputStream(), repo, path);
    }

    public static long startsAt(HttpResponse<?> r, long requested) {
        return r.statusCode() == 206 ? requested : 0;
    }

    private HttpRequest.Builder request(URI uri, String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .header("User-Agent", "baleine/" + Baleine.VERSION);
        if (token != null && sameHost(uri)) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private boolean sameHost(URI uri) {
        return uri.getHost() != null && uri.getHost().equalsIgnoreCase(endpoint.getHost()) && uri.getPort() == endpoint.getPort();
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler, String repo, String path) {
        HttpRequest req = b.build();
        for (int attempt = 1; ; attempt++) {
            HttpResponse<T> r;
            try {
                r = http.send(req, handler);
            } catch (ConnectException | UnknownHostException e) {
                if (attempt >= ATTEMPTS) {
                    throw new HubException("cannot reach " + endpoint + " (" + e.getClass().getSimpleName()
                            + "); check the network, or set HF_HUB_OFFLINE=1 to use the cache only", e);
                }
                pause(attempt, null);
                continue;
            } catch (IOException e) {
                if (attempt >= ATTEMPTS) {
                    throw new HubException("download from " + req.uri().getHost() + " kept failing: " + e.getMessage(), e);
                }
                pause(attempt, null);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("interrupted");
            }
            int s = r.statusCode();
            if (s == 408 || s == 429 || s >= 500) {
                closeQuietly(r);
                if (attempt >= ATTEMPTS) {
                    throw new HubException(req.uri().getHost() + " answered " + s + " " + ATTEMPTS + " times; try again later");
                }
                pause(attempt, r.headers().firstValue("Retry-After").orElse(null));
                continue;
            }
            if (s >= 400) {
                closeQuietly(r);
                throw error(r, repo, path);
            }
            return r;
        }
    }

    private HubException error(HttpResponse<?> r, String repo, String path) {
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        return switch (code) {
            case "RepoNotFound" -> new HubException("repository '" + repo + "' not found on " + endpoint
                    + " (check the spelling; a private repository needs HF_TOKEN)");
            case "GatedRepo" -> new HubException("'" + repo + "' is gated: accept its conditions on " + endpoint + "/" + repo
                    + " and set HF_TOKEN");
            case "EntryNotFound" -> new HubException("file '" + path + "' not found in " + repo);
            case "RevisionNotFound" -> new HubException("revision not found in " + repo);
            default -> r.statusCode() == 401 || r.statusCode() == 403
                    ? new HubException("access to '" + repo + "' was refused (" + r.statusCode() + "): set a valid HF_TOKEN")
                    : new HubException(endpoint + " answered " + r.statusCode() + " for " + repo + (path != null ? "/" + path : ""));
        };
    }

    private void pause(int attempt, String retryAfter) {
        long millis = Math.min(8_000, backoffMillis << (attempt - 1));
        if (retryAfter != null) {
            try {
                millis = Math.max(millis, Long.parseLong(retryAfter.strip()) * 1000);
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep the back-off
            }
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted");
        }
    }

    private static void closeQuietly(HttpResponse<?> r) {
        if (r.body() instanceof InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
