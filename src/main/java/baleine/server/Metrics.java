package baleine.server;

import java.util.concurrent.atomic.AtomicLong;

/** Counters exported at {@code /metrics} in Prometheus' text format. */
final class Metrics {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong cachedPromptTokens = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
    final AtomicLong generationNanos = new AtomicLong();
    final AtomicLong promptNanos = new AtomicLong();

    String render(int running, int queued, long kvTokens, long kvCapacity) {
        StringBuilder sb = new StringBuilder();
        gauge(sb, "baleine_requests_running", "Requests generating now.", running);
        gauge(sb, "baleine_requests_queued", "Requests waiting for a slot.", queued);
        counter(sb, "baleine_requests_total", "Requests accepted.", requests.get());
        counter(sb, "baleine_requests_rejected_total", "Requests refused because the queue was full.", rejected.get());
        counter(sb, "baleine_prompt_tokens_total", "Prompt tokens received.", promptTokens.get());
        counter(sb, "baleine_prompt_cache_hit_tokens_total", "Prompt tokens served from the prefix cache.", cachedPromptTokens.get());
        counter(sb, "baleine_generated_tokens_total", "Tokens generated.", generatedTokens.get());
        gauge(sb, "baleine_prompt_tokens_per_second", "Prompt evaluation speed over all requests.",
                rate(promptTokens.get() - cachedPromptTokens.get(), promptNanos.get()));
        gauge(sb, "baleine_generation_tokens_per_second", "Generation speed over all requests.", rate(generatedTokens.get(), generationNanos.get()));
        gauge(sb, "baleine_kv_cache_tokens", "Tokens held in the KV cache of all slots.", kvTokens);
        gauge(sb, "baleine_kv_cache_usage_ratio", "Share of the KV cache in use.", kvCapacity == 0 ? 0 : (double) kvTokens / kvCapacity);
        return sb.toString();
    }

    private static double rate(long tokens, long nanos) {
        return nanos == 0 ? 0 : tokens / (nanos / 1e9);
    }

    private static void gauge(StringBuilder sb, String name, String help, double v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(v).append('\n');
    }
}
