package baleine.generation;

import baleine.RandomModels;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** Perplexity as llama-perplexity defines it, against the same sums taken from whole forward passes. */
class PerplexityTest {
    @AutoClose
    static DecoderModel model;

    @BeforeAll
    static void load() throws Exception {
        model = RandomModels.load("tiny-deepseek-v2-lite", GgmlType.Q8_0, 11);
    }

    @Test
    void theLastHalfOfEachChunkIsScoredAfterABosAsLlamaPerplexityScoresIt() {
        int ctx = 48, bos = 1;
        int[] tokens = RandomModels.tokens(model, 3 * ctx + 20, 5); // three whole chunks; the 20 left over are not read
        double nll = 0, nll2 = 0;
        int count = 0;
        for (int c = 0; c < 3; c++) {
            int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
            chunk[0] = bos;
            float[][] logits = model.forward(chunk, model.newCache(ctx), true);
            for (int j = ctx / 2; j < ctx - 1; j++) {
                double v = -Sequence.logprob(logits[j], chunk[j + 1], 0).logprob();
                nll += v;
                nll2 += v * v;
                count++;
            }
        }
        double[] seen = new double[3];
        Perplexity.Result r = Perplexity.of(model, tokens, OptionalInt.of(bos), ctx, 0, (done, chunks, ppl) -> {
            assertThat(chunks).isEqualTo(3);
            seen[done - 1] = ppl;
        });
        double mean = nll / count, ppl = Math.exp(mean);
        assertThat(r.chunks()).isEqualTo(3);
        assertThat(r.scored()).isEqualTo(count).isEqualTo(3 * (ctx - 1 - ctx / 2));
        assertThat(r.perplexity()).isCloseTo(ppl, offset(ppl * 1e-12));
        assertThat(seen[2]).isEqualTo(r.perplexity());
        assertThat(r.error()).isCloseTo(Math.sqrt((nll2 / count - mean * mean) / (count - 1)) * ppl, offset(ppl * 1e-9));
        assertThat(r.error()).isPositive();

        Perplexity.Result two = Perplexity.of(model, tokens, OptionalInt.of(bos), ctx, 2, (d, c, p) -> { });
        assertThat(two.chunks()).isEqualTo(2);
        assertThat(two.perplexity()).isEqualTo(seen[1]);
        Perplexity.Result noBos = Perplexity.of(model, tokens, OptionalInt.empty(), ctx, 1, (d, c, p) -> { });
        assertThat(noBos.perplexity()).as("the chunk's own first token").isNotEqualTo(seen[0]);
    }

    @Test
    void chunksWhoseFirstHalfIsWholePassesGiveTheSameSums() {
        int ctx = 2 * model.passSize(); // the first half evaluated apart, its logits not computed
        int[] tokens = RandomModels.tokens(model, 2 * ctx, 7);
        double nll = 0;
        for (int c = 0; c < 2; c++) {
            float[][] logits = model.forward(Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx), model.newCache(ctx), true);
            for (int j = ctx / 2; j < ctx - 1; j++) {
                nll -= Sequence.logprob(logits[j], tokens[c * ctx + j + 1], 0).logprob();
            }
        }
        Perplexity.Result r = Perplexity.of(model, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { });
        assertThat(r.perplexity()).isEqualTo(Math.exp(nll / r.scored()));
    }

    @Test
    void tokenScoresAreEachTokensLogProbabilityAfterTheOnesBefore() {
        int[] tokens = RandomModels.tokens(model, 70, 8); // more than the 32 positions the model hands over at a time
        float[][] logits = model.forward(tokens, model.newCache(tokens.length), true);
        float[] scores = TokenScores.of(model, tokens);
        assertThat(scores[0]).isNaN();
        for (int i = 1; i < tokens.length; i++) {
            assertThat(scores[i]).as("token " + i).isEqualTo(Sequence.logprob(logits[i - 1], tokens[i], 0).logprob());
        }
        assertThatThrownBy(() -> TokenScores.of(model, new int[0])).hasMessage("no tokens to score");
        assertThatThrownBy(() -> TokenScores.of(model, new int[model.contextLength() + 1])).isInstanceOf(baleine.cache.ContextOverflowException.class);
    }

    @Test
    void divergenceFromAReferenceIsTheMeanKlOverTheScoredPositions() throws Exception {
        int ctx = 40;
        int[] tokens = RandomModels.tokens(model, 2 * ctx + 3, 9);
        try (DecoderModel reference = RandomModels.load("tiny-deepseek-v2-lite", GgmlType.Q8_0, 12)) { // another model, same vocabulary
            double kl = 0, max = 0;
            int same = 0, count = 0;
            for (int c = 0; c < 2; c++) {
                int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
                float[][] ours = model.forward(chunk, model.newCache(ctx), true), theirs = reference.forward(chunk, reference.newCache(ctx), true);
                for (int j = ctx / 2; j < ctx - 1; j++) {
                    double lseOurs = Sequence.logSumExp(ours[j]), lseTheirs = Sequence.logSumExp(theirs[j]), d = 0;
                    int best = 0, theirBest = 0;
                    for (int v = 0; v < ours[j].length; v++) {
                        double p = theirs[j][v] - lseTheirs;
                        d += Math.exp(p) * (p - (ours[j][v] - lseOurs));
                        best = ours[j][v] > ours[j][best] ? v : best;
                        theirBest = theirs[j][v] > theirs[j][theirBest] ? v : theirBest;
                    }
                    kl += d;
                    max = Math.max(max, d);
                    same += best == theirBest ? 1 : 0;
                    count++;
                }
            }
            Divergence.Result r = Divergence.of(model, reference, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { });
            assertThat(r.kld()).isPositive().isCloseTo(kl / count, offset(1e-5 * kl / count));
            assertThat(r.maxKld()).isCloseTo(max, offset(1e-5 * max));
            assertThat(r.sameTop()).isEqualTo((double) same / count);
            assertThat(r.model().perplexity()).as("as Perplexity gives it")
                    .isEqualTo(Perplexity.of(model, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { }).perplexity());
            assertThat(r.reference().perplexity())
                    .isEqualTo(Perplexity.of(reference, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { }).perplexity());

            Divergence.Result self = Divergence.of(model, model, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { });
            assertThat(self.kld()).isCloseTo(0, offset(1e-6));
            assertThat(self.sameTop()).isEqualTo(1);
        }
        try (DecoderModel other = RandomModels.load("tiny-qwen2", GgmlType.Q8_0, 12)) {
            assertThatThrownBy(() -> Divergence.of(model, other, tokens, OptionalInt.empty(), ctx, 0, (d, c, p) -> { }))
                    .hasMessageContaining("the two models' vocabularies differ");
        }
    }

    @Test
    void aTextTooShortOrAChunkTooLongIsRefusedWithWhatToDo() {
        int[] tokens = RandomModels.tokens(model, 100, 6);
        assertThatThrownBy(() -> Perplexity.of(model, tokens, OptionalInt.empty(), 64, 0, (d, c, p) -> { }))
                .hasMessage("the text has 100 tokens; perplexity over chunks of 64 needs at least 128: give a longer text or a smaller -c");
        assertThatThrownBy(() -> Perplexity.of(model, tokens, OptionalInt.empty(), model.contextLength() + 1, 0, (d, c, p) -> { }))
                .hasMessageContaining("the chunk size (-c) must be from 4 to the model's context of " + model.contextLength());
    }
}
