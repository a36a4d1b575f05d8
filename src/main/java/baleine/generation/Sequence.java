package baleine.generation;

import baleine.cache.ContextOverflowException;
import baleine.cache.KvCache;
import baleine.tokenizer.Tokenizer;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One generation as a state machine, so that a scheduler can advance many at once: {@link #nextInput}
 * says which tokens to evaluate next (a chunk of the prompt, or the last sampled token), {@link #accept}
 * takes the logits of the last of them and samples. Text goes out through the listener as it is decoded,
 * filtered by stop strings and split into reasoning and answer.
 */
public final class Sequence {
    /** Log-probability of a sampled token and of the most likely alternatives. */
    public record TokenLogprob(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    }

    /** How output is split into reasoning and answer: not at all, when the model opens a think block, or from the start. */
    public enum Reasoning { OFF, AUTO, OPEN }

    private final int[] prompt;
    private final KvCache cache;
    private final List<Integer> cachedTokens;
    private final SamplingParams params;
    private final GenerationListener listener;
    private final AtomicBoolean cancel;
    private final int[] endOfGeneration;
    private final int topLogprobs;
    private final int reused;
    private final Sampler sampler;
    private final TextPipeline text;
    private final List<Integer> generated = new ArrayList<>();
    private final Map<Integer, Integer> counts = new HashMap<>();
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private final StringBuilder content = new StringBuilder(), reasoning = new StringBuilder();
    private int promptPos;
    private List<TokenLogprob> promptLogprobs; // null unless scorePrompt()
    private int scoredRows;                    // positions of the last chunk scored so far
    private float[] lastLogits;                // the prompt's last position's, once scored
    private int lastChunk;
    private int pending = -1;
    private int[] forced;               // tokens to feed next instead of a sampled one (closing a think block)
    private boolean budgetSpent;
    private final Tokenizer tokenizer;
    private int reasoningTokens;
    private String finish;
    private final long started = System.nanoTime();
    private JsonConstraint json;
    private long promptDone;
    private static final int[] NO_DRAFT = {};
    private int[] draft = NO_DRAFT;     // guessed tokens after the sampled one in the last input
    private int draftedTokens, acceptedDrafts;

    /**
     * @param cachedTokens  the tokens {@code cache} holds; their common prefix with {@code prompt} is kept
     * @param topLogprobs   -1: no log-probabilities; else how many alternatives to report per token
     */
    public Sequence(Tokenizer tokenizer, int[] endOfGeneration, int[] prompt, KvCache cache, List<Integer> cachedTokens,
                    SamplingParams params, Reasoning mode, int topLogprobs, GenerationListener listener, AtomicBoolean cancel) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.length >= cache.contextLength()) {
            throw new ContextOverflowException(0, prompt.length, cache.contextLength());
        }
        this.prompt = prompt;
        this.tokenizer = tokenizer;
        this.cache = cache;
        this.cachedTokens = cachedTokens;
        this.params = params;
        this.listener = listener;
        this.cancel = cancel;
        this.endOfGeneration = endOfGeneration.clone();
        this.topLogprobs = topLogprobs;
        int reuse = commonPrefix(cachedTokens, prompt);
        if (reuse == prompt.length) {
            reuse--; // the last prompt token is evaluated again for its logits
        }
        cache.truncate(Math.min(reuse, cache.length()));
        reuse = cache.length(); // a paged cache may keep less (whole blocks only)
        cachedTokens.subList(reuse, cachedTokens.size()).clear();
        this.reused = reuse;
        this.promptPos = reuse;
        this.sampler = new Sampler(params);
        this.text = new TextPipeline(tokenizer, params.stop(), mode);
    }

    /**
     * Reports the log-probability of every prompt token after the first (the first an entry with none: NaN), through
     * {@link GenerationListener#onPromptLogprobs} once the prompt is evaluated, as the answer's tokens' are reported:
     * the prompt's chunks then go through {@link #scoreRows} and {@link #acceptScored}. The whole prompt must still be
     * evaluated (no cached prefix: its logits are not kept).
     */
    public void scorePrompt() {
        if (promptPos != 0 || topLogprobs < 0) {
            throw new IllegalStateException("scoring a prompt needs it evaluated whole, with log-probabilities asked for");
        }
        promptLogprobs = new ArrayList<>();
        promptLogprobs.add(new TokenLogprob(prompt[0], Float.NaN, new int[0], new float[0]));
    }

    /**
     * Takes the logits of the next {@code count} positions of the last prompt chunk ({@link #scorePrompt}), in order,
     * as the model hands them over: each gives the next prompt token's log-probability; the prompt's last one is kept
     * for {@link #acceptScored}.
     */
    public void scoreRows(float[][] logits, int count) {
        if (promptLogprobs == null || promptPos >= prompt.length) {
            throw new IllegalStateException("not scoring a prompt");
        }
        for (int i = 0; i < count; i++, scoredRows++) {
            int at = promptPos + scoredRows;
            if (at + 1 < prompt.length) {
                promptLogprobs.add(logprob(logits[i], prompt[at + 1], topLogprobs));
            } else {
                lastLogits = logits[i].clone();
            }
        }
    }

    /**
     * The last prompt chunk is scored ({@link #scoreRows}, every position): it is taken as {@link #accept(float[])}
     * takes one; at the prompt's end the listener hears of its log-probabilities, then the answer's first token is
     * sampled from the last position's logits.
     */
    public void acceptScored() {
        if (scoredRows != lastChunk) {
            throw new IllegalStateException(scoredRows + " of the chunk's " + lastChunk + " positions were scored");
        }
        scoredRows = 0;
        if (promptPos + lastChunk == prompt.length) {
            listener.onPromptLogprobs(promptLogprobs);
        }
        float[] last = lastLogits;
        lastLogits = null;
        accept(last); // read only at the prompt's end
    }

    /** Holds the answer (after any reasoning) to the constraint's texts (JSON, a schema's instances, a forced call), ending when one is complete. */
    public void constrainToJson(JsonConstraint constraint) {
        this.json = constraint;
    }

    public boolean finished() {
        return finish != null;
    }

    /** Prompt tokens still to evaluate (0 once generating). */
    public int promptRemaining() {
        return prompt.length - promptPos;
    }

    /** The tokens to evaluate next: up to {@code maxChunk} prompt tokens, forced tokens, or the last sampled token. */
    public int[] nextInput(int maxChunk) {
        if (promptPos < prompt.length) {
            lastChunk = Math.min(Math.max(1, maxChunk), prompt.length - promptPos);
            return Arrays.copyOfRange(prompt, promptPos, promptPos + lastChunk);
        }
        return forced != null ? forced.clone() : new int[]{pending};
    }

    /**
     * As {@link #nextInput(int)}; when the next input is the sampled token, up to {@code maxDraft} tokens guessed
     * by {@link PromptLookup} follow it ({@link #drafted()} says how many), to be checked all in one pass by
     * {@link #accept(float[][])}.
     */
    public int[] nextInput(int maxChunk, int maxDraft) {
        int[] input = nextInput(maxChunk);
        draft = NO_DRAFT;
        if (maxDraft > 0 && promptPos == prompt.length && forced == null) {
            // no guess past what max_tokens or the context lets the pass's last logits sample
            int room = Math.min(params.maxTokens() - generated.size(), cache.contextLength() - cachedTokens.size() - 1) - 1;
            draft = PromptLookup.draft(contextWithPending(), Math.min(maxDraft, room));
            input = new int[1 + draft.length];
            input[0] = pending;
            System.arraycopy(draft, 0, input, 1, draft.length);
        }
        return input;
    }

    /** Guessed tokens at the end of the last input. */
    public int drafted() {
        return draft.length;
    }

    private List<Integer> contextWithPending() {
        return new AbstractList<>() {
            @Override
            public Integer get(int i) {
                return i < cachedTokens.size() ? cachedTokens.get(i) : pending;
            }

            @Override
            public int size() {
                return cachedTokens.size() + 1;
            }
        };
    }

    public KvCache cache() {
        return cache;
    }

    /** Takes the logits of the last token given by {@link #nextInput}; samples when the prompt is done. */
    public void accept(float[] logits) {
        if (promptPos < prompt.length) {
            for (int i = 0; i < lastChunk; i++) {
                cachedTokens.add(prompt[promptPos + i]);
            }
            promptPos += lastChunk;
            if (promptPos < prompt.length) {
                return;
            }
            promptDone = System.nanoTime();
            if (params.maxTokens() == 0) { // the prompt only (scored, or cached for what follows)
                end("length");
                return;
            }
        } else if (forced != null) {
            for (int id : forced) {
                cachedTokens.add(id);
            }
            forced = null;
        } else {
            cachedTokens.add(pending);
        }
        sample(logits);
    }

    /**
     * Takes the logits of every token of the last input, guessed ones included. A guess stands where the token
     * sampled before it equals it, and the token after it is then sampled from its logits; the first guess that
     * differs ends the step and leaves the cache as if the guesses had never been made. Sampling runs exactly as
     * one token at a time would (the same logits, the same draws), so the answer does not depend on the guesses.
     */
    public void accept(float[][] logits) {
        accept(logits[0]);
        int i = 0;
        while (i < draft.length && finish == null && forced == null && pending == draft[i]) {
            cachedTokens.add(draft[i]);
            sample(logits[++i]);
        }
        draftedTokens += draft.length;
        acceptedDrafts += i;
        draft = NO_DRAFT;
        cache.truncate(cachedTokens.size());
        if (cache.length() != cachedTokens.size()) { // a paged cache cut inside a shared block: cannot happen, blocks are shared once accepted
            throw new IllegalStateException("the cache holds " + cache.length() + " tokens after drafting, the sequence " + cachedTokens.size());
        }
    }

    /** The reasoning budget is spent: the think block is closed for the model, which then answers. */
    private void closeThinking() {
        budgetSpent = true;
        boolean onNewLine = reasoning.isEmpty() || reasoning.charAt(reasoning.length() - 1) == '\n';
        forced = tokenizer.encode((onNewLine ? "" : "\n") + ReasoningParser.CLOSE + "\n\n", false);
        for (int id : forced) {
            generated.add(id);
            emit(text.push(id));
        }
        if (text.stopped()) {
            end("stop");
        } else if (generated.size() >= params.maxTokens() || cachedTokens.size() + forced.length >= cache.contextLength()) {
            end("length");
        }
    }

    private void sample(float[] logits) {
        if (cancel.get()) {
            end("cancelled");
            return;
        }
        if (!budgetSpent && params.reasoningBudget() >= 0 && text.thinking() && reasoningTokens >= params.reasoningBudget()) {
            closeThinking();
            return;
        }
        boolean constrained = json != null && !text.thinking();
        if (constrained) {
            logits = logits.clone();
            json.mask(logits);
        }
        int next = sampler.sample(logits, cachedTokens, counts);
        listener.onToken(next);
        if (contains(endOfGeneration, next)) {
            end("stop");
            return;
        }
        if (constrained) {
            json.advance(next);
        }
        if (topLogprobs >= 0) {
            TokenLogprob lp = logprob(logits, next, topLogprobs);
            logprobs.add(lp);
            listener.onLogprob(lp);
        }
        generated.add(next);
        counts.merge(next, 1, Integer::sum);
        if (text.thinking()) {
            reasoningTokens++;
        }
        emit(text.push(next));
        if (text.stopped() || (constrained && json.complete())) {
            end("stop");
        } else if (generated.size() >= params.maxTokens() || cachedTokens.size() + 1 >= cache.contextLength()) {
            end("length");
        } else {
            pending = next;
        }
    }

    /** Ends the generation now (e.g. the client went away). */
    public void abort() {
        if (finish == null) {
            end("cancelled");
        }
    }

    private void end(String reason) {
        finish = reason;
        if (promptDone == 0) {
            promptDone = System.nanoTime();
        }
        emit(text.flush());
    }

    private void emit(ReasoningParser.Delta d) {
        if (!d.reasoning().isEmpty()) {
            reasoning.append(d.reasoning());
            listener.onReasoning(d.reasoning());
        }
        if (!d.content().isEmpty()) {
            content.append(d.content());
            listener.onContent(d.content());
        }
    }

    public List<TokenLogprob> logprobs() {
        return logprobs;
    }

    public int reasoningTokens() {
        return reasoningTokens;
    }

    public GenerationResult result() {
        long now = System.nanoTime();
        return new GenerationResult(content.toString(), reasoning.toString(), List.copyOf(generated), finish, prompt.length,
                reused, promptDone - started, now - promptDone, draftedTokens, acceptedDrafts);
    }

    static TokenLogprob logprob(float[] logits, int token, int top) {
        double lse = logSumExp(logits);
        int[] best = new int[top];
        float[] bestLp = new float[top];
        Arrays.fill(best, -1);
        for (int i = 0; i < logits.length; i++) {
            for (int k = 0; k < top; k++) {
                if (best[k] < 0 || logits[i] > logits[best[k]]) {
                    System.arraycopy(best, k, best, k + 1, top - k - 1);
                    best[k] = i;
                    break;
                }
            }
        }
        for (int k = 0; k < top; k++) {
            bestLp[k] = (float) (logits[best[k]] - lse);
        }
        return new TokenLogprob(token, (float) (logits[token] - lse), best, bestLp);
    }

    /** log p(token) under these logits: {@link #logprob}'s value without its top alternatives (one pass fewer over the vocabulary). */
    static float logprobOf(float[] logits, int token) {
        return (float) (logits[token] - logSumExp(logits));
    }

    /** log(sum of e^logit), taken from the largest logit so that nothing overflows. */
    static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum);
    }

    /** Length of the common prefix of cached tokens and a prompt. */
    public static int commonPrefix(List<Integer> a, int[] b) {
        int n = Math.min(a.size(), b.length), i = 0;
        while (i < n && a.get(i) == b[i]) {
            i++;
        }
        return i;
    }

    private static boolean contains(int[] ids, int id) {
        for (int e : ids) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    /** Tokens to text: UTF-8-safe decoding, then stop strings, then the reasoning split. */
    private static final class TextPipeline {
        private final baleine.tokenizer.StreamingDecoder decoder;
        private final StopMatcher stops;
        private final ReasoningParser reasoning; // null: no reasoning split

        TextPipeline(Tokenizer tokenizer, List<String> stop, Reasoning mode) {
            this.decoder = tokenizer.streamingDecoder();
            this.stops = new StopMatcher(stop);
            this.reasoning = mode == Reasoning.OFF ? null : new ReasoningParser(mode == Reasoning.OPEN);
        }

        boolean thinking() {
            return reasoning != null && reasoning.thinking();
        }

        private ReasoningParser.Delta split(String text) {
            return reasoning == null ? new ReasoningParser.Delta("", text) : reasoning.accept(text);
        }

        boolean stopped() {
            return stops.stopped();
        }

        ReasoningParser.Delta push(int token) {
            return split(stops.accept(decoder.push(token)));
        }

        ReasoningParser.Delta flush() {
            ReasoningParser.Delta last = stops.stopped() ? new ReasoningParser.Delta("", "")
                    : split(stops.accept(decoder.flush()) + stops.flush());
            ReasoningParser.Delta rest = reasoning == null ? new ReasoningParser.Delta("", "") : reasoning.flush();
            return new ReasoningParser.Delta(last.reasoning() + rest.reasoning(), last.content() + rest.content());
        }
    }
}
