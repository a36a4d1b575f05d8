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
        int hidden = x[0].length, e = experts.size();
        float[][] logits = Activations.take(n, gate.rows);
        MatMul.apply(gate, x, logits, n);
        Router.Choice[] choices = new Router.Choice[n];
        int[] start = new int[e + 1]; // expert j's (token, weight) pairs: [start[j], start[j + 1]) once counted
        for (int t = 0; t < n; t++) {
            choices[t] = router.route(logits[t]);
            for (int j : choices[t].experts()) {
                start[j + 1]++;
            }
        }
        for (int j = 0; j < e; j++) {
            start[j + 1] += start[j];
        }
        // grouped by expert, tokens in order within each group (a counting sort)
        int[] token = new int[start[e]], fill = Arrays.copyOf(start, e);
        float[] weight = new float[start[e]];
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < choices[t].experts().length; k++) {
                int at = fill[choices[t].experts()[k]]++;
                token[at] = t;
                weight[at] = choices[t].weights()[k];
            }
        }
        // the shared expert and every selected expert run together, each over its own tokens
        List<Mlp> mlps = new ArrayList<>();
        List<float[][]> inputs = new ArrayList<>();
        if (shared != null) {
            mlps.add(shared);
            inputs.add(n == x.length ? x : Arrays.copyOf(x, n));
        }
        for (int j = 0; j < e; j++) {
            if (start[j + 1] > start[j]) {
                float[][] batch = new float[start[j + 1] - start[j]][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = x[token[start[j] + i]];
                }
                mlps.add(experts.get(j));
                inputs.add(batch);
            }
        }
        List<float[][]> outputs = Mlp.forwardAll(mlps, inputs);
        float[][] y = shared != null ? outputs.getFirst() : Activations.take(n, hidden);
        int o = shared != null ? 1 : 0;
        for (int j = 0; j < e; j++) {
            if (start[j + 1] > start[j]) {
                float[][] out = outputs.get(o++);
                for (int i = start[j]; i < start[j + 1]; i++) {
                    VectorMath.axpy(weight[i], out[i - start[j]], 0, y[token[i]], 0, hidden);
                }
            }
        }
        return y;
    }

    @Override
    public long totalParameters() {
        return gate.elements() + experts.size() * experts.getFirst().activeParameters() + (shared != null ? shared.activeParameters() : 0);
    }

    @Override
    public List<Weight> matrices() {
        List<Weight> all = new ArrayList<>(List.of(gate));
        all.addAll(experts.getFirst().matrices());
        if (shared != null) {
            all.addAll(shared.matrices());
        }
        return all;
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
