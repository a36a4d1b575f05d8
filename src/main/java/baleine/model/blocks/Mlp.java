package baleine.model.blocks;

import baleine.model.Activations;
import baleine.tensor.MatMul;
import baleine.tensor.MatMul.Product;
import baleine.tensor.Parallel;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** SwiGLU MLP: {@code down(silu(gate(x)) * up(x))}. */
public record Mlp(Weight gate, Weight up, Weight down) implements FeedForward {
    /** Activation values a thread takes at least. */
    private static final long PARALLEL_VALUES = 16384;

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
        activate(gateUp);
        MatMul.apply(down);
        return outputs;
    }

    /** SwiGLU over every row of the gate and up outputs (products 2i and 2i + 1): a prompt's rows split over the cores. */
    private static void activate(List<Product> gateUp) {
        int mlps = gateUp.size() / 2;
        int[] firstRow = new int[mlps + 1];
        long values = 0;
        for (int i = 0; i < mlps; i++) {
            Product g = gateUp.get(2 * i);
            firstRow[i + 1] = firstRow[i] + g.n();
            values += (long) g.n() * g.w().rows;
        }
        int rows = firstRow[mlps];
        // chunks of at least ~16k values (a decoding step's few rows stay on one thread: no synchronisation)
        int grain = (int) Math.max(1, PARALLEL_VALUES * rows / Math.max(1, values));
        Parallel.forRange(rows, grain, (from, to) -> {
            int i = 0;
            for (int r = from; r < to; r++) {
                while (firstRow[i + 1] <= r) {
                    i++;
                }
                float[] g = gateUp.get(2 * i).y()[r - firstRow[i]], u = gateUp.get(2 * i + 1).y()[r - firstRow[i]];
                VectorMath.swiglu(g, u, gateUp.get(2 * i).w().rows);
            }
        });
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
    public List<Weight> matrices() {
        return List.of(gate, up, down);
    }

    @Override
    public long activeParameters() {
        return gate.elements() + up.elements() + down.elements();
    }
}
