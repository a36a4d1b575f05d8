package baleine.tensor.quant;

import baleine.tensor.BlockCodec;
import baleine.tensor.Le;

import java.lang.foreign.MemorySegment;

/** Unquantized element types: one value per "block". */
public final class Fp16Codecs {
    private Fp16Codecs() {
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even, as PyTorch converts float32 to bfloat16. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static final class F32 implements BlockCodec {
        public int blockSize() { return 1; }
        public int blockBytes() { return 4; }

        public void decode(MemorySegment src, long off, float[] dst, int dstOff) {
            dst[dstOff] = src.get(Le.F32, off);
        }

        public void encode(float[] src, int srcOff, MemorySegment dst, long off) {
            dst.set(Le.F32, off, src[srcOff]);
        }

        @Override
        public void decodeRun(MemorySegment src, long off, float[] dst, int dstOff, int count) {
            MemorySegment.copy(src, Le.F32, off, dst, dstOff, count);
        }
    }

    public static final class F16 implements BlockCodec {
        public int blockSize() { return 1; }
        public int blockBytes() { return 2; }

        public void decode(MemorySegment src, long off, float[] dst, int dstOff) {
            dst[dstOff] = Float.float16ToFloat(src.get(Le.I16, off));
        }

        public void encode(float[] src, int srcOff, MemorySegment dst, long off) {
            dst.set(Le.I16, off, Float.floatToFloat16(src[srcOff]));
        }

        @Override
        public void decodeRun(MemorySegment src, long off, float[] dst, int dstOff, int count) {
            for (int i = 0; i < count; i++) {
                dst[dstOff + i] = Float.float16ToFloat(src.get(Le.I16, off + 2L * i));
            }
        }
    }

    public static final class BF16 implements BlockCodec {
        public int blockSize() { return 1; }
        public int blockBytes() { return 2; }

        public void decode(MemorySegment src, long off, float[] dst, int dstOff) {
            dst[dstOff] = bf16ToFloat(src.get(Le.I16, off));
        }

        public void encode(float[] src, int srcOff, MemorySegment dst, long off) {
            dst.set(Le.I16, off, floatToBf16(src[srcOff]));
        }

        @Override
        public void decodeRun(MemorySegment src, long off, float[] dst, int dstOff, int count) {
            for (int i = 0; i < count; i++) {
                dst[dstOff + i] = bf16ToFloat(src.get(Le.I16, off + 2L * i));
            }
        }
    }
}
