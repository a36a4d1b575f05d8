package baleine.bench;

import baleine.generation.Sampler;
import baleine.generation.SamplingParams;
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

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One sampled token over Qwen2's 151936-entry vocabulary: llama.cpp's defaults (top-k 40, top-p 0.95,
 * min-p 0.05), DeepSeek-R1's (temperature 0.6, top-p 0.95, no top-k), no filter at all, and greedy.
 * {@code spread} is the logits' standard deviation: 1 is an unusually flat distribution, 6 a peaked one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1)
public class SamplerBenchmark {
    @Param({"llama.cpp", "r1", "unfiltered", "greedy"})
    public String settings;

    @Param({"1", "3", "6"})
    public double spread;

    float[] logits = new float[151936];
    Sampler sampler;

    @Setup
    public void setup() {
        Random r = new Random(1);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * spread);
        }
        SamplingParams p = switch (settings) {
            case "llama.cpp" -> SamplingParams.defaults();
            case "r1" -> SamplingParams.defaults().withTemperature(0.6f).withTopP(0.95f).withTopK(0).withMinP(0);
            case "unfiltered" -> SamplingParams.defaults().withTemperature(1f).withTopP(1f).withTopK(0).withMinP(0);
            case "greedy" -> SamplingParams.greedy(1);
            default -> throw new IllegalArgumentException(settings);
        };
        sampler = new Sampler(p.withSeed(1L));
    }

    @Benchmark
    public int sample() {
        return sampler.sample(logits, List.of(), Map.of());
    }
}
