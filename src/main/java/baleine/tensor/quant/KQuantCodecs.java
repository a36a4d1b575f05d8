package baleine.tensor.quant;

import baleine.tensor.BlockCodec;
import baleine.tensor.Le;

import java.lang.foreign.MemorySegment;

/**
 * llama.cpp's 256-value "K" super-blocks. Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins packed
 * in 12 bytes, value = d*sc*q - dmin*m. Q6_K: 16 sub-blocks of 16 with int8 scales, value = d*sc*(q - 32).
 * The encoders are simple min/max quantizers (valid blocks, not llama.cpp's error-minimising search).
 */
public final class KQuantCodecs {
    private KQuantCodecs() {
    }

    /** Scale and min of sub-block j (0..7) from the 12 packed bytes at {@code off} (shared with the fused kernels). */
    public static int scale(MemorySegment s, long off, int j) {
        return scale(s.get(Le.I64, off), s.get(Le.I32, off + 8), j);
    }

    public static int min(MemorySegment s, long off, int j) {
        return min(s.get(Le.I64, off), s.get(Le.I32, off + 8), j);
    }

    /** Scale of sub-block j from the packed bytes read as {@code first8} (bytes 0..7) and {@code last4} (8..11). */
    public static int scale(long first8, int last4, int j) {
        return j < 4 ? byteOf(first8, j) & 63 : (byteOf(last4, j - 4) & 0xF) | ((byteOf(first8, j - 4) >>> 6) << 4);
    }

    public static int min(long first8, int last4, int j) {
        return j < 4 ? byteOf(first8, j + 4) & 63 : (byteOf(last4, j - 4) >>> 4) | ((byteOf(first8, j) >>> 6) << 4);
    }

    private static int byteOf(long bytes, int k) {
        return (int) (bytes >>> (8 * k)) & 0xFF;
    }

    static int u8(MemorySegment s, long off) {
        return s.get(Le.I8, off) & 0xFF;
    }

