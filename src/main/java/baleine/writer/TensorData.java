package baleine.writer;

import java.util.function.Supplier;

/**
 * A tensor to write: its name, its shape outermost first (as safetensors and PyTorch write it), and its
 * values, produced on demand so big models never sit in memory whole.
 */
public record TensorData(String name, long[] shape, Supplier<float[]> values) {
    public long rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            r *= shape[i];
        }
        return r;
    }

    public long cols() {
        return shape[shape.length - 1];
    }

    public long elements() {
        return rows() * cols();
    }
}
