package baleine.bench;

import baleine.tensor.GgmlType;
import baleine.tensor.GroupedWeight;
import baleine.tensor.Parallel;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Regrouping at load ({@link GroupedWeight#regroup}): one 1536 x 8960 matrix (an R1-Distill-Qwen-1.5B down projection)
 * from one segment into another, both already touched, on one thread. Bytes per second = matrix bytes / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class RegroupBenchmark {
    @Param({"Q4_0", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    static final int ROWS = 1536, COLS = 8960;
    GroupedWeight.Layout layout;
    MemorySegment source, target;

    @Setup
    public void setup() {
        Parallel.setThreads(1);
        Random r = new Random(1);
        float[] values = new float[ROWS * COLS];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        layout = GroupedWeight.Layout.of(GgmlType.valueOf(type));
        source = Quantizer.encode(GgmlType.valueOf(type), values, Arena.ofShared());
        target = Arena.ofShared().allocate(source.byteSize());
        target.copyFrom(source);
    }

    @Benchmark
    public Weight regroup() {
        return GroupedWeight.regroup("w", layout, source, target, ROWS, COLS, ROWS);
    }
}
