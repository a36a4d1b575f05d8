package baleine.generation;

import baleine.cache.KvCache;
import baleine.model.DecoderModel;
import baleine.tokenizer.Tokenizer;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one {@link Sequence} to its end: the prompt in chunks, then one token at a time — or, with drafting,
 * the sampled token and up to {@code draftTokens} guessed ones per pass ({@link PromptLookup}), which yields
 * the same answer in fewer passes where the guesses stand.
 */
public final class Generator {
    /** Prompt tokens evaluated per forward pass (bounds activation memory for long prompts). */
    public static final int PROMPT_CHUNK = 512;

    /** Most tokens drafted per pass. */
    public static final int MAX_DRAFT = 32;

    private final DecoderModel model;
    private final Tokenizer tokenizer;
    private final int[] endOfGeneration;
    private final int draftTokens;

    /** @param draftTokens tokens guessed per pass by prompt lookup, at most {@link #MAX_DRAFT}; 0: none */
    public Generator(DecoderModel model, Tokenizer tokenizer, int[] endOfGeneration, int draftTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.endOfGeneration = endOfGeneration.clone();
        this.draftTokens = checkDraft(draftTokens);
    }

    /** Refuses a number of draft tokens outside [0, {@link #MAX_DRAFT}], naming the bounds. */
    public static int checkDraft(int draftTokens) {
        if (draftTokens < 0 || draftTokens > MAX_DRAFT) {
            throw new IllegalArgumentException("draft tokens must be in [0, " + MAX_DRAFT + "], got " + draftTokens);
        }
        return draftTokens;
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
        // reused token after token: a row for the sampled token and each drafted one
        float[][] logits = new float[1 + draftTokens][model.vocabSize()];
        while (!s.finished()) {
            int[] input = s.nextInput(PROMPT_CHUNK, draftTokens);
            if (s.drafted() > 0) {
                model.forwardAllInto(List.of(new DecoderModel.Step(input, cache)), logits);
                s.accept(logits);
            } else {
                model.forwardInto(List.of(new DecoderModel.Step(input, cache)), logits);
                s.accept(logits[0]);
            }
        }
        return s.result();
    }
}
