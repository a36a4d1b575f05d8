package baleine.generation;

import java.util.List;
import java.util.Map;

/**
 * How the next token is chosen and when generation stops. {@code temperature == 0} is greedy.
 * Penalties: {@code repetitionPenalty} (CTRL/llama.cpp style, over the last {@code repeatLastN} tokens of the
 * context, -1: all of them, as Hugging Face and vLLM apply it; llama.cpp and Ollama default to 64),
 * {@code presencePenalty} and {@code frequencyPenalty} (OpenAI style, over generated tokens).
 *
 * @param seed      null: a fresh random seed; same seed, same output
 * @param maxTokens tokens to generate at most
 * @param stop      strings that end the answer (matched across token boundaries, not emitted)
 * @param reasoningBudget reasoning tokens allowed before the think block is closed for the model (-1: no limit)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty, int repeatLastN,
                             float presencePenalty, float frequencyPenalty, Map<Integer, Float> logitBias, Long seed,
                             int maxTokens, List<String> stop, int reasoningBudget) {

    public SamplingParams {
        logitBias = Map.copyOf(logitBias);
        stop = List.copyOf(stop);
    }

    /** llama.cpp's defaults, for models that publish none. */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.0f, -1, 0f, 0f, Map.of(), null, 512, List.of(), -1);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0f, 0, 1f, 0f, 1f, -1, 0f, 0f, Map.of(), 0L, maxTokens, List.of(), -1);
    }

    /** Rejects values no sampler can honour, naming the parameter and its range. */
    public SamplingParams validate(int vocabSize) {
        require(temperature >= 0 && Float.isFinite(temperature), "temperature must be >= 0, got " + temperature);
        require(topK >= 0, "top_k must be >= 0 (0 disables it), got " + topK);
        require(topP > 0 && topP <= 1, "top_p must be in (0, 1], got " + topP);
        require(minP >= 0 && minP <= 1, "min_p must be in [0, 1], got " + minP);
        require(repetitionPenalty > 0 && Float.isFinite(repetitionPenalty), "repetition penalty must be > 0, got " + repetitionPenalty);
        require(repeatLastN >= -1, "repeat_last_n must be -1 (the whole context), 0 (off) or more, got " + repeatLastN);
        require(presencePenalty >= -2 && presencePenalty <= 2, "presence penalty must be in [-2, 2], got " + presencePenalty);
        require(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency penalty must be in [-2, 2], got " + frequencyPenalty);
        require(maxTokens >= 0, "max tokens must be at least 0, got " + maxTokens);
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            require(e.getKey() >= 0 && e.getKey() < vocabSize, "logit bias names token " + e.getKey() + ", outside the vocabulary of " + vocabSize);
            require(e.getValue() >= -100 && e.getValue() <= 100, "logit bias must be in [-100, 100], got " + e.getValue());
        }
        for (String s : stop) {
            require(!s.isEmpty(), "stop strings must not be empty");
        }
        require(reasoningBudget >= -1, "reasoning budget must be -1 (no limit) or >= 0, got " + reasoningBudget);
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public SamplingParams withTemperature(float v) {
        return new SamplingParams(v, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withTopP(float v) {
        return new SamplingParams(temperature, topK, v, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withTopK(int v) {
        return new SamplingParams(temperature, v, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withMinP(float v) {
        return new SamplingParams(temperature, topK, topP, v, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withRepetitionPenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, v, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withRepeatLastN(int v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, v, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withPresencePenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, v, frequencyPenalty, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withFrequencyPenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, v, logitBias, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withLogitBias(Map<Integer, Float> v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, v, seed, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withSeed(Long v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, v, maxTokens, stop, reasoningBudget);
    }

    public SamplingParams withMaxTokens(int v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, v, stop, reasoningBudget);
    }

    public SamplingParams withReasoningBudget(int v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, stop, v);
    }

    public SamplingParams withStop(List<String> v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, maxTokens, v, reasoningBudget);
    }
}
