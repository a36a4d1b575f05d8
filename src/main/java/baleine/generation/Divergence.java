package baleine.generation;

import baleine.cache.KvCache;
import baleine.model.DecoderModel;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * How far a model's next-token distributions are from a reference's (a quantization from the model it was made
 * from) over a text: llama-perplexity's KL-divergence statistics, computed with both models loaded in one run rather
 * than through a file of saved logits. Over the chunks and positions {@link Perplexity} scores, the mean
 * Kullback-Leibler divergence KL(reference || model) of the two distributions, how often both put the same token
 * first, and each model's perplexity.
 */
public final class Divergence {
    /** Positions evaluated at a time by each model in turn: their logits side by side, 32 rows of the reference's kept. */
    private static final int STEP = 32;

    /**
     * @param kld     the mean KL divergence per scored position, in nats
     * @param sameTop the share of positions where both models' likeliest token is the same
     */
    public record Result(Perplexity.Result model, Perplexity.Result reference, double kld, double kldError, double maxKld,
                         double sameTop, double sameTopError) {
    }

    private Divergence() {
    }

    public static Result of(DecoderModel model, DecoderModel reference, int[] tokens, OptionalInt bos, int ctx, int maxChunks,
                            Perplexity.Progress progress) {
        if (model.vocabSize() != reference.vocabSize()) {
            throw new IllegalArgumentException("the two models' vocabularies differ (" + model.vocabSize() + " and " + reference.vocabSize()
                    + " tokens): compare a model with one made from it");
        }
        Perplexity.chunks(reference, tokens.length, ctx, maxChunks); // the reference's context must hold a chunk too
        int chunks = Perplexity.chunks(model, tokens.length, ctx, maxChunks);
        int first = ctx / 2;
        Perplexity.Mean nll = new Perplexity.Mean(), referenceNll = new Perplexity.Mean(), kld = new Perplexity.Mean();
        double[] maxKld = {0};
        long[] sameTop = {0};
        float[][] referenceLogprobs = new float[STEP][reference.vocabSize()];
        KvCache cache = model.newCache(ctx), referenceCache = reference.newCache(ctx);
        for (int c = 0; c < chunks; c++) {
            int[] chunk = Perplexity.chunk(tokens, c, ctx, bos);
            cache.truncate(0);
            referenceCache.truncate(0);
            model.forward(Arrays.copyOf(chunk, first), cache, false);
            reference.forward(Arrays.copyOf(chunk, first), referenceCache, false);
            for (int s = first; s < ctx - 1; s += STEP) { // the logits at positions s .. end - 1 predict tokens s + 1 .. end
                int from = s, end = Math.min(ctx - 1, s + STEP);
                List<DecoderModel.Step> piece = List.of(new DecoderModel.Step(Arrays.copyOfRange(chunk, s, end), referenceCache));
                int[] k = {0};
                reference.forwardScored(piece, (rows, n) -> {
                    for (int i = 0; i < n; i++, k[0]++) {
                        logSoftmax(rows[i], referenceLogprobs[k[0]]);
                        referenceNll.add(-referenceLogprobs[k[0]][chunk[from + k[0] + 1]]);
                    }
                });
                k[0] = 0;
                model.forwardScored(List.of(new DecoderModel.Step(piece.getFirst().tokens(), cache)), (rows, n) -> {
                    for (int i = 0; i < n; i++, k[0]++) {
                        float[] ours = rows[i], theirs = referenceLogprobs[k[0]];
                        double lse = Sequence.logSumExp(ours), divergence = 0;
                        int best = 0, referenceBest = 0;
                        for (int v = 0; v < ours.length; v++) {
                            divergence += Math.exp(theirs[v]) * (theirs[v] - (ours[v] - lse));
                            best = ours[v] > ours[best] ? v : best;
                            referenceBest = theirs[v] > theirs[referenceBest] ? v : referenceBest;
                        }
                        nll.add(-(float) (ours[chunk[from + k[0] + 1]] - lse)); // Sequence.logprobOf, its lse already at hand
                        kld.add(divergence);
                        maxKld[0] = Math.max(maxKld[0], divergence);
                        sameTop[0] += best == referenceBest ? 1 : 0;
                    }
                });
            }
            progress.chunk(c + 1, chunks, Math.exp(nll.mean()));
        }
        double same = (double) sameTop[0] / kld.count();
        return new Result(nll.perplexity(chunks), referenceNll.perplexity(chunks), kld.mean(), kld.error(), maxKld[0],
                same, Math.sqrt(same * (1 - same) / (kld.count() - 1)));
    }

    private static void logSoftmax(float[] logits, float[] out) {
        double lse = Sequence.logSumExp(logits);
        for (int v = 0; v < logits.length; v++) {
            out[v] = (float) (logits[v] - lse);
        }
    }
}
