package baleine.server;

import baleine.api.Baleine;
import baleine.writer.DemoModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

/** A real server on a free loopback port, serving the generated demo model, and a raw HTTP client. */
final class ServerFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final BaleineServer server;
    final HttpClient client = HttpClient.newHttpClient();

    ServerFixture(int parallel, int ctx, int queue, String apiKey, List<String> cors) throws IOException {
        Path model = DemoModel.ensure(DemoModel.cacheDirectory());
        server = new BaleineServer(new ServerConfig("127.0.0.1", 0, parallel, ctx, queue, apiKey, cors, "demo", 1 << 20, 50, 0, 0),
                () -> Baleine.load(model));
        server.awaitLoaded();
    }

    static ServerFixture standard() {
        try {
            return new ServerFixture(4, 2048, 64, null, List.of("http://allowed.example"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    HttpResponse<String> send(HttpRequest r) {
        try {
            return client.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        return json(r.body());
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + s, e);
        }
    }

    static String chat(String content, String extra) {
        return "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":" + quote(content) + "}]" + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
