package baleine.format;

import baleine.tensor.Weight;

import java.util.Optional;
import java.util.Set;

/** Named tensors of one model, mapped from its files (GGUF, or a Hugging Face safetensors directory). */
public interface TensorStore extends AutoCloseable {
    Set<String> names();

    boolean has(String name);

    /**
     * The tensor as a matrix: 1-D tensors are one row, 3-D tensors (merged experts) stack their matrices. Its
     * bytes are those streamed whole through the kernels: in huge pages when {@link WeightMemory} chose them.
     */
    Weight weight(String name);

    /**
     * {@link #weight}, for a tensor only ever read a few rows at a time (an embedding table): always served
     * from the file's mapping, paged in as rows are used, never copied into huge pages.
     */
    Weight rowTable(String name);

    /** Shape as the format writes it (GGUF: innermost first; safetensors: outermost first). */
    long[] shape(String name);

    /** Storage type name ("Q8_0", "BF16", "F8_E4M3", ...), also for types Baleine cannot compute with. */
    String typeName(String name);

    /** The quantization the file says it holds ("Q4_K_M": GGUF's {@code general.file_type}), where it says. */
    default Optional<String> fileType() {
        return Optional.empty();
    }

    /** Bytes the tensor occupies in its file (FP8 scales included). */
    long bytes(String name);

    /**
     * The model is built and holds every weight it streams: what only reading them needed (open files) is
     * released; asking for a streamed tensor not asked for before is then an error.
     */
    void endReads();

    @Override
    void close();

    default Weight require(String name) {
        requirePresent(name);
        return weight(name);
    }

    default Weight requireRowTable(String name) {
        requirePresent(name);
        return rowTable(name);
    }

    private void requirePresent(String name) {
        if (!has(name)) {
            throw new ModelFormatException("the model has no tensor '" + name + "'; the file is incomplete or was converted for another architecture");
        }
    }

    /** The tensor copied into the heap (norms, biases): read from the mapping, never copied into huge pages first. */
    default float[] floats(String name) {
        return requireRowTable(name).toFloats();
    }
}
