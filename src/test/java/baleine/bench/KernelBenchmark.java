package baleine.bench;

import baleine.cache.CacheType;
import baleine.cache.DenseLayerCache;
import baleine.cache.LatentLayerCache;
import baleine.model.blocks.GroupedQueryAttention;
import baleine.model.blocks.LatentAttention;
import baleine.model.blocks.LatentUpProjection;
import baleine.model.blocks.RmsNorm;
import baleine.model.blocks.Rope;
import baleine.model.blocks.Router;
import baleine.tensor.GgmlType;
import baleine.tensor.Quantizer;
import baleine.tensor.VectorMath;
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
 * The small kernels at DeepSeek-V3's sizes: RMSNorm over 7168 values, RoPE over 128 heads, softmax, SwiGLU (at
 * R1-Distill-Qwen-1.5B's 8960),
 * V3's router (256 experts, 8 groups keep 4, top 8), one decode step of absorbed MLA attention
 * (16 of V3's 128 heads, latent 512 + rope 64) over a 4k or 16k-token latent cache, and one of grouped-query attention
 * at R1-Distill-Qwen-1.5B's shape (12 heads in 2 KV groups of 128 values) over as many cached tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KernelBenchmark {
    @Param({"4096", "16384"})
    public int cached;

    /** The MLA step's cache type; compare them with {@code -p cacheType=f32,f16,bf16,q8_0}. */
    @Param({"f32"})
    public String cacheType;

    final Random rnd = new Random(1);
    float[] hidden, normWeight, heads, logits, routerLogits, gate, up;
    RmsNorm norm;
    Rope rope;
    Router router;
    LatentAttention mla;
    LatentLayerCache cache;
    baleine.cache.KvCache kv;
    float[][] mlaInput;
    GroupedQueryAttention gqa;
    baleine.cache.KvCache gqaKv;
    float[][] gqaInput;

    float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    Weight weight(int rows, int cols) {
        return Quantizer.weight("w", GgmlType.Q8_0, gaussian(rows * cols), rows, cols, Arena.ofShared());
    }

    @Setup
    public void setup() {
        hidden = gaussian(7168);
        norm = new RmsNorm(gaussian(7168), 1e-6f);
        rope = Rope.yarn(64, 10000, Rope.Pairing.INTERLEAVED, 40, 4096, 32, 1, 1);
        heads = gaussian(128 * 64);
        logits = gaussian(cached);
        routerLogits = gaussian(256);
        gate = gaussian(8960); // R1-Distill-Qwen-1.5B's FFN width
        up = gaussian(8960);
        router = new Router(Router.Scoring.SIGMOID, gaussian(256), 8, 4, 8, true, 2.5f);
        int h = 16; // heads of one tensor-parallel shard keep the setup small; the cost scales linearly
        mla = new LatentAttention(null, null, weight(h * 192, 1024), weight(576, 1024), new RmsNorm(gaussian(512), 1e-6f),
                new LatentUpProjection.Split(weight(h * 512, 128), weight(h * 128, 512), 512, 128), weight(1024, h * 128),
                h, 128, 64, 128, 512, 0.135f, rope);
        kv = new baleine.cache.ContiguousKvCache(java.util.List.of(mla.newCache(CacheType.parse(cacheType))), cached + 1);
        cache = (LatentLayerCache) kv.layer(0);
        cache.ensureRows(cached + 1, cached + 1);
        float[] row = new float[576];
        for (int p = 0; p < cached; p++) {
            for (int i = 0; i < 576; i++) {
                row[i] = (float) rnd.nextGaussian();
            }
            cache.put(p, row, 0);
        }
        kv.reserve(cached);
        kv.commit(cached);
        mlaInput = new float[][]{gaussian(1024)};

        gqa = new GroupedQueryAttention(weight(1536, 1536), weight(256, 1536), weight(256, 1536), gaussian(1536), gaussian(256), gaussian(256),
                weight(1536, 1536), 12, 2, 128, Rope.standard(128, 10000, Rope.Pairing.HALVES));
        gqaKv = new baleine.cache.ContiguousKvCache(java.util.List.of(gqa.newCache(CacheType.parse(cacheType))), cached + 1);
        DenseLayerCache dense = (DenseLayerCache) gqaKv.layer(0);
        dense.ensureRows(cached + 1, cached + 1);
        for (int p = 0; p < cached; p++) {
            dense.put(p, gaussian(256), 0, gaussian(256), 0);
        }
        gqaKv.reserve(cached);
        gqaKv.commit(cached);
        gqaInput = new float[][]{gaussian(1536)};
    }

    @Benchmark
    public float[][] gqaDecodeStepQwen() {
        return gqa.forward(gqaInput, 1, gqaKv, 0);
    }

    @Benchmark
    public float[] rmsNorm7168() {
        float[] x = hidden.clone();
        norm.apply(x, 0);
        return x;
    }

    @Benchmark
    public float[] rope128Heads() {
        for (int h = 0; h < 128; h++) {
            rope.apply(heads, h * 64, 1234);
        }
        return heads;
    }

    @Benchmark
    public float[] softmaxOverCache() {
        float[] x = logits.clone();
        VectorMath.softmax(x, 0, x.length);
        return x;
    }

    @Benchmark
    public float[] swiglu8960() {
        float[] g = gate.clone();
        VectorMath.swiglu(g, up.clone(), g.length); // overwrites up
        return g;
    }

    @Benchmark
    public Router.Choice routeV3() {
        return router.route(routerLogits);
    }

    @Benchmark
    public float[][] mlaDecodeStep16Heads() {
        return mla.forward(mlaInput, 1, kv, 0);
    }
}
