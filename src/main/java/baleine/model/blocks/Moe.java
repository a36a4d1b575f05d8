package baleine.model.blocks;

import baleine.tensor.MatMul;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.List;

/**
 * DeepSeekMoE: routed experts plus always-on shared experts. Tokens of a batch are grouped by expert so
 * each selected expert runs once over all of its tokens.
 */
public record Moe(Weight gate, Router router, List<Mlp> experts, Mlp shared) implements FeedForward {
    @Override
    public float[][] forward(float[][] x, int n) {
        int hidden = x[0].length;
        float[][] logits = new float[n][gate.rows];
        MatMul.apply(gate, x, logits, n);
        List<List<Integer>> tokensOf = new ArrayList<>();
        List<List<Float>> weightsOf = new ArrayList<>();
        for (int e = 0; e < experts.size(); e++) {
            tokensOf.add(new ArrayList<>());
            weightsOf.add(new ArrayList<>());
        }
        for (int t = 0; t < n; t++) {
            Router.Choice c = router.route(logits[t]);
            for (int k = 0; k < c.experts().length; k++) {
                tokensOf.get(c.experts()[k]).add(t);
                weightsOf.get(c.experts()[k]).add(c.weights()[k]);
            }
        }
        float[][] y = shared != null ? shared.forward(x, n) : new float[n][hidden];
        for (int e = 0; e < experts.size(); e++) {
            List<Integer> tokens = tokensOf.get(e);
            if (tokens.isEmpty()) {
                continue;
            }
            float[][] batch = new float[tokens.size()][];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = x[tokens.get(i)];
            }
            float[][] out = experts.get(e).forward(batch, batch.length);
            for (int i = 0; i < batch.length; i++) {
                VectorMath.axpy(weightsOf.get(e).get(i), out[i], 0, y[tokens.get(i)], 0, hidden);
            }
        }
        return y;
    }

    @Override
    public long totalParameters() {
        return gate.elements() + experts.size() * experts.getFirst().activeParameters() + (shared != null ? shared.activeParameters() : 0);
    }

    @Override
    public long activeWeightBytes() {
        return gate.bytes() + router.topK() * experts.getFirst().activeWeightBytes() + (shared != null ? shared.activeWeightBytes() : 0);
    }

    @Override
    public long activeParameters() {
        long expert = experts.getFirst().activeParameters();
        return gate.elements() + router.topK() * expert + (shared != null ? shared.activeParameters() : 0);
    }
}
