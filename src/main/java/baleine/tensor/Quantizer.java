package baleine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Encodes float matrices into a weight type (for the random-model writer and the tests). */
public final class Quantizer {
    private Quantizer() {
    }

    /** Writes {@code values} (row-major, {@code cols} per row) as {@code type} blocks into {@code dst}. */
    public static void encode(GgmlType type, float[] values, int off, long count, MemorySegment dst) {
        BlockCodec codec = type.codec().orElseThrow(() -> new UnsupportedTensorTypeException("(writer)", type.name()));
        int bs = codec.blockSize();
        if (count % bs != 0) {
            throw new IllegalArgumentException(count + " values are not a whole number of " + type + " blocks");
        }
        for (long b = 0; b < count / bs; b++) {
            codec.encode(values, (int) (off + b * bs), dst, b * codec.blockBytes());
        }
    }

    public static MemorySegment encode(GgmlType type, float[] values, Arena arena) {
        MemorySegment seg = arena.allocate(type.bytesFor(values.length), 8);
        encode(type, values, 0, values.length, seg);
        return seg;
    }

    /** A weight of {@code type} holding (the quantized form of) {@code values}. */
    public static Weight weight(String name, GgmlType type, float[] values, int rows, int cols, Arena arena) {
        return new BlockWeight(name, type, encode(type, values, arena), rows, cols);
    }
}
