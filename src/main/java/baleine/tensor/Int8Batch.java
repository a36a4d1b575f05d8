package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.util.stream.IntStream;

import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;
import static baleine.tensor.Species.S;

/**
 * A batch's vectors rounded to 8 bits as llama.cpp rounds activations for its integer products ({@link Rounding}),
 * held as shorts per block of 32 values beside the block's scale d ({@code v ~ d q}) and its sum of q (the integer
 * kernels' correction for the weights' offset of 8). One per thread: the parts of a product, or of products of one
 * input, that a thread takes share it.
 */
final class Int8Batch {
    static final int BLOCK = 32;

    /** How values are rounded: as llama.cpp rounds them for the weight type's products. */
    enum Rounding {
        /**
         * For Q4_0 (llama.cpp's Q8_0 blocks): per 32 values {@code d = max|v| / 127}, kept as a 16-bit float as Q8_0
         * stores it, and {@code q = rint(v * 127 / max|v|)}.
         */
        Q8_0,
        /**
         * For Q4_K (llama.cpp's Q8_K blocks): per 256 values, m the value of largest magnitude (the first such),
         * {@code q = min(127, rint(v * -127 / m))} and {@code d = 1 / (-127 / m)} as a float (the same d for the
         * super-block's eight blocks of 32).
         */
        Q8_K
    }

    private static final float ROUNDER = 0x1.8p23f;
    private static final int ROUNDER_BITS = Float.floatToIntBits(ROUNDER);
    /** Lane i's shift that puts a vector's runs of eight values 12 bits apart in its lane sum. */
    private static final IntVector RUN_SHIFTS = IntVector.fromArray(I, IntStream.range(0, I.length()).map(i -> 12 * (i / 8)).toArray(), 0);
    private static final ThreadLocal<Int8Batch> PER_THREAD = ThreadLocal.withInitial(Int8Batch::new);
    /** {@link #quantizeSixteen}'s scratch, per thread. */
    private static final ThreadLocal<float[]> FOLDS = ThreadLocal.withInitial(() -> new float[768]);

    /**
     * Block-major, so that a block's values for consecutive vectors lie together: block b of vector t has its 32
     * values at {@code q[32 at(b, t) ..]}, its scale at {@code d[at(b, t)]} and its sum of q at {@code sums[at(b, t)]}.
     */
    short[] q = new short[0];
    float[] d = new float[0];
    int[] sums = new int[0];
    /** The sum of each block's first 16 values of q (Q5_0's and Q5_K's kernels sum halves). */
    int[] halves = new int[0];
    /** {@link Rounding#Q8_K} only: the sums of q over each block's four runs of eight values, at {@code 4 at(b, t) + run} (Q6_K's kernels sum runs of eight). */
    int[] eighths = new int[0];
    // what the arrays hold: vectors [0, n), cols values each, of product id product (InterleavedBatch.ALONE: nothing reusable)
    private long product = InterleavedBatch.ALONE;
    private int n;
    private int cols;
    private Rounding rounding;

    static Int8Batch forThread() {
        return PER_THREAD.get();
    }

    /**
     * Vectors {@code x[0 .. n)}, columns {@code xOff .. xOff + cols} ({@code cols} a multiple of 32, of 256 for
     * {@link Rounding#Q8_K}), rounded; {@code product} identifies the input of the product the call is part of (x and
     * xOff the same for all calls with that id; see {@code MatMul.firstOfInput}), or is {@link InterleavedBatch#ALONE}.
     */
    Int8Batch of(float[][] x, int xOff, int cols, int n, long product, Rounding rounding) {
        if (product != InterleavedBatch.ALONE && this.product == product && this.n == n && this.cols == cols && this.rounding == rounding) {
            return this;
        }
        if (q.length < n * cols) {
            q = new short[n * cols];
            d = new float[n * cols / BLOCK];
            sums = new int[n * cols / BLOCK];
            halves = new int[n * cols / BLOCK];
            eighths = new int[4 * n * cols / BLOCK];
        }
        for (int t = 0; t < n; t++) {
            if (rounding == Rounding.Q8_0) {
                quantize(x[t], xOff, cols, t, n, q, d, sums, halves);
            } else {
                quantizePer256(x[t], xOff, cols, t, n, q, d, sums, eighths, halves);
            }
        }
        this.product = product;
        this.n = n;
        this.cols = cols;
        this.rounding = rounding;
        return this;
    }

