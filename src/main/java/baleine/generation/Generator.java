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
     * @param constraint    what the answer (after any reasoning) must follow, e.g. a {@link SchemaMatcher}; null: free text
     * @param cancel        set from another thread to stop after the current token
     */
    public GenerationResult generate(int[] prompt, KvCache cache, List<Integer> cachedTokens, SamplingParams params,
                                     Sequence.Reasoning reasoning, JsonMatcher constraint, GenerationListener listener, AtomicBoolean cancel) {
        params.validate(model.vocabSize());
        Sequence s = new Sequence(tokenizer, endOfGeneration, prompt, cache, cachedTokens, params, reasoning, -1, listener, cancel);
        if (constraint != null) {
            s.constrainToJson(JsonConstraint.of(tokenizer, constraint));
        }
        float[][] logits = new float[1][model.vocabSize()]; // reused token after token
        while (!s.finished()) {
            model.forwardInto(List.of(new DecoderModel.Step(s.nextInput(PROMPT_CHUNK), cache)), logits);
            s.accept(logits[0]);
        }
        return s.result();
    }
}
