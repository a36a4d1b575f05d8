package baleine.cli;

import baleine.api.Baleine;
import baleine.generation.Generator;
import baleine.server.BaleineServer;
import baleine.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", description = {"Serve a model over an OpenAI- and DeepSeek-compatible HTTP API.",
        "Every option can also come from an environment variable (BALEINE_HOST, BALEINE_PORT, BALEINE_PARALLEL, ...)."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", defaultValue = "${env:BALEINE_HOST:-127.0.0.1}", description = "address to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "${env:BALEINE_PORT:-8080}", description = "port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"-np", "--parallel"}, defaultValue = "${env:BALEINE_PARALLEL:-4}", description = "requests generated at once (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--queue", defaultValue = "${env:BALEINE_QUEUE:-64}", description = "requests that may wait; more get 429 (default ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--api-key", defaultValue = "${env:BALEINE_API_KEY}", description = "require Authorization: Bearer KEY")
    String apiKey;

    @Option(names = "--api-key-file", defaultValue = "${env:BALEINE_API_KEY_FILE}", description = "read the API key from a file")
    Path apiKeyFile;

    @Option(names = "--cors-origin", split = ",", defaultValue = "${env:BALEINE_CORS_ORIGIN}", description = "browser origins allowed (comma-separated, * for any)")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--alias", defaultValue = "${env:BALEINE_ALIAS}", description = "model id clients use (default: the model's name)")
    String alias;

    @Option(names = "--cache-tokens", defaultValue = "${env:BALEINE_CACHE_TOKENS:-0}",
            description = "tokens the shared KV cache holds, running and reusable prefixes together (default: 2 x parallel x context)")
    long cacheTokens;

    @Option(names = "--cache-memory", defaultValue = "${env:BALEINE_CACHE_MEMORY}",
            description = "memory for the shared KV cache instead of --cache-tokens, e.g. 512M or 4G (at least what --parallel requests need)")
    String cacheMemory;

    @Option(names = "--no-warmup", description = "skip the warm-up after loading (the decoding kernels on samples of the weights, then about 2 s of short passes) and the two requests the server then sends itself, which let the JIT compile the kernels and the request path before the first request")
    boolean noWarmup;

    @Option(names = "--max-body", defaultValue = "${env:BALEINE_MAX_BODY:-8388608}", description = "largest request body in bytes (default ${DEFAULT-VALUE})")
    long maxBody;

    /** "512M", "4G", "1048576" → bytes; null → 0. */
    static long bytes(String size) {
        if (size == null || size.isBlank()) {
            return 0;
        }
        var m = java.util.regex.Pattern.compile("(?i)(\\d+)\\s*([KMGT]?)i?B?").matcher(size.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--cache-memory '" + size + "' is not a size like 512M or 4G");
        }
        int shift = switch (m.group(2).toUpperCase(java.util.Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (modelOptions.contextSize == 0 && System.getenv("BALEINE_CTX_SIZE") != null) {
            modelOptions.contextSize = Integer.parseInt(System.getenv("BALEINE_CTX_SIZE"));
        }
        String key = apiKey;
        if (apiKeyFile != null) {
            if (key != null) {
                throw new IllegalArgumentException("give --api-key or --api-key-file, not both");
            }
            key = Files.readString(apiKeyFile).strip();
            if (key.isEmpty()) {
                throw new IllegalArgumentException(apiKeyFile + " is empty");
            }
        }
        Generator.checkDraft(modelOptions.draftTokens); // before the server listens, not once the model loads
        ServerConfig config = new ServerConfig(host, port, parallel, modelOptions.contextSize, queue, key,
                corsOrigins == null ? List.of() : corsOrigins, alias, maxBody, 15_000, cacheTokens, bytes(cacheMemory));
        BaleineServer server = new BaleineServer(config, () -> {
            Baleine model = modelOptions.load();
            if (!noWarmup) { // /health says "loading model" until done
                model.model().warmUp(2, 4);
            }
            return model;
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("baleine: shutting down (finishing running requests)...");
            server.close();
            stopped.countDown();
        }));
        System.err.println("baleine: listening on http://" + host + ":" + server.port() + " (loading the model...)");
        try {
            server.awaitLoaded();
        } catch (RuntimeException e) {
            server.close();
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (!noWarmup && !server.warmUpRequests()) {
            System.err.println("baleine: warning: the warm-up requests the server sent itself were not answered; serving anyway");
        }
        System.err.println("baleine: serving '" + server.modelId() + "' at http://" + host + ":" + server.port() + "/v1 ("
                + parallel + " parallel, " + (key != null ? "API key required" : "no API key") + ")");
        stopped.await();
        return 0;
    }
}
