package baleine.model.blocks;

import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.MatMul.Product;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** SwiGLU MLP: {@code down(silu(gate(x)) * up(x))}. */
public record Mlp(Weight gate, Weight up, Weight down) implements FeedForward {
    @Override
    public float[][] forward(float[][] x, int n) {
        return forwardAll(List.of(this), List.<float[][]>of(x.length == n ? x : Arrays.copyOf(x, n))).getFirst();
    }

    /**
     * Each MLP over its own batch of vectors (e.g. the experts a batch of tokens selected): the gate and up
     * products of all of them run in one parallel loop, the down products in a second one.
     */
    public static List<float[][]> forwardAll(List<Mlp> mlps, List<float[][]> inputs) {
        List<Product> gateUp = new ArrayList<>(), down = new ArrayList<>();
        List<float[][]> outputs = new ArrayList<>();
        for (int i = 0; i < mlps.size(); i++) {
            Mlp m = mlps.get(i);
            float[][] x = inputs.get(i);
            int n = x.length;
            float[][] g = Activations.take(n, m.gate.rows), u = Activations.take(n, m.up.rows), y = Activations.take(n, m.down.rows);
            gateUp.add(new Product(m.gate, x, g, n));
            gateUp.add(new Product(m.up, x, u, n));
            down.add(new Product(m.down, g, y, n));
            outputs.add(y);
        }
        MatMul.apply(gateUp);
        for (int i = 0; i < mlps.size(); i++) {
            float[][] g = gateUp.get(2 * i).y(), u = gateUp.get(2 * i + 1).y();
            for (int t = 0; t < g.length; t++) {
                VectorMath.swiglu(g[t], u[t], g[t].length);
            }
        }
        MatMul.apply(down);
        return outputs;
    }

    @Override
    public long totalParameters() {
        return activeParameters();
    }

    @Override
    public long activeWeightBytes() {
        return gate.bytes() + up.bytes() + down.bytes();
    }

    @Override
    public long activeParameters() {
        return gate.elements() + up.elements() + down.elements();
    }
}
