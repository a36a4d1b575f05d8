package baleine.tensor.quant;

import baleine.tensor.BlockCodec;
import baleine.tensor.Le;

import java.lang.foreign.MemorySegment;

/**
 * llama.cpp's 32-value blocks: an fp16 scale {@code d} (and for the "_1" types an fp16 minimum {@code m})
 * followed by packed quants. Value j of a block is {@code q_j * d (+ m)}; nibble j holds value j, the high
 * nibble of byte j holds value j + 16. Encoders follow llama.cpp's reference quantizers.
 */
public final class LegacyQuantCodecs {
    private LegacyQuantCodecs() {
    }

    static float half(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(Le.I16, off));
    }

    static void putHalf(MemorySegment s, long off, float v) {
        s.set(Le.I16, off, Float.floatToFloat16(v));
    }

    /** The value of largest magnitude, with its sign. */
    static float signedAbsMax(float[] x, int off, int n) {
        float amax = 0, max = 0;
        for (int j = 0; j < n; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    public static final class Q8_0 implements BlockCodec {
        public int blockSize() { return 32; }
        public int blockBytes() { return 34; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = half(s, off);
            for (int j = 0; j < 32; j++) {
                dst[o + j] = s.get(Le.I8, off + 2 + j) * d;
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float amax = Math.abs(signedAbsMax(x, o, 32));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            putHalf(s, off, d);
            for (int j = 0; j < 32; j++) {
                s.set(Le.I8, off + 2 + j, (byte) Math.round(x[o + j] * id));
            }
        }
    }

    public static final class Q4_0 implements BlockCodec {
        public int blockSize() { return 32; }
        public int blockBytes() { return 18; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = half(s, off);
            for (int j = 0; j < 16; j++) {
                int b = s.get(Le.I8, off + 2 + j) & 0xFF;
                dst[o + j] = ((b & 0xF) - 8) * d;
                dst[o + j + 16] = ((b >>> 4) - 8) * d;
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float d = signedAbsMax(x, o, 32) / -8f;
            float id = d != 0 ? 1f / d : 0f;
            putHalf(s, off, d);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (x[o + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (x[o + j + 16] * id + 8.5f));
                s.set(Le.I8, off + 2 + j, (byte) (q0 | (q1 << 4)));
            }
        }
    }

    public static final class Q4_1 implements BlockCodec {
        public int blockSize() { return 32; }
        public int blockBytes() { return 20; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = half(s, off), m = half(s, off + 2);
            for (int j = 0; j < 16; j++) {
                int b = s.get(Le.I8, off + 4 + j) & 0xFF;
                dst[o + j] = (b & 0xF) * d + m;
                dst[o + j + 16] = (b >>> 4) * d + m;
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[o + j]);
                max = Math.max(max, x[o + j]);
            }
            float d = (max - min) / 15f;
            float id = d != 0 ? 1f / d : 0f;
            putHalf(s, off, d);
            putHalf(s, off + 2, min);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) ((x[o + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (int) ((x[o + j + 16] - min) * id + 0.5f));
                s.set(Le.I8, off + 4 + j, (byte) (q0 | (q1 << 4)));
            }
        }
    }

    /** Q5_0 and Q5_1: the fifth bit of value j is bit j of a 32-bit {@code qh}; value = (q - zero) * d + m. */
    abstract static class Q5 implements BlockCodec {
        private final int header;
        private final int zero;

        Q5(int header, int zero) {
            this.header = header;
            this.zero = zero;
        }

        public int blockSize() { return 32; }
        public int blockBytes() { return header + 20; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = half(s, off);
            float m = header == 4 ? half(s, off + 2) : 0f;
            int qh = s.get(Le.I32, off + header);
            for (int j = 0; j < 16; j++) {
                int b = s.get(Le.I8, off + header + 4 + j) & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[o + j] = (((b & 0xF) | h0) - zero) * d + m;
                dst[o + j + 16] = (((b >>> 4) | h1) - zero) * d + m;
            }
        }

        void pack(int[] q, MemorySegment s, long off) {
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                s.set(Le.I8, off + header + 4 + j, (byte) ((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4)));
                qh |= ((q[j] & 0x10) >>> 4) << j;
                qh |= ((q[j + 16] & 0x10) >>> 4) << (j + 16);
            }
            s.set(Le.I32, off + header, qh);
        }
    }

    public static final class Q5_0 extends Q5 {
        public Q5_0() {
            super(2, 16);
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float d = signedAbsMax(x, o, 32) / -16f;
            float id = d != 0 ? 1f / d : 0f;
            putHalf(s, off, d);
            int[] q = new int[32];
            for (int j = 0; j < 32; j++) {
                q[j] = Math.min(31, (int) (x[o + j] * id + 16.5f));
            }
            pack(q, s, off);
        }
    }

    public static final class Q5_1 extends Q5 {
        public Q5_1() {
            super(4, 0);
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[o + j]);
                max = Math.max(max, x[o + j]);
            }
            float d = (max - min) / 31f;
            float id = d != 0 ? 1f / d : 0f;
            putHalf(s, off, d);
            putHalf(s, off + 2, min);
            int[] q = new int[32];
            for (int j = 0; j < 32; j++) {
                q[j] = Math.min(31, (int) ((x[o + j] - min) * id + 0.5f));
            }
            pack(q, s, off);
        }
    }
}
