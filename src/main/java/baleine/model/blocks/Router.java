package baleine.model.blocks;

import baleine.tensor.VectorMath;

import java.util.Arrays;

/**
 * DeepSeekMoE expert selection for one token, from the router logits:
 * scores = softmax or sigmoid; the optional correction bias only steers the choice; with expert groups,
 * only the best {@code topkGroup} groups stay (group score = sum of its two best biased scores when there
 * is a bias, else its best score); the top {@code topK} experts are weighted by their unbiased score,
 * normalised to sum 1 if {@code normalize}, times {@code scale}.
 */
public record Router(Scoring scoring, float[] bias, int groups, int topkGroup, int topK, boolean normalize, float scale) {
    public enum Scoring { SOFTMAX, SIGMOID }

    /** Selected experts and their weights. */
    public record Choice(int[] experts, float[] weights) {
    }

    public Choice route(float[] logits) {
        int e = logits.length;
        float[] scores = logits.clone();
        if (scoring == Scoring.SOFTMAX) {
            VectorMath.softmax(scores, 0, e);
        } else {
            for (int i = 0; i < e; i++) {
                scores[i] = (float) (1.0 / (1.0 + Math.exp(-scores[i])));
            }
        }
        float[] choice = scores.clone();
        if (bias != null) {
            for (int i = 0; i < e; i++) {
                choice[i] += bias[i];
            }
        }
        if (groups > 1) {
            maskGroups(choice);
        }
        int[] experts = topIndices(choice, topK);
        float[] weights = new float[topK];
        double sum = 0;
        for (int k = 0; k < topK; k++) {
            weights[k] = scores[experts[k]];
            sum += weights[k];
        }
        for (int k = 0; k < topK; k++) {
            weights[k] = (float) ((normalize ? weights[k] / sum : weights[k]) * scale);
        }
        return new Choice(experts, weights);
    }

    private void maskGroups(float[] choice) {
        int size = choice.length / groups;
        float[] groupScore = new float[groups];
        for (int g = 0; g < groups; g++) {
            float[] member = Arrays.copyOfRange(choice, g * size, (g + 1) * size);
            if (bias != null) {
                int[] best = topIndices(member, Math.min(2, size));
                for (int b : best) {
                    groupScore[g] += member[b];
                }
            } else {
                float max = Float.NEGATIVE_INFINITY;
                for (float v : member) {
                    max = Math.max(max, v);
                }
                groupScore[g] = max;
            }
        }
        boolean[] keep = new boolean[groups];
        for (int g : topIndices(groupScore, topkGroup)) {
            keep[g] = true;
        }
        for (int g = 0; g < groups; g++) {
            if (!keep[g]) {
                Arrays.fill(choice, g * size, (g + 1) * size, Float.NEGATIVE_INFINITY);
            }
        }
    }

    /** Indices of the {@code k} largest values, largest first (ties: lower index first). */
    static int[] topIndices(float[] v, int k) {
        int[] idx = new int[k];
        boolean[] taken = new boolean[v.length];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!taken[i] && (best < 0 || v[i] > v[best])) {
                    best = i;
                }
            }
            idx[j] = best;
            taken[best] = true;
        }
        return idx;
    }
}
