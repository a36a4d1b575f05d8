package baleine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;

@Command(name = "ps", description = "Show the model a running server has loaded, with its requests and KV-cache use.")
final class PsCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://${env:BALEINE_HOST:-127.0.0.1}:${env:BALEINE_PORT:-8080}",
            description = "server address (default ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--api-key", defaultValue = "${env:BALEINE_API_KEY}", description = "API key, if the server needs one")
    String apiKey;

    @Override
    public Integer call() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        JsonNode models;
        String metrics;
        try {
            models = new ObjectMapper().readTree(get(http, "/v1/models"));
            metrics = get(http, "/metrics");
        } catch (java.net.ConnectException e) {
            throw noServerAt(url);
        }
        System.out.printf("%-45s %8s %8s %10s%n", "MODEL", "RUNNING", "QUEUED", "KV CACHE");
        for (JsonNode m : models.path("data")) {
            System.out.printf("%-45s %8s %8s %9.0f%%%n", m.path("id").asText(), (long) metric(metrics, "baleine_requests_running"),
                    (long) metric(metrics, "baleine_requests_queued"), 100 * metric(metrics, "baleine_kv_cache_usage_ratio"));
        }
        return 0;
    }

    private String get(HttpClient http, String path) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalArgumentException(url + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).strip());
            }
        }
        return 0;
    }

    /** The error for a URL where nothing listens (also {@code loadtest}'s). */
    static IllegalArgumentException noServerAt(String url) {
        return new IllegalArgumentException("no server answers at " + url + " (start one with ./baleine serve MODEL)");
    }
}
