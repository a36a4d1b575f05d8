package baleine.bench;

import baleine.tensor.GgmlType;
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
 * Prefill's product on one thread: 64 tokens through the R1-Distill-Qwen-1.5B shape's up projection
 * (8960 x 1536) or down projection (1536 x 8960). Multiply-adds per second = 64 x rows x cols / time; one
 * core's float32 peak here is about 110 G multiply-adds per second (two 16-lane FMA units).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PrefillBenchmark {
    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "BF16"})
    public String type;

    @Param({"up", "down"})
    public String shape;

    static final int TOKENS = 64;
    Weight w;
    float[][] x, y;

    @Setup
    public void setup() {
        int rows = shape.equals("up") ? 8960 : 1536, cols = shape.equals("up") ? 1536 : 8960;
        Random r = new Random(1);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        w = Quantizer.weight("w", GgmlType.valueOf(type), values, rows, cols, Arena.ofShared());
        x = new float[TOKENS][cols];
        y = new float[TOKENS][rows];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
    }

    @Benchmark
    public float[][] pp64() {
        MatMul.rows(w, 0, w.rows, x, 0, y, 0, TOKENS);
        return y;
    }
}
