package baleine.tensor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Tensor element types as llama.cpp's ggml numbers them. Every known type carries its block geometry so
 * that a file can be validated even when it holds a type we cannot compute with; {@link #codec()} is
 * present only for the types Baleine decodes.
 */
public enum GgmlType {
    F32(0, 1, 4, Codecs.F32),
    F16(1, 1, 2, Codecs.F16),
    Q4_0(2, 32, 18, Codecs.Q4_0),
    Q4_1(3, 32, 20, Codecs.Q4_1),
    Q5_0(6, 32, 22, Codecs.Q5_0),
    Q5_1(7, 32, 24, Codecs.Q5_1),
    Q8_0(8, 32, 34, Codecs.Q8_0),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, Codecs.Q4_K),
    Q5_K(13, 256, 176, Codecs.Q5_K),
    Q6_K(14, 256, 210, Codecs.Q6_K),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, null),
    I16(25, 1, 2, null),
    I32(26, 1, 4, null),
    I64(27, 1, 8, null),
    F64(28, 1, 8, null),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, Codecs.BF16),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    MXFP4(39, 32, 17, null);

    public final int id;
    public final int blockSize;
    public final int blockBytes;
    private final BlockCodec codec;

    GgmlType(int id, int blockSize, int blockBytes, BlockCodec codec) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.codec = codec;
    }

    public static Optional<GgmlType> byId(int id) {
        return Arrays.stream(values()).filter(t -> t.id == id).findFirst();
    }

    public Optional<BlockCodec> codec() {
        return Optional.ofNullable(codec);
    }

    public boolean supported() {
        return codec != null;
    }

    /** Bytes taken by {@code elements} values, which must be a whole number of blocks. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(name() + " stores blocks of " + blockSize + " values; " + elements + " is not a multiple");
        }
        return elements / blockSize * blockBytes;
    }
}
