package baleine.model.blocks;

import baleine.tensor.MatMul;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

/** SwiGLU MLP: {@code down(silu(gate(x)) * up(x))}. */
public record Mlp(Weight gate, Weight up, Weight down) implements FeedForward {
    @Override
    public float[][] forward(float[][] x, int n) {
        int width = gate.rows;
        float[][] g = new float[n][width], u = new float[n][width];
        MatMul.apply(gate, x, g, n);
        MatMul.apply(up, x, u, n);
        for (int t = 0; t < n; t++) {
            VectorMath.swiglu(g[t], u[t], width);
        }
        float[][] y = new float[n][down.rows];
        MatMul.apply(down, g, y, n);
        return y;
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
