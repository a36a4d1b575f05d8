package baleine.generation;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param finishReason {@code stop} (end-of-generation token or stop string), {@code length} (max tokens or
 *                     context full) or {@code cancelled}
 */
public record GenerationResult(String content, String reasoning, List<Integer> tokens, String finishReason,
                               int promptTokens, int cachedPromptTokens, long promptNanos, long generationNanos) {
    public double promptTokensPerSecond() {
        int evaluated = promptTokens - cachedPromptTokens;
        return promptNanos == 0 ? 0 : evaluated / (promptNanos / 1e9);
    }

    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : tokens.size() / (generationNanos / 1e9);
    }

    /** One line: prompt and generation speed. */
    public String timingSummary() {
        return String.format("prompt: %d tokens (%d cached), %.1f tok/s | generation: %d tokens, %.1f tok/s | %s",
                promptTokens, cachedPromptTokens, promptTokensPerSecond(), tokens.size(), generationTokensPerSecond(), finishReason);
    }
}
