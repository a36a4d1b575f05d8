package baleine.tensor;

import java.lang.foreign.MemorySegment;

/** Decodes (and, for the model writer, encodes) one block of a weight type, exactly as llama.cpp defines it. */
public interface BlockCodec {
    int blockSize();

    int blockBytes();

    /** Decodes the block at byte {@code off} of {@code src} into {@code dst[dstOff .. dstOff + blockSize)}. */
    void decode(MemorySegment src, long off, float[] dst, int dstOff);

    /** Encodes {@code src[srcOff .. srcOff + blockSize)} into the block at byte {@code off} of {@code dst}. */
    void encode(float[] src, int srcOff, MemorySegment dst, long off);

    /** Decodes {@code count} consecutive values (a whole number of blocks) starting at byte {@code off}. */
    default void decodeRun(MemorySegment src, long off, float[] dst, int dstOff, int count) {
        int bs = blockSize();
        for (int i = 0; i < count; i += bs, off += blockBytes()) {
            decode(src, off, dst, dstOff + i);
        }
    }
}