    /** Where block b of vector t lies: its scale and sum at this index, its values at 32 times it. */
    int at(int b, int t) {
        return b * n + t;
    }

    /**
     * Vector t's {@link Rounding#Q8_K} values, scales and run sums, its blocks one after another (block b's values at
     * {@code 32 b}, its scale at b, its runs' sums at {@code 4 b}): this batch's own arrays when it holds one vector,
     * else copied into {@code scratch} (a thread's own). A kernel then indexes them linearly in its loop's counter, and
     * C2 checks their bounds once before the loop instead of at every read.
     */
    Int8Batch single(int t, Int8Batch scratch) {
        if (n == 1) {
            return this;
        }
        int blocks = cols / BLOCK;
        if (scratch.q.length < cols) {
            scratch.q = new short[cols];
            scratch.d = new float[blocks];
            scratch.eighths = new int[4 * blocks];
        }
        for (int b = 0; b < blocks; b++) {
            int at = at(b, t);
            System.arraycopy(q, BLOCK * at, scratch.q, BLOCK * b, BLOCK);
            System.arraycopy(eighths, 4 * at, scratch.eighths, 4 * b, 4);
            scratch.d[b] = d[at];
        }
        scratch.n = 1;
        scratch.cols = cols;
        scratch.rounding = rounding;
        scratch.product = InterleavedBatch.ALONE;
        return scratch;
    }

    /**
     * Vector t of n ({@code x[xOff .. xOff + cols)}) into the block-major arrays (see {@link #q}); equal to {@link
     * #quantizeScalar}.
     */
    static void quantize(float[] x, int xOff, int cols, int t, int n, short[] q, float[] d, int[] sums, int[] halves) {
        if (!Species.FUSED || BLOCK % F.length() != 0) {
            quantizeScalar(x, xOff, cols, t, n, q, d, sums, halves);
            return;
        }
        int b = 0;
        if (LaneFolds.SIXTEEN) {
            float[] folds = FOLDS.get();
            for (; b + 16 <= cols / BLOCK; b += 16) {
                quantizeSixteen(x, xOff + b * BLOCK, b, t, n, q, d, sums, halves, folds);
            }
        }
        for (; b < cols / BLOCK; b++) {
            quantizeBlock(x, xOff + b * BLOCK, b * n + t, q, d, sums, halves);
        }
    }

    /**
     * Blocks b0 .. b0 + 15 of vector t (512-bit vectors: a block is two), its values from {@code x[from ..]}, as
     * {@link #quantize} rounds them, with the blocks' maxima and sums folded sixteen at a time ({@link LaneFolds})
     * rather than reduced a block at a time, and {@code v + 1.5 * 2^23} read as an integer (its low bits hold
     * rint(v) for |v| < 2^22) rather than converted with Java's rules: 0.62 -> 0.37 ns a value on one core (Qwen-shape
     * Q4_0 pp64 +1% to +3%, four pairs). Sums of 32 values of magnitude 127 or less are exact as floats. A block
     * whose maximum or scale is not finite goes through {@link #quantizeBlock}. {@code folds}: 768 floats.
     */
    private static void quantizeSixteen(float[] x, int from, int b0, int t, int n, short[] q, float[] d, int[] sums, int[] halves, float[] folds) {
        for (int j = 0; j < 16; j++) {
            int o = from + BLOCK * j;
            FloatVector.fromArray(F, x, o).abs().max(FloatVector.fromArray(F, x, o + 16).abs()).intoArray(folds, 16 * j);
        }
        LaneFolds.maxSixteen(folds, 0);
        int alone = 0; // the blocks quantizeBlock took, a bit each
        for (int j = 0; j < 16; j++) {
            int o = from + BLOCK * j, at = (b0 + j) * n + t;
            float m = folds[j], inverse = m != 0 ? 127f / m : 0f;
            if (!Float.isFinite(m) || !Float.isFinite(inverse)) {
                quantizeBlock(x, o, at, q, d, sums, halves);
                alone |= 1 << j;
                continue;
            }
            d[at] = Float.float16ToFloat(Float.floatToFloat16(m / 127f));
            FloatVector v0 = FloatVector.fromArray(F, x, o).mul(inverse).add(ROUNDER);
            FloatVector v1 = FloatVector.fromArray(F, x, o + 16).mul(inverse).add(ROUNDER);
            ((ShortVector) v0.reinterpretAsInts().sub(ROUNDER_BITS).convertShape(VectorOperators.I2S, S, 0)).intoArray(q, BLOCK * at);
            ((ShortVector) v1.reinterpretAsInts().sub(ROUNDER_BITS).convertShape(VectorOperators.I2S, S, 0)).intoArray(q, BLOCK * at + 16);
            FloatVector r0 = v0.sub(ROUNDER);
            r0.intoArray(folds, 256 + 16 * j);
            r0.add(v1.sub(ROUNDER)).intoArray(folds, 512 + 16 * j);
        }
        LaneFolds.sumSixteen(folds, 256);
        LaneFolds.sumSixteen(folds, 512);
        for (int j = 0; j < 16; j++) {
            if ((alone & 1 << j) == 0) {
                int at = (b0 + j) * n + t;
                halves[at] = (int) folds[256 + j];
                sums[at] = (int) folds[512 + j];
            }
        }
    }

