package baleine.tensor;

/** A tensor whose storage type Baleine cannot compute with. */
public final class UnsupportedTensorTypeException extends RuntimeException {
    public UnsupportedTensorTypeException(String tensor, String type) {
        super("tensor " + tensor + " uses type " + type + ", which Baleine does not support yet "
                + "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F8_E4M3 with block scales); "
                + "re-quantize the model to one of these");
    }
}
