package baleine.bench;

import baleine.tokenizer.Tokenizer;
import baleine.tokenizer.Tokenizers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Encoding 1 MB of mixed text (English, code, numbers, CJK, emoji) with DeepSeek-V3's tokenizer, cold
 * (fresh tokenizer, empty BPE cache) and warm. Needs ../shared/conformance/tokenizer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmark {
    private static final String[] PARTS = {"The quick brown fox jumps over the lazy dog. ", "def f(x):\n    return x ** 2  # square\n",
            "1234567890 3.14159 ", "深度求索发布了开源模型。", "日本語のテキストです。", "Émile a reçu 42 € hier. ", "🚀🐋 ", "\n\n    ",
            "for (int i = 0; i < n; i++) { sum += a[i]; }\n", "Привет, мир! "};

    private Path dir;
    private String text;
    private Tokenizer warm;

    @Setup
    public void setup() {
        dir = Path.of(System.getProperty("baleine.shared", "../shared"), "conformance", "tokenizer");
        StringBuilder sb = new StringBuilder();
        Random r = new Random(1);
        while (sb.length() < 1_000_000) {
            sb.append(PARTS[r.nextInt(PARTS.length)]);
        }
        text = sb.toString();
        warm = load();
        warm.encode(text);
    }

    private Tokenizer load() {
        return Tokenizers.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json")).tokenizer();
    }

    @Benchmark
    public int encode1MbCold() {
        return load().encode(text).length;
    }

    @Benchmark
    public int encode1MbWarm() {
        return warm.encode(text).length;
    }
}