    static void putScalesAndMins(int[] sc, int[] mn, MemorySegment s, long off) {
        for (int j = 0; j < 4; j++) {
            s.set(Le.I8, off + j, (byte) (sc[j] | ((sc[j + 4] >>> 4) << 6)));
            s.set(Le.I8, off + j + 4, (byte) (mn[j] | ((mn[j + 4] >>> 4) << 6)));
            s.set(Le.I8, off + j + 8, (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4)));
        }
    }

    /**
     * Min/max quantization of 8 sub-blocks of 32 to {@code levels} steps: writes d, dmin and the packed
     * scales, returns the quant of every value.
     */
    static int[] quantizeAsymmetric(float[] x, int o, int levels, MemorySegment s, long off) {
        float[] subScale = new float[8], subMin = new float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0, hi = -Float.MAX_VALUE;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[o + 32 * j + l]);
                hi = Math.max(hi, x[o + 32 * j + l]);
            }
            subScale[j] = (hi - lo) / levels;
            subMin[j] = -lo;
            maxScale = Math.max(maxScale, subScale[j]);
            maxMin = Math.max(maxMin, subMin[j]);
        }
        float d = maxScale / 63f, dmin = maxMin / 63f;
        s.set(Le.I16, off, Float.floatToFloat16(d));
        s.set(Le.I16, off + 2, Float.floatToFloat16(dmin));
        float dq = Float.float16ToFloat(Float.floatToFloat16(d));
        float dminq = Float.float16ToFloat(Float.floatToFloat16(dmin));
        int[] sc = new int[8], mn = new int[8];
        int[] q = new int[256];
        for (int j = 0; j < 8; j++) {
            sc[j] = dq > 0 ? Math.min(63, Math.round(subScale[j] / dq)) : 0;
            mn[j] = dminq > 0 ? Math.min(63, Math.round(subMin[j] / dminq)) : 0;
            float step = dq * sc[j], zero = dminq * mn[j];
            for (int l = 0; l < 32; l++) {
                int v = step > 0 ? Math.round((x[o + 32 * j + l] + zero) / step) : 0;
                q[32 * j + l] = Math.max(0, Math.min(levels, v));
            }
        }
        putScalesAndMins(sc, mn, s, off + 4);
        return q;
    }

    public static final class Q4_K implements BlockCodec {
        public int blockSize() { return 256; }
        public int blockBytes() { return 144; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = Float.float16ToFloat(s.get(Le.I16, off));
            float dmin = Float.float16ToFloat(s.get(Le.I16, off + 2));
            long qs = off + 16;
            for (int c = 0; c < 4; c++) {
                float d1 = d * scale(s, off + 4, 2 * c), m1 = dmin * min(s, off + 4, 2 * c);
                float d2 = d * scale(s, off + 4, 2 * c + 1), m2 = dmin * min(s, off + 4, 2 * c + 1);
                for (int l = 0; l < 32; l++) {
                    int b = u8(s, qs + 32 * c + l);
                    dst[o + 64 * c + l] = d1 * (b & 0xF) - m1;
                    dst[o + 64 * c + 32 + l] = d2 * (b >>> 4) - m2;
                }
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            int[] q = quantizeAsymmetric(x, o, 15, s, off);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    s.set(Le.I8, off + 16 + 32 * c + l, (byte) (q[64 * c + l] | (q[64 * c + 32 + l] << 4)));
                }
            }
        }
    }

    public static final class Q5_K implements BlockCodec {
        public int blockSize() { return 256; }
        public int blockBytes() { return 176; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = Float.float16ToFloat(s.get(Le.I16, off));
            float dmin = Float.float16ToFloat(s.get(Le.I16, off + 2));
            long qh = off + 16, qs = off + 48;
            for (int c = 0; c < 4; c++) {
                float d1 = d * scale(s, off + 4, 2 * c), m1 = dmin * min(s, off + 4, 2 * c);
                float d2 = d * scale(s, off + 4, 2 * c + 1), m2 = dmin * min(s, off + 4, 2 * c + 1);
                int u1 = 1 << (2 * c), u2 = 2 << (2 * c);
                for (int l = 0; l < 32; l++) {
                    int b = u8(s, qs + 32 * c + l), h = u8(s, qh + l);
                    dst[o + 64 * c + l] = d1 * ((b & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
                    dst[o + 64 * c + 32 + l] = d2 * ((b >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
                }
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            int[] q = quantizeAsymmetric(x, o, 31, s, off);
            int[] high = new int[32];
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int q1 = q[64 * c + l], q2 = q[64 * c + 32 + l];
                    s.set(Le.I8, off + 48 + 32 * c + l, (byte) ((q1 & 0xF) | ((q2 & 0xF) << 4)));
                    high[l] |= ((q1 >>> 4) << (2 * c)) | ((q2 >>> 4) << (2 * c + 1));
                }
            }
            for (int l = 0; l < 32; l++) {
                s.set(Le.I8, off + 16 + l, (byte) high[l]);
            }
        }
    }

    public static final class Q6_K implements BlockCodec {
        public int blockSize() { return 256; }
        public int blockBytes() { return 210; }

        public void decode(MemorySegment s, long off, float[] dst, int o) {
            float d = Float.float16ToFloat(s.get(Le.I16, off + 208));
            for (int half = 0; half < 2; half++) {
                long ql = off + 64 * half, qh = off + 128 + 32 * half, sc = off + 192 + 8 * half;
                int y = o + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(s, qh + l);
                    int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * s.get(Le.I8, sc + is) * q1;
                    dst[y + l + 32] = d * s.get(Le.I8, sc + is + 2) * q2;
                    dst[y + l + 64] = d * s.get(Le.I8, sc + is + 4) * q3;
                    dst[y + l + 96] = d * s.get(Le.I8, sc + is + 6) * q4;
                }
            }
        }

        public void encode(float[] x, int o, MemorySegment s, long off) {
            float[] subScale = new float[16];
            float maxAbs = 0;
            for (int j = 0; j < 16; j++) {
                float a = 0;
                for (int l = 0; l < 16; l++) {
                    a = Math.max(a, Math.abs(x[o + 16 * j + l]));
                }
                subScale[j] = a / 31f;
                maxAbs = Math.max(maxAbs, subScale[j]);
            }
            float d = maxAbs / 127f;
            s.set(Le.I16, off + 208, Float.floatToFloat16(d));
            float dq = Float.float16ToFloat(Float.floatToFloat16(d));
            int[] q = new int[256];
            for (int j = 0; j < 16; j++) {
                int sc = dq > 0 ? Math.min(127, Math.round(subScale[j] / dq)) : 0;
                s.set(Le.I8, off + 192 + j, (byte) sc);
                float step = dq * sc;
                for (int l = 0; l < 16; l++) {
                    int v = step > 0 ? Math.round(x[o + 16 * j + l] / step) : 0;
                    q[16 * j + l] = Math.max(-32, Math.min(31, v)) + 32;
                }
            }
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int b = 128 * half;
                    int q1 = q[b + l], q2 = q[b + l + 32], q3 = q[b + l + 64], q4 = q[b + l + 96];
                    s.set(Le.I8, off + 64 * half + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                    s.set(Le.I8, off + 64 * half + l + 32, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                    s.set(Le.I8, off + 128 + 32 * half + l,
                            (byte) ((q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4) | ((q4 >>> 4) << 6)));
                }
            }
        }
    }
}
