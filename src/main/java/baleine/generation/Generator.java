package baleine.generation;

import baleine.cache.KvCache;
import baleine.model.DecoderModel;
import baleine.tokenizer.Tokenizer;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs one {@link Sequence} to its end: the prompt in chunks, then one token at a time. */
public final class Generator {
    /** Prompt tokens evaluated per forward pass (bounds activation memory for long prompts). */
    public static final int PROMPT_CHUNK = 512;

    private final DecoderModel model;
    private final Tokenizer tokenizer;
    private final int[] endOfGeneration;

    public Generator(DecoderModel model, Tokenizer tokenizer, int[] endOfGeneration) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.endOfGeneration = endOfGeneration.clone();
    }

    /**
     * @param cache         holds {@code cachedTokens}; the common prefix with {@code prompt} is reused
     * @param cachedTokens  the tokens in {@code cache} (updated to include prompt and generated tokens)
     * @param reasoning     how to split reasoning from the answer
     * @param cancel        set from another thread to stop after the current token
     */
    public GenerationResult generate(int[] prompt, KvCache cache, List<Integer> cachedTokens, SamplingParams params,
                                     Sequence.Reasoning reasoning, GenerationListener listener, AtomicBoolean cancel) {
        params.validate(model.vocabSize());
        Sequence s = new Sequence(tokenizer, endOfGeneration, prompt, cache, cachedTokens, params, reasoning, -1, listener, cancel);
        while (!s.finished()) {
            s.accept(model.forward(s.nextInput(PROMPT_CHUNK), cache, false)[0]);
        }
        return s.result();
    }
}
