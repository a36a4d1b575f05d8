package baleine.model.blocks;

import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DeepSeekMoE: routed experts plus always-on shared experts. Tokens of a batch are grouped by expert so
 * each selected expert runs once over all of its tokens.
 */
public record Moe(Weight gate, Router router, List<Mlp> experts, Mlp shared) implements FeedForward {
    @Override
    public float[][] forward(float[][] x, int n) {
        int hidden = x[0].length;
        float[][] logits = Activations.take(n, gate.rows);
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
        // the shared expert and every selected expert run together, each over its own tokens
        List<Mlp> mlps = new ArrayList<>();
        List<float[][]> inputs = new ArrayList<>();
        List<Integer> selected = new ArrayList<>();
        if (shared != null) {
            mlps.add(shared);
            inputs.add(n == x.length ? x : Arrays.copyOf(x, n));
        }
        for (int e = 0; e < experts.size(); e++) {
            List<Integer> tokens = tokensOf.get(e);
            if (tokens.isEmpty()) {
                continue;
            }
            float[][] batch = new float[tokens.size()][];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = x[tokens.get(i)];
            }
            mlps.add(experts.get(e));
            inputs.add(batch);
            selected.add(e);
        }
        List<float[][]> outputs = Mlp.forwardAll(mlps, inputs);
        float[][] y = shared != null ? outputs.getFirst() : Activations.take(n, hidden);
        int first = shared != null ? 1 : 0;
        for (int j = 0; j < selected.size(); j++) {
            List<Integer> tokens = tokensOf.get(selected.get(j));
            List<Float> weights = weightsOf.get(selected.get(j));
            float[][] out = outputs.get(first + j);
            for (int i = 0; i < tokens.size(); i++) {
                VectorMath.axpy(weights.get(i), out[i], 0, y[tokens.get(i)], 0, hidden);
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
