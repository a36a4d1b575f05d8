package baleine.generation;

import baleine.cache.KvCache;
import baleine.model.DecoderModel;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * A text's perplexity computed as llama.cpp's {@code llama-perplexity} computes it, so that the two can be compared
 * file for file: the tokens cut into chunks of {@code ctx}, each chunk's first token replaced by BOS where the model
 * starts its prompts with one, each chunk evaluated on an empty cache, and the negative log-likelihood of every token
 * with at least ctx / 2 tokens of its chunk before it averaged over all chunks. Perplexity is e to that mean; its
 * uncertainty is the standard error of the mean, scaled as the perplexity is.
 */
public final class Perplexity {
    /**
     * @param error  the standard error of the perplexity (llama.cpp's "+/-")
     * @param scored tokens whose log-likelihood was averaged
     */
    public record Result(double perplexity, double error, int chunks, long scored) {
    }

    /** Told of each chunk once evaluated: its number (from 1), the number of chunks, the perplexity so far. */
    @FunctionalInterface
    public interface Progress {
        void chunk(int done, int chunks, double perplexity);
    }

    private Perplexity() {
    }

    /**
     * @param bos       the BOS token that starts each chunk, or empty where the model's prompts have none
     * @param maxChunks at most this many chunks; 0 or less: every whole chunk of the text
     */
    public static Result of(DecoderModel model, int[] tokens, OptionalInt bos, int ctx, int maxChunks, Progress progress) {
        int chunks = chunks(model, tokens.length, ctx, maxChunks), first = ctx / 2;
        Mean nll = new Mean();
        KvCache cache = model.newCache(ctx);
        for (int c = 0; c < chunks; c++) {
            int[] chunk = chunk(tokens, c, ctx, bos);
            cache.truncate(0);
            // the first half's logits are not scored: evaluated apart where that cuts no pass in two, the head skips them
            int from = first % model.passSize() == 0 ? first : 0;
            if (from > 0) {
                model.forward(Arrays.copyOf(chunk, from), cache, false);
            }
            int[] position = {from};
            model.forwardScored(List.of(new DecoderModel.Step(Arrays.copyOfRange(chunk, from, ctx), cache)), (rows, n) -> {
                for (int i = 0; i < n; i++, position[0]++) {
                    int j = position[0];
                    if (j >= first && j < ctx - 1) { // the logits at j predict token j + 1
                        nll.add(-Sequence.logprobOf(rows[i], chunk[j + 1]));
                    }
                }
            });
            progress.chunk(c + 1, chunks, Math.exp(nll.mean()));
        }
        return nll.perplexity(chunks);
    }

    /** The chunks a text of {@code length} tokens gives (at most {@code maxChunks} if positive), after checking it can. */
    static int chunks(DecoderModel model, int length, int ctx, int maxChunks) {
        if (ctx < 4 || ctx > model.contextLength()) {
            throw new IllegalArgumentException("the chunk size (-c) must be from 4 to the model's context of " + model.contextLength()
                    + ", got " + ctx);
        }
        if (length < 2 * ctx) {
            throw new IllegalArgumentException("the text has " + length + " tokens; perplexity over chunks of " + ctx
                    + " needs at least " + 2 * ctx + ": give a longer text or a smaller -c");
        }
        return maxChunks > 0 ? Math.min(maxChunks, length / ctx) : length / ctx;
    }

    /** Chunk c of the text, its first token replaced by BOS where there is one. */
    static int[] chunk(int[] tokens, int c, int ctx, OptionalInt bos) {
        int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
        bos.ifPresent(b -> chunk[0] = b);
        return chunk;
    }

    /** A running mean of values (negative log-likelihoods, divergences) and of their squares, for its standard error. */
    static final class Mean {
        private double sum, squares;
        private long count;

        void add(double v) {
            sum += v;
            squares += v * v;
            count++;
        }

        double mean() {
            return sum / count;
        }

        /** The standard error of the mean. */
        double error() {
            double variance = squares / count - mean() * mean();
            return variance > 0 ? Math.sqrt(variance / (count - 1)) : 0;
        }

        long count() {
            return count;
        }

        /** e to the mean, with its standard error scaled as it is: these values as negative log-likelihoods. */
        Result perplexity(int chunks) {
            double perplexity = Math.exp(mean());
            return new Result(perplexity, error() * perplexity, chunks, count);
        }
    }
}