    /** One block of {@link #quantize}: the values at {@code x[from ..]} into block-major place {@code at}. */
    private static void quantizeBlock(float[] x, int from, int at, short[] q, float[] d, int[] sums, int[] halves) {
        FloatVector max = FloatVector.zero(F);
        for (int i = 0; i < BLOCK; i += F.length()) {
            max = max.max(FloatVector.fromArray(F, x, from + i).abs());
        }
        float m = max.reduceLanes(VectorOperators.MAX), inverse = m != 0 ? 127f / m : 0f;
        d[at] = Float.float16ToFloat(Float.floatToFloat16(m / 127f));
        IntVector sum = IntVector.zero(I);
        for (int i = 0; i < BLOCK; i += F.length()) {
            // rint: adding and subtracting 1.5 * 2^23 rounds to an integer, ties to even, for |v| < 2^22
            FloatVector v = FloatVector.fromArray(F, x, from + i).mul(inverse).add(ROUNDER).sub(ROUNDER);
            IntVector qi = (IntVector) v.convertShape(VectorOperators.F2I, I, 0);
            ((ShortVector) qi.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, BLOCK * at + i);
            // the shorts' sum: they differ from the ints where the scale overflowed (subnormal values)
            sum = sum.add(qi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            if (i + F.length() == BLOCK / 2) {
                halves[at] = sum.reduceLanes(VectorOperators.ADD);
            }
        }
        sums[at] = sum.reduceLanes(VectorOperators.ADD);
    }

    static void quantizeScalar(float[] x, int xOff, int cols, int t, int n, short[] q, float[] d, int[] sums, int[] halves) {
        for (int b = 0; b < cols / BLOCK; b++) {
            int from = xOff + b * BLOCK, at = b * n + t;
            float max = 0;
            for (int i = 0; i < BLOCK; i++) {
                max = Math.max(max, Math.abs(x[from + i]));
            }
            float inverse = max != 0 ? 127f / max : 0f;
            d[at] = Float.float16ToFloat(Float.floatToFloat16(max / 127f));
            int sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                short v = (short) Math.rint(x[from + i] * inverse);
                q[BLOCK * at + i] = v;
                sum += v;
                if (i == BLOCK / 2 - 1) {
                    halves[at] = sum;
                }
            }
            sums[at] = sum;
        }
    }

