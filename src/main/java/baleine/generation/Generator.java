package baleine.generation;

import baleine.cache.KvCache;
import baleine.model.DecoderModel;
import baleine.tokenizer.StreamingDecoder;
import baleine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The decode loop: evaluates the prompt (reusing whatever prefix the cache already holds), then samples
 * one token at a time, streaming text through stop-string matching and the reasoning splitter.
 */
public final class Generator {
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
     * @param startsInThink the prompt ends inside an open {@code <think>} block
     * @param cancel        set from another thread to stop after the current token
     */
    public GenerationResult generate(int[] prompt, KvCache cache, List<Integer> cachedTokens, SamplingParams params,
                                     boolean startsInThink, GenerationListener listener, AtomicBoolean cancel) {
        params.validate(model.vocabSize());
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        int reuse = commonPrefix(cachedTokens, prompt);
        if (reuse == prompt.length) {
            reuse--; // re-evaluate the last prompt token to get its logits
        }
        cache.truncate(Math.min(reuse, cache.length()));
        cachedTokens.subList(reuse, cachedTokens.size()).clear();
        if (prompt.length > cache.contextLength()) {
            throw new baleine.cache.ContextOverflowException(0, prompt.length, cache.contextLength());
        }
        long t0 = System.nanoTime();
        float[] logits = model.forward(Arrays.copyOfRange(prompt, reuse, prompt.length), cache, false)[0];
        for (int i = reuse; i < prompt.length; i++) {
            cachedTokens.add(prompt[i]);
        }
        long t1 = System.nanoTime();

        Sampler sampler = new Sampler(params);
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StopMatcher stops = new StopMatcher(params.stop());
        ReasoningParser reasoning = new ReasoningParser(startsInThink);
        StringBuilder content = new StringBuilder(), thought = new StringBuilder();
        List<Integer> generated = new ArrayList<>();
        Map<Integer, Integer> counts = new HashMap<>();
        String finish = "length";
        while (generated.size() < params.maxTokens()) {
            if (cancel.get()) {
                finish = "cancelled";
                break;
            }
            int next = sampler.sample(logits, cachedTokens, counts);
            listener.onToken(next);
            if (isEndOfGeneration(next)) {
                finish = "stop";
                break;
            }
            generated.add(next);
            counts.merge(next, 1, Integer::sum);
            emit(reasoning.accept(stops.accept(decoder.push(next))), listener, content, thought);
            if (stops.stopped()) {
                finish = "stop";
                break;
            }
            if (cache.length() + 1 > cache.contextLength()) {
                break; // context full: "length"
            }
            logits = model.forward(new int[]{next}, cache, false)[0];
            cachedTokens.add(next);
        }
        if (!stops.stopped()) {
            emit(reasoning.accept(stops.accept(decoder.flush()) + stops.flush()), listener, content, thought);
        }
        emit(reasoning.flush(), listener, content, thought);
        return new GenerationResult(content.toString(), thought.toString(), generated, finish, prompt.length, reuse,
                t1 - t0, System.nanoTime() - t1);
    }

    private static void emit(ReasoningParser.Delta d, GenerationListener l, StringBuilder content, StringBuilder thought) {
        if (!d.reasoning().isEmpty()) {
            thought.append(d.reasoning());
            l.onReasoning(d.reasoning());
        }
        if (!d.content().isEmpty()) {
            content.append(d.content());
            l.onContent(d.content());
        }
    }

    private boolean isEndOfGeneration(int id) {
        for (int e : endOfGeneration) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    static int commonPrefix(List<Integer> a, int[] b) {
        int n = Math.min(a.size(), b.length), i = 0;
        while (i < n && a.get(i) == b[i]) {
            i++;
        }
        return i;
    }
}
