package baleine.bench;

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
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Prefill's product on one thread: {@code tokens} vectors (64 by default, the pp64 shape) through the
 * R1-Distill-Qwen-1.5B shape's up projection (8960 x 1536) or down projection (1536 x 8960), or one
 * DeepSeek-V2-Lite expert's gate/up (1408 x 2048) or down (2048 x 1408; Q5_0 in llama.cpp's K-quant mixes), whose
 * tokens are few (~6 per expert at pp64), or the Qwen shape's output head (151936 x 1536: bigger than the caches,
 * a decoding product with {@code tokens=1}). Multiply-adds per second = tokens x rows x cols / time; one core's
 * float32 peak here is about 110 G multiply-adds per second (two 16-lane FMA units). {@code Q4_0} as models take
 * it (in integers on AVX2 / AVX-512), {@code Q4_0-float} through the float kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PrefillBenchmark {
    @Param({"Q8_0", "Q4_0", "Q4_0-float", "Q5_1", "Q5_1-float", "Q4_K", "Q4_K-float", "Q5_K", "Q5_K-float", "Q6_K", "Q6_K-float", "BF16"})
    public String type;

    @Param({"up", "down"})
    public String shape;

    @Param({"64"})
    public int tokens;

    Weight w;
    float[][] x, y;

    @Setup
    public void setup() {
        int rows = switch (shape) {
            case "up" -> 8960;
            case "down" -> 1536;
            case "expert" -> 1408;
            case "expert-down" -> 2048;
            case "head" -> 151936;
            default -> throw new IllegalArgumentException("shape: up, down, expert, expert-down or head");
        };
        int cols = switch (shape) {
            case "up", "head" -> 1536;
            case "down" -> 8960;
            case "expert" -> 2048;
            default -> 1408;
        };
        Random r = new Random(1);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        w = MatVecBenchmark.asModelsTakeIt(type, Quantizer.encode(MatVecBenchmark.storage(type), values, Arena.ofShared()), rows, cols);
        x = new float[tokens][cols];
        y = new float[tokens][rows];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
    }

    @Benchmark
    public float[][] product() {
        MatMul.rows(w, 0, w.rows, x, 0, y, 0, tokens);
        return y;
    }
}
