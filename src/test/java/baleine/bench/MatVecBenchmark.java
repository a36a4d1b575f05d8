package baleine.bench;

import baleine.tensor.BlockWeight;
import baleine.tensor.Fp8BlockWeight;
import baleine.tensor.GgmlType;
import baleine.tensor.GroupedWeight;
import baleine.tensor.HugePages;
import baleine.tensor.MatMul;
import baleine.tensor.Quantizer;
import baleine.tensor.Weight;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One thread, one 4096 x 4096 weight matrix (another size with {@code -Dmatvec.n=N}) times one vector ({@code matvec},
 * decode-bound), two ({@code matmul2}, two sequences decoding together), eight ({@code matmul8}) or 64
 * ({@code matmul64}, the pp64 shape). Bytes read per second = matrix bytes / time. {@code F8_E4M3} is
 * DeepSeek-V3's block-scaled FP8; {@code Q4_0} and {@code Q4_K} are taken as models take them (in integers on AVX2 /
 * AVX-512), as are {@code Q5_0} and {@code Q6_K}; {@code Q4_0-float}, {@code Q4_K-float} and {@code Q6_K-float} through the float kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatVecBenchmark {
    @Param({"F32", "BF16", "Q8_0", "Q4_0", "Q4_0-float", "Q4_1", "Q5_0", "Q5_1", "Q5_1-float", "Q4_K", "Q4_K-float", "Q5_K", "Q5_K-float", "Q6_K", "Q6_K-float", "F8_E4M3"})
    public String type;

    static final int N = Integer.getInteger("matvec.n", 4096);
    Weight w;
    float[][] x1 = new float[1][N], y1 = new float[1][N], x2 = new float[2][N], y2 = new float[2][N], x8 = new float[8][N], y8 = new float[8][N];
    float[][] x64 = new float[64][N], y64 = new float[64][N];

    @Setup
    public void setup() {
        Random r = new Random(1);
        float[] values = new float[N * N];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        w = type.equals("F8_E4M3") ? fp8(values) : asModelsTakeIt(type, inHugePages(Quantizer.encode(storage(type), values, Arena.ofShared())), N, N);
        for (float[] v : x8) {
            for (int i = 0; i < N; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
        x1[0] = x8[0];
        x2[0] = x8[0];
        x2[1] = x8[1];
        for (float[] v : x64) {
            for (int i = 0; i < N; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
    }

    /** The stored type of a benchmark's type name ("Q4_0-float" is Q4_0). */
    static GgmlType storage(String type) {
        return GgmlType.valueOf(type.replace("-float", ""));
    }

    /**
     * The matrix as a model takes it: Q4_0 and Q4_K regrouped for the integer kernels where the machine has them (as
     * the GGUF store does), "Q4_0-float" and "Q4_K-float" on the float kernels, every other type as stored.
     */
    static Weight asModelsTakeIt(String type, MemorySegment bytes, int rows, int cols) {
        GroupedWeight.Layout layout = type.endsWith("-float") ? null : GroupedWeight.Layout.of(storage(type));
        return layout != null && GroupedWeight.supported() ? GroupedWeight.regroup("w", layout, bytes, rows, cols, rows)
                : new BlockWeight("w", storage(type), bytes, rows, cols);
    }

    /**
     * The bytes in 2 MiB pages where Linux offers them, as a model's weights are read by default ({@code --memory
     * auto}): from 4 KiB pages decoding is about a quarter slower (a TLB miss per page, the prefetcher stopping at
     * each page's end).
     */
    static MemorySegment inHugePages(MemorySegment bytes) {
        if (HugePages.unavailable().isPresent()) {
            return bytes;
        }
        MemorySegment copy = HugePages.allocate(bytes.byteSize(), Arena.ofShared());
        copy.copyFrom(bytes);
        return copy;
    }

    /** DeepSeek-V3's layout: e4m3 values, one scale per 128 x 128 tile (its largest value maps to 448). */
    static Weight fp8(float[] values) {
        int block = 128, tiles = N / block;
        MemorySegment codes = HugePages.unavailable().isPresent() ? Arena.ofShared().allocate((long) N * N) : HugePages.allocate((long) N * N, Arena.ofShared());
        MemorySegment scales = Arena.ofShared().allocate(4L * tiles * tiles);
        for (int bi = 0; bi < tiles; bi++) {
            for (int bj = 0; bj < tiles; bj++) {
                float max = 0;
                for (int i = bi * block; i < (bi + 1) * block; i++) {
                    for (int j = bj * block; j < (bj + 1) * block; j++) {
                        max = Math.max(max, Math.abs(values[i * N + j]));
                    }
                }
                float scale = max / 448f;
                scales.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) bi * tiles + bj, scale);
                for (int i = bi * block; i < (bi + 1) * block; i++) {
                    for (int j = bj * block; j < (bj + 1) * block; j++) {
                        codes.set(ValueLayout.JAVA_BYTE, (long) i * N + j, Fp8BlockWeight.floatToE4m3(values[i * N + j] / scale));
                    }
                }
            }
        }
        return new Fp8BlockWeight("w", codes, scales, N, N, block);
    }

    @Benchmark
    public float[][] matvec() {
        MatMul.rows(w, 0, N, x1, 0, y1, 0, 1);
        return y1;
    }

    /** Two vectors, as two sequences decoding together: each row read once for both where the type has a pair kernel. */
    @Benchmark
    public float[][] matmul2() {
        MatMul.rows(w, 0, N, x2, 0, y2, 0, 2);
        return y2;
    }

    @Benchmark
    public float[][] matmul8() {
        MatMul.rows(w, 0, N, x8, 0, y8, 0, 8);
        return y8;
    }

    @Benchmark
    public float[][] matmul64() {
        MatMul.rows(w, 0, N, x64, 0, y64, 0, 64);
        return y64;
    }
}
