package baleine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static baleine.tensor.NibbleColumns.BLOCK;
import static baleine.tensor.NibbleColumns.ROWS;
import static baleine.tensor.NibbleColumns.slot;

/**
 * Q5_1 rows regrouped 64 at a time, multiplied by activations rounded as for Q4_0 ({@link Int8Batch.Rounding#Q8_0}).
 * Per block of 32 columns a group holds the 64 rows' d (128 bytes, {@link NibbleColumns#slot} order), their m (128
 * bytes), then the 32 columns of 40 bytes as {@link Q5_0Groups} holds them: exactly the bytes of its 64 rows (64 x
 * 24). (llama.cpp's Q5_K_M files hold Q5_1 where a row is not a multiple of 256 long, e.g. DeepSeek-V2-Lite's expert
 * down projections.)
 *
 * <p>A row's value is {@code d q + m} (q 0..31). With {@code S = sum (q - 16) x} (16-bit sums per half block, as
 * Q5_0's) and {@code X = sum x}: {@code sum value * x = F S + G X}, where {@code F = d} and {@code G = 16 d + m}, as
 * {@link Q5_KGroups} adds a sub-block. The vector kernels have a scalar twin ({@link #dotScalar}).
 */
final class Q5_1Groups {
    private static final int M_AT = 2 * ROWS, COLUMNS_AT = 4 * ROWS;
    /** A group's bytes per block: as many as its 64 rows take in Q5_1 (24 bytes per row and block). */
    static final int BLOCK_BYTES = COLUMNS_AT + BLOCK * Q5_0Groups.COLUMN;
    private static final VectorSpecies<Float> F = Species.F;

    private Q5_1Groups() {
    }

    /**
     * Regroups the 64 Q5_1 rows at {@code off} ({@code blocks} blocks each) of {@code source} into the same
     * place of {@code target} (the same segment: in place).
     */
    static void regroup(MemorySegment source, MemorySegment target, long off, int blocks) {
        Q5_0Groups.regroup(source, target, off, blocks, 4);
    }

    /** Row {@code lane} of the group at {@code g} as floats, {@code q d + m} as Q5_1 decodes it. */
    static void decodeRow(MemorySegment s, long g, int blocks, int lane, float[] dst) {
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            float d = Q4_KGroups.half(s, o + 2L * slot(lane)), m = Q4_KGroups.half(s, o + M_AT + 2L * slot(lane));
            for (int c = 0; c < BLOCK; c++) {
                dst[BLOCK * b + c] = Q5_0Groups.value(s, o + COLUMNS_AT, c, lane) * d + m;
            }
        }
    }

    /** Row {@code lane}'s product with vector {@code t} of {@code x}: what the kernels compute, one row at a time. */
    static float dotScalar(MemorySegment s, long g, int blocks, int lane, Int8Batch x, int t) {
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            float d = Q4_KGroups.half(s, o + 2L * slot(lane)), m = Q4_KGroups.half(s, o + M_AT + 2L * slot(lane));
            int at = x.at(b, t), sum = 0;
            for (int c = 0; c < BLOCK; c++) {
                sum += (Q5_0Groups.value(s, o + COLUMNS_AT, c, lane) - 16) * x.q[BLOCK * at + c];
            }
            total = Math.fma(Math.fma(16 * d + m, (float) x.sums[at], d * sum), x.d[at], total);
        }
        return total;
    }

    /**
     * The group at {@code g} times vectors {@code t0 .. t0 + count} of {@code x} ({@code count} at most {@link
     * NibbleColumns#TOKENS}): {@code out[64 k + slot(lane)]} for vector t0 + k, block after block. {@code sums} is
     * scratch of 1024 shorts, {@code factors} of 128 floats.
     */
    static void dot(MemorySegment s, long g, int blocks, Int8Batch x, int t0, int count, float[] out, short[] sums, float[] factors) {
        java.util.Arrays.fill(out, 0, ROWS * count, 0f);
        for (int b = 0; b < blocks; b++) {
            long o = g + (long) BLOCK_BYTES * b;
            factors(s, o, factors);
            Q5_KGroups.columnsTimes(s, o + COLUMNS_AT, x, b, t0, count, sums, factors, 0, ROWS, out);
        }
    }

    /** The block's factors: F = d of the 64 rows at {@code f[0 ..]}, G = 16 d + m at {@code f[64 ..]}. */
    private static void factors(MemorySegment s, long o, float[] f) {
        Q4_0Groups.scales(s, o, f, 0);
        Q4_0Groups.scales(s, o + M_AT, f, ROWS);
        for (int r = 0; r < ROWS; r += F.length()) {
            FloatVector.fromArray(F, f, r).mul(16f).add(FloatVector.fromArray(F, f, ROWS + r)).intoArray(f, ROWS + r);
        }
    }
}