    /**
     * Vector t of n rounded as {@link Rounding#Q8_K} into the block-major arrays (see {@link #q}), with each block's
     * sums of its runs of eight values ({@link #eighths}) and of its halves; equal to {@link #quantizePer256Scalar}.
     * {@code v + 1.5 * 2^23} read as an integer gives rint(v) (as {@link #quantizeSixteen} rounds), and a vector's runs
     * come out of one lane sum, the second run's lanes shifted up by 12 bits (a run's sum is at most 8 x 127 in
     * magnitude): 1.04 -> 0.71 ns a value with 512-bit vectors (where the runs' sums were a scalar pass of their own;
     * 28-layer Qwen-shape Q4_K_M pp64 +0.8% in one JVM).
     * A super-block whose largest magnitude or scale is not finite (NaN, infinities, subnormal values) is rounded by
     * the scalar loop.
     */
    static void quantizePer256(float[] x, int xOff, int cols, int t, int n, short[] q, float[] d, int[] sums, int[] eighths, int[] halves) {
        if (!Species.FUSED || BLOCK % F.length() != 0) {
            quantizePer256Scalar(x, xOff, cols, t, n, q, d, sums, eighths, halves);
            return;
        }
        for (int sb = 0; sb < cols / 256; sb++) {
            int from = xOff + 256 * sb;
            FloatVector magnitudes = FloatVector.zero(F);
            for (int i = 0; i < 256; i += F.length()) {
                magnitudes = magnitudes.max(FloatVector.fromArray(F, x, from + i).abs());
            }
            float amax = magnitudes.reduceLanes(VectorOperators.MAX), max = 0;
            for (int i = 0; i < 256 && amax > 0; i += F.length()) { // the first value of that magnitude
                VectorMask<Float> at = FloatVector.fromArray(F, x, from + i).abs().eq(amax);
                if (at.anyTrue()) {
                    max = x[from + i + at.firstTrue()];
                    break;
                }
            }
            float inverse = amax > 0 ? -127f / max : 0f, scale = amax > 0 ? 1 / inverse : 0f;
            if (!Float.isFinite(amax) || !Float.isFinite(inverse)) {
                roundSuperBlock(x, from, sb, t, n, q, d, sums, eighths, halves);
                continue;
            }
            for (int j = 0; j < 8; j++) {
                int at = (8 * sb + j) * n + t, sum = 0;
                d[at] = scale;
                for (int i = 0; i < BLOCK; i += F.length()) {
                    FloatVector v = FloatVector.fromArray(F, x, from + BLOCK * j + i).mul(inverse).add(ROUNDER);
                    IntVector qi = v.reinterpretAsInts().sub(ROUNDER_BITS).min(127);
                    ((ShortVector) qi.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, BLOCK * at + i);
                    int runs = qi.lanewise(VectorOperators.LSHL, RUN_SHIFTS).reduceLanes(VectorOperators.ADD);
                    for (int k = i / 8; k < (i + F.length()) / 8; k++) {
                        int run = runs << 20 >> 20; // the low 12 bits, signed
                        eighths[4 * at + k] = run;
                        sum += run;
                        runs = (runs - run) >> 12;
                    }
                }
                sums[at] = sum;
                halves[at] = eighths[4 * at] + eighths[4 * at + 1];
            }
        }
    }

    static void quantizePer256Scalar(float[] x, int xOff, int cols, int t, int n, short[] q, float[] d, int[] sums, int[] eighths, int[] halves) {
        for (int sb = 0; sb < cols / 256; sb++) {
            roundSuperBlock(x, xOff + 256 * sb, sb, t, n, q, d, sums, eighths, halves);
        }
    }

    /** Super-block sb of vector t, its values at {@code x[from ..]}, as llama.cpp's Q8_K rounds it. */
    private static void roundSuperBlock(float[] x, int from, int sb, int t, int n, short[] q, float[] d, int[] sums, int[] eighths, int[] halves) {
        float max = 0, amax = 0;
        for (int i = 0; i < 256; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        float inverse = amax != 0 ? -127f / max : 0f, scale = amax != 0 ? 1 / inverse : 0f;
        for (int j = 0; j < 8; j++) {
            int at = (8 * sb + j) * n + t, sum = 0, run = 0;
            d[at] = scale;
            for (int i = 0; i < BLOCK; i++) {
                short v = (short) Math.min(127, (int) Math.rint(inverse * x[from + BLOCK * j + i]));
                q[BLOCK * at + i] = v;
                sum += v;
                run += v;
                if (i % 8 == 7) {
                    eighths[4 * at + i / 8] = run;
                    run = 0;
                }
                if (i == BLOCK / 2 - 1) {
                    halves[at] = sum;
                }
            }
            sums[at] = sum;
        }
    }
}
