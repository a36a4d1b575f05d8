package baleine.generation;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param finishReason {@code stop} (end-of-generation token or stop string), {@code length} (max tokens or
 *                     context full) or {@code cancelled}
 * @param draftedTokens  tokens guessed by prompt lookup and checked (0 without drafting)
 * @param acceptedDrafts those of them that the model's own choice confirmed
 */
public record GenerationResult(String content, String reasoning, List<Integer> tokens, String finishReason,
                               int promptTokens, int cachedPromptTokens, long promptNanos, long generationNanos,
                               int draftedTokens, int acceptedDrafts) {
    /** This result with the answer's text replaced (e.g. by the text outside its tool calls). */
    public GenerationResult withContent(String text) {
        return new GenerationResult(text, reasoning, tokens, finishReason, promptTokens, cachedPromptTokens, promptNanos, generationNanos,
                draftedTokens, acceptedDrafts);
    }

    public double promptTokensPerSecond() {
        int evaluated = promptTokens - cachedPromptTokens;
        return promptNanos == 0 ? 0 : evaluated / (promptNanos / 1e9);
    }

    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : tokens.size() / (generationNanos / 1e9);
    }

    /** One line: prompt and generation speed (and how many drafted tokens stood, when drafting). */
    public String timingSummary() {
        String drafts = draftedTokens == 0 ? "" : String.format(" (%d of %d drafted tokens accepted)", acceptedDrafts, draftedTokens);
        return String.format("prompt: %d tokens (%d cached), %.1f tok/s | generation: %d tokens, %.1f tok/s%s | %s",
                promptTokens, cachedPromptTokens, promptTokensPerSecond(), tokens.size(), generationTokensPerSecond(), drafts, finishReason);
    }
}
