package baleine.format.gguf;

import java.util.Arrays;
import java.util.Optional;

/**
 * A GGUF file's {@code general.file_type}: llama.cpp's {@code llama_ftype}, the name a file's quantization goes by
 * ("Q4_K_M"), for the types and mixes Baleine reads and writes.
 */
public enum LlamaFileType {
    F32(0), F16(1), Q4_0(2), Q4_1(3), Q8_0(7), Q5_0(8), Q5_1(9), Q4_K_S(14), Q4_K_M(15), Q5_K_S(16), Q5_K_M(17), Q6_K(18), BF16(32);

    public static final String KEY = "general.file_type";
    public final int id;

    LlamaFileType(int id) {
        this.id = id;
    }

    /** The quantization a file's metadata records ({@link #KEY}), by llama.cpp's name; empty if none or unknown. */
    public static Optional<String> recordedIn(GgufMetadata metadata) {
        return metadata.get(KEY).filter(v -> v instanceof Number).flatMap(v -> of(((Number) v).longValue())).map(Enum::name);
    }

    public static Optional<LlamaFileType> of(long id) {
        return Arrays.stream(values()).filter(t -> t.id == id).findFirst();
    }
}
