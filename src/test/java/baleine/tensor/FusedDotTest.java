package baleine.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Every type's in-place dot product against the scalar definition (decode the row, multiply, add in double). */
class FusedDotTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void dotMatchesTheScalarDefinition(GgmlType type) {
        Random rnd = new Random(type.id);
        int rows = 5, cols = type.blockSize == 256 ? 512 : 96 + (type.blockSize == 1 ? 3 : 0);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Weight weight = Quantizer.weight("w", type, w, rows, cols, Arena.ofAuto());
        float[] x = new float[cols + 7];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            weight.decodeRow(r, row);
            double ref = 0;
            for (int c = 0; c < cols; c++) {
                ref += (double) row[c] * x[7 + c];
            }
            assertThat((double) weight.dot(r, x, 7)).as(type + " row " + r).isCloseTo(ref, within(1e-4 * Math.sqrt(cols) * 4));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void fourVectorKernelEqualsFourSingleDotsBitForBit(GgmlType type) {
        Random rnd = new Random(type.id + 100);
        int rows = 3, cols = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Weight weight = Quantizer.weight("w", type, w, rows, cols, Arena.ofAuto());
        float[][] x = new float[6][cols + 2];
        for (float[] v : x) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
        }
        float[] four = VectorMath.outBuffer(4);
        for (int r = 0; r < rows; r++) {
            weight.dot4(r, x, 2, 2, four);
            for (int k = 0; k < 4; k++) {
                assertThat(four[k]).isEqualTo(weight.dot(r, x[2 + k], 2));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void halfConversionsAreExactForEveryCodeTheyTake() {
        int lanes = VectorMath.LANES;
        java.lang.foreign.MemorySegment codes = Arena.ofAuto().allocate(2L * 65536);
        for (int h = 0; h < 65536; h++) {
            codes.set(Le.I16, 2L * h, (short) h);
        }
        float[] kernels = new float[lanes], exact = new float[lanes];
        for (int h = 0; h < 65536; h += lanes) {
            FusedDot.halfs(codes, 2L * h).intoArray(kernels, 0);
            FusedDot.exactHalfs(codes, 2L * h).intoArray(exact, 0);
            for (int k = 0; k < lanes; k++) {
                short code = (short) (h + k);
                float expected = Float.float16ToFloat(code);
                if (Float.isNaN(expected)) {
                    assertThat(exact[k]).as("code %04x", h + k).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(exact[k])).as("code %04x", h + k).isEqualTo(Float.floatToRawIntBits(expected));
                }
                if (Float.isFinite(expected)) {
                    assertThat(Float.floatToRawIntBits(kernels[k])).as("code %04x", h + k).isEqualTo(Float.floatToRawIntBits(expected));
                } else { // documented: exponent 31 reads as 2^16 (1 + mantissa / 1024), with its sign
                    assertThat(kernels[k]).as("code %04x", h + k).isEqualTo(Math.copySign(0x1p16f * (1 + (code & 0x3FF) / 1024f), (float) code));
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void nonFiniteHalvesAreFoundWhereverTheyAre() {
        Random rnd = new Random(16);
        int count = 3 * VectorMath.LANES * 4 + 5; // whole vectors of every width and a scalar tail
        java.lang.foreign.MemorySegment row = Arena.ofAuto().allocate(2L * count);
        for (int i = 0; i < count; i++) {
            row.set(Le.I16, 2L * i, Float.floatToFloat16(Math.clamp((float) rnd.nextGaussian() * 30000f, -65504f, 65504f))); // up to the largest finite
        }
        assertThat(Halves.hasNonFinite(row, 0, count)).isFalse();
        for (int at : new int[]{0, 17, count - 6, count - 1}) {
            for (short code : new short[]{(short) 0x7C00, (short) 0xFC00, (short) 0x7E01, (short) 0xFFFF}) {
                short was = row.get(Le.I16, 2L * at);
                row.set(Le.I16, 2L * at, code);
                assertThat(Halves.hasNonFinite(row, 0, count)).as("code %04x at %d", code, at).isTrue();
                assertThat(Halves.hasNonFinite(row, 0, at)).as("before %d", at).isFalse();
                row.set(Le.I16, 2L * at, was);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void f16RowsHoldingInfinityOrNaNGiveThemInEveryKernel() {
        Random rnd = new Random(17);
        int rows = 9, cols = 4 * VectorMath.LANES * 8 + 3; // two groups of four rows and one left, a scalar tail
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Weight weight = Quantizer.weight("w", GgmlType.F16, w, rows, cols, Arena.ofAuto());
        java.lang.foreign.MemorySegment data = Quantizer.encode(GgmlType.F16, w, Arena.ofAuto());
        data.set(Le.I16, 2L * (2 * cols + 40), (short) 0x7C00); // row 2: +infinity
        data.set(Le.I16, 2L * (5 * cols + cols - 1), (short) 0x7E00); // row 5: NaN, in the tail
        data.set(Le.I16, 2L * (8 * cols + 7), (short) 0xFC00); // row 8: -infinity
        Weight broken = new BlockWeight("w", GgmlType.F16, data, rows, cols);
        float[][] x = new float[17][cols];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = 0.1f + (float) Math.abs(rnd.nextGaussian()); // positive: the infinities keep their signs
            }
        }
        for (int n : new int[]{1, 2, 3, 4, 5, 12, 17}) { // one row at a time, pairs, tiles and panels
            float[][] y = new float[n][rows], clean = new float[n][rows];
            MatMul.rows(broken, 0, rows, x, 0, y, 0, n);
            MatMul.rows(weight, 0, rows, x, 0, clean, 0, n);
            for (int t = 0; t < n; t++) {
                assertThat(y[t][2]).as("batch " + n).isEqualTo(Float.POSITIVE_INFINITY);
                assertThat(y[t][5]).as("batch " + n).isNaN();
                assertThat(y[t][8]).as("batch " + n).isEqualTo(Float.NEGATIVE_INFINITY);
                for (int r : new int[]{0, 1, 3, 4, 6, 7}) {
                    assertThat(y[t][r]).as("batch " + n + " row " + r).isEqualTo(clean[t][r]);
                }
            }
        }
        Weight slice = new BlockWeight("w", GgmlType.F16, data, rows, cols).rowSlice(4, 5); // scanned through the slice first
        assertThat(slice.dot(1, x[0], 0)).isNaN();
        assertThat(slice.dot(4, x[0], 0)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(slice.dot(0, x[0], 0)).isEqualTo(weight.dot(4, x[0], 0));
    }

    @org.junit.jupiter.api.Test
    void fp8RowDotMatchesDecodeThenMultiply() {
        Random rnd = new Random(8);
        int rows = 300, cols = 300, block = 128; // partial last blocks in both directions, and a scalar tail
        java.lang.foreign.MemorySegment values = fp8Codes(rnd, rows, cols, 0), scales = fp8Scales(rnd, 3 * 3);
        Weight w = new Fp8BlockWeight("w", values, scales, rows, cols, block);
        float[] x = new float[cols + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] row = new float[cols];
        for (int r : new int[]{0, 127, 128, 299}) {
            w.decodeRow(r, row);
            double ref = 0;
            for (int c = 0; c < cols; c++) {
                ref += (double) row[c] * x[5 + c];
            }
            assertThat((double) w.dot(r, x, 5)).as("row " + r).isCloseTo(ref, within(1e-3));
            assertThat((double) w.rowSlice(r, 1).dot(0, x, 5)).isCloseTo(ref, within(1e-3));
        }
        float[][] xs = {x.clone(), x.clone(), x.clone(), x.clone()};
        for (int k = 1; k < 4; k++) {
            for (int i = 0; i < xs[k].length; i++) {
                xs[k][i] = (float) rnd.nextGaussian();
            }
        }
        // bit for bit: batching and grouping rows change nothing
        float[] out = VectorMath.outBuffer(16);
        w.dot4(42, xs, 0, 5, out);
        for (int k = 0; k < 4; k++) {
            assertThat(out[k]).isEqualTo(w.dot(42, xs[k], 5));
        }
        w.dotRows4(20, 70, x, 5, out);
        for (int k = 0; k < 4; k++) {
            assertThat(out[k]).isEqualTo(w.dot(20 + 70 * k, x, 5));
        }
        assertThat(w.hasTileDot()).isTrue();
        w.dotTile(126, 1, InterleavedBatch.forThread().of(xs, 5, cols, null, 0, 4, InterleavedBatch.ALONE), 0, out); // rows 126..129 span two scale blocks
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 4; k++) {
                assertThat(out[4 * i + k]).isEqualTo(w.dot(126 + i, xs[k], 5));
            }
        }
        w.dotTile(20, 70, InterleavedBatch.forThread().of(xs, 5, cols, null, 0, 4, InterleavedBatch.ALONE), 0, out); // rows 20, 90, 160, 230
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 4; k++) {
                assertThat(out[4 * i + k]).isEqualTo(w.dot(20 + 70 * i, xs[k], 5));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void fp8RowDecodingMatchesTheScalarDefinitionForEveryCode() {
        Random rnd = new Random(9);
        int rows = 260, cols = 300, block = 128; // partial last blocks in both directions, and a scalar tail
        java.lang.foreign.MemorySegment values = fp8Codes(rnd, rows, cols, 256), scales = fp8Scales(rnd, 3 * 3); // every code in row 0
        Weight w = new Fp8BlockWeight("w", values, scales, rows, cols, block);
        float[] row = new float[cols];
        for (int r : new int[]{0, 1, 127, 128, 200, 259}) {
            w.decodeRow(r, row);
            for (int c = 0; c < cols; c++) {
                float expected = Fp8BlockWeight.e4m3ToFloat(values.get(Le.I8, (long) r * cols + c) & 0xFF)
                        * scales.get(Le.F32, 4L * ((r / block) * 3 + c / block));
                assertThat(Float.floatToIntBits(row[c])).as("row %d column %d", r, c).isEqualTo(Float.floatToIntBits(expected));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void fp8RowWithTheNaNCodeGivesNaNInEveryKernel() {
        int rows = 8, cols = 256;
        java.lang.foreign.MemorySegment values = Arena.ofAuto().allocate((long) rows * cols);
        for (long i = 0; i < values.byteSize(); i++) {
            values.set(Le.I8, i, (byte) 0x38); // 1.0
        }
        values.set(Le.I8, 2L * cols + 200, (byte) 0xFF); // row 2 holds -NaN
        java.lang.foreign.MemorySegment scales = Arena.ofAuto().allocate(4L * 2);
        scales.set(Le.F32, 0, 0.5f);
        scales.set(Le.F32, 4, 0.5f);
        Weight w = new Fp8BlockWeight("w", values, scales, rows, cols, 128);
        float[] x = new float[cols];
        java.util.Arrays.fill(x, 1f);
        float[][] xs = {x, x, x, x};
        float[] out = VectorMath.outBuffer(16);
        assertThat(w.dot(1, x, 0)).isEqualTo(128f);
        assertThat(w.dot(2, x, 0)).isNaN();
        w.dot4(2, xs, 0, 0, out);
        assertThat(out[0]).isNaN();
        w.dotRows4(0, 1, x, 0, out);
        assertThat(out).startsWith(128f, 128f, Float.NaN, 128f);
        w.dotTile(0, 1, InterleavedBatch.forThread().of(xs, 0, cols, null, 0, 4, InterleavedBatch.ALONE), 0, out);
        assertThat(out[8]).isNaN();
        assertThat(out[4]).isEqualTo(128f);
        // each row is scanned once: the answers stay, and row slices share them
        assertThat(w.dot(2, x, 0)).isNaN();
        assertThat(w.dot(1, x, 0)).isEqualTo(128f);
        Weight slice = w.rowSlice(2, 3);
        assertThat(slice.dot(0, x, 0)).isNaN();
        assertThat(slice.dot(1, x, 0)).isEqualTo(128f);
        Weight fresh = new Fp8BlockWeight("w", values, scales, rows, cols, 128).rowSlice(1, 2); // scanned by the slice first
        assertThat(fresh.dot(1, x, 0)).isNaN();
        assertThat(fresh.dot(0, x, 0)).isEqualTo(128f);
    }

    @org.junit.jupiter.api.Test
    void vectorE4m3MatchesTheScalarDecodingForAll256Codes() {
        java.lang.foreign.MemorySegment codes = Arena.ofAuto().allocate(256 + 64);
        for (int b = 0; b < 256; b++) {
            codes.set(Le.I8, b, (byte) b);
        }
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int b = 0; b < 256; b += lanes) {
            float[] got = Fp8Dot.e4m3(codes, b).toArray();
            for (int k = 0; k < lanes; k++) {
                int code = b + k;
                // the NaN codes read as +-480; the kernels give NaN for their rows (Fp8Dot.hasNaN)
                float want = (code & 0x7F) == 0x7F ? Math.copySign(480f, 0x80 - code) : Fp8BlockWeight.e4m3ToFloat(code);
                assertThat(Float.floatToIntBits(got[k])).as("code 0x%02x", code).isEqualTo(Float.floatToIntBits(want));
            }
        }
        assertThat(Fp8Dot.hasNaN(codes, 0, 127)).isFalse();
        assertThat(Fp8Dot.hasNaN(codes, 0, 128)).isTrue();
        assertThat(Fp8Dot.hasNaN(codes, 128, 127)).isFalse();
        assertThat(Fp8Dot.hasNaN(codes, 200, 56)).isTrue();
    }

    /** Random e4m3 codes for {@code rows x cols}, never the NaN code, except the first {@code everyCode} values: codes 0, 1, 2, ... */
    private static java.lang.foreign.MemorySegment fp8Codes(Random rnd, int rows, int cols, int everyCode) {
        java.lang.foreign.MemorySegment values = Arena.ofAuto().allocate((long) rows * cols);
        for (long i = 0; i < values.byteSize(); i++) {
            int b = rnd.nextInt(256);
            values.set(Le.I8, i, (byte) (i < everyCode ? i : (b & 0x7F) == 0x7F ? b & 0xFE : b));
        }
        return values;
    }

    /** {@code count} random block scales in [0, 0.01). */
    private static java.lang.foreign.MemorySegment fp8Scales(Random rnd, int count) {
        java.lang.foreign.MemorySegment scales = Arena.ofAuto().allocate(4L * count);
        for (int i = 0; i < count; i++) {
            scales.set(Le.F32, 4L * i, (float) (rnd.nextDouble() * 0.01));
        }
        return scales;
    }
}
