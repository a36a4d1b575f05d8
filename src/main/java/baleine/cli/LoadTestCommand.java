package baleine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load test against a running server on this machine: N clients send streaming chat requests
 * for a fixed time and we report throughput, time to first token and inter-token latency percentiles.
 */
@Command(name = "loadtest", description = "Load-test a local Baleine (or any OpenAI-compatible) server: throughput, TTFT and inter-token latency.")
final class LoadTestCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "URL", description = "server base URL on this machine, e.g. http://127.0.0.1:8080/v1")
    String url;

    @Option(names = {"-c", "--clients"}, defaultValue = "4", description = "concurrent clients (1..64, default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = {"-d", "--duration"}, defaultValue = "20", description = "seconds to run (1..600, default ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "64", description = "tokens per answer (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--prompt-words", defaultValue = "50", description = "words per prompt (default ${DEFAULT-VALUE})")
    int promptWords;

    @Option(names = "--shared-prefix", description = "all prompts share a long common prefix (exercises the prefix cache)")
    boolean sharedPrefix;

    @Option(names = "--api-key", description = "API key, if the server needs one")
    String apiKey;

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Sample(long ttftNanos, List<Long> gaps, int tokens, boolean ok) {
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 64 || seconds < 1 || seconds > 600 || maxTokens < 1) {
            throw new IllegalArgumentException("need 1 <= clients <= 64, 1 <= duration <= 600 s, max tokens >= 1");
        }
        URI base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        if (base.getHost() == null || !InetAddress.getByName(base.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException("the load test only targets this machine (loopback); " + base.getHost() + " is not");
        }
        HttpClient http = HttpClient.newHttpClient();
        try {
            http.send(HttpRequest.newBuilder(URI.create(base + "/models")).build(), HttpResponse.BodyHandlers.discarding());
        } catch (java.net.ConnectException e) {
            throw PsCommand.noServerAt(url);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        AtomicLong counter = new AtomicLong();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        samples.add(one(http, base, counter.incrementAndGet()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        report(samples, elapsed);
        return 0;
    }

    private Sample one(HttpClient http, URI base, long n) throws Exception {
        StringBuilder prompt = new StringBuilder(sharedPrefix ? "You are a careful assistant who knows the sea. ".repeat(20) : "");
        prompt.append("Request ").append(n).append(':');
        for (int i = 0; i < promptWords; i++) {
            prompt.append(' ').append("whale sea song deep blue krill ocean".split(" ")[(int) ((n + i) % 7)]);
        }
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("max_tokens", maxTokens).put("stream", true)
                .put("temperature", 0.8).set("messages", JSON.createArrayNode().add(JSON.createObjectNode()
                        .put("role", "user").put("content", prompt.toString()))));
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        long start = System.nanoTime(), last = 0, ttft = -1;
        List<Long> gaps = new ArrayList<>();
        int tokens = 0;
        HttpResponse<java.io.InputStream> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            r.body().close();
            return new Sample(0, List.of(), 0, false);
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                JsonNode d = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta");
                String text = d.path("content").asText("") + d.path("reasoning_content").asText("");
                if (text.isEmpty()) {
                    continue;
                }
                long now = System.nanoTime();
                if (ttft < 0) {
                    ttft = now - start;
                } else {
                    gaps.add(now - last);
                }
                last = now;
                tokens++;
            }
        }
        return new Sample(Math.max(ttft, 0), gaps, tokens, true);
    }

    private void report(List<Sample> samples, double elapsed) {
        List<Long> ttft = new ArrayList<>(), itl = new ArrayList<>();
        long tokens = 0, ok = 0;
        for (Sample s : samples) {
            if (s.ok()) {
                ok++;
                ttft.add(s.ttftNanos());
                itl.addAll(s.gaps());
                tokens += s.tokens();
            }
        }
        System.out.printf("clients %d, %.1f s: %d requests (%d failed), %d streamed chunks, %.1f chunks/s, %.2f requests/s%n",
                clients, elapsed, samples.size(), samples.size() - ok, tokens, tokens / elapsed, ok / elapsed);
        System.out.println("time to first token (ms): " + percentiles(ttft));
        System.out.println("inter-token latency (ms): " + percentiles(itl));
    }

    private static String percentiles(List<Long> v) {
        if (v.isEmpty()) {
            return "no data";
        }
        Collections.sort(v);
        return String.format("p50 %.1f, p90 %.1f, p99 %.1f, max %.1f", at(v, 0.5), at(v, 0.9), at(v, 0.99), v.getLast() / 1e6);
    }

    private static double at(List<Long> v, double q) {
        return v.get(Math.min(v.size() - 1, (int) Math.floor(q * v.size()))) / 1e6;
    }
}
