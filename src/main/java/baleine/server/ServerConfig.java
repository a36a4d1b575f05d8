package baleine.server;

import java.util.List;

/**
 * @param contextPerSlot context tokens per concurrent request (0: the model's, at most 32768; more than the model's fails the load)
 * @param apiKey         null: no authentication
 * @param corsOrigins    origins allowed to call from a browser ("*" for any)
 * @param alias          the model id clients use (null: the model's name)
 * @param keepAliveMillis how often a waiting stream gets a {@code : keep-alive} comment
 * @param cacheTokens    tokens the shared KV cache may hold (0: from {@code cacheBytes}, else twice {@code parallel x contextPerSlot})
 * @param cacheBytes     memory the shared KV cache may use (0: see {@code cacheTokens})
 */
public record ServerConfig(String host, int port, int parallel, int contextPerSlot, int maxQueue, String apiKey,
                           List<String> corsOrigins, String alias, long maxBodyBytes, long keepAliveMillis, long cacheTokens,
                           long cacheBytes) {
    public ServerConfig {
        corsOrigins = List.copyOf(corsOrigins);
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1");
        }
        if (maxQueue < 1) {
            throw new IllegalArgumentException("--queue must be at least 1");
        }
        if (cacheTokens > 0 && cacheBytes > 0) {
            throw new IllegalArgumentException("give --cache-tokens or --cache-memory, not both");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 0 and 65535");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, 4, 0, 64, null, List.of(), null, 8 << 20, 15_000, 0, 0);
    }
}
