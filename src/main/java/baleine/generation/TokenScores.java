package baleine.generation;

import baleine.cache.ContextOverflowException;
import baleine.model.DecoderModel;

import java.util.List;

/**
 * The log-probability of each token of a text given the tokens before it, from one evaluation on a cache of its own:
 * what a completion's echo with logprobs reports for its prompt, and what likelihood ranking (which continuation is
 * likeliest) or an evaluation harness sums.
 */
public final class TokenScores {
    private TokenScores() {
    }

    /** Entry i is log p(tokens[i] | tokens[0 .. i)); entry 0 is NaN (nothing predicts the first token). */
    public static float[] of(DecoderModel model, int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to score");
        }
        if (tokens.length > model.contextLength()) {
            throw new ContextOverflowException(0, tokens.length, model.contextLength());
        }
        float[] scores = new float[tokens.length];
        scores[0] = Float.NaN;
        int[] position = {0};
        model.forwardScored(List.of(new DecoderModel.Step(tokens, model.newCache(tokens.length))), (rows, n) -> {
            for (int i = 0; i < n; i++, position[0]++) {
                int next = position[0] + 1;
                if (next < tokens.length) {
                    scores[next] = Sequence.logprobOf(rows[i], tokens[next]);
                }
            }
        });
        return scores;
    }
}
