package baleine.conformance;

import baleine.SharedFixtures;
import baleine.cache.CacheType;
import baleine.tensor.GroupedWeight;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ConformanceSuiteTest {
    @Test
    void everyLogitCaseOfTheSharedFixturesPasses() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner runner = new ConformanceRunner(SharedFixtures.conformance(), new PrintStream(buf, true, StandardCharsets.UTF_8));
        ConformanceRunner.Report report = runner.run(ConformanceRunner.Kind.LOGITS);
        boolean ok = runner.print(report, false);
        String output = buf.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        assertThat(report.results()).hasSizeGreaterThan(100);
        assertThat(ok).as(output).isTrue();
        assertThat(output).endsWith(report.results().size() + " passed, 0 failed" + System.lineSeparator());
    }

    @Test
    void anEightBitCacheMovesTheLogitsButNotTheChosenTokens() {
        ConformanceRunner runner = new ConformanceRunner(SharedFixtures.conformance(), new PrintStream(new ByteArrayOutputStream()), CacheType.Q8_0);
        ConformanceRunner.Report report = runner.run(ConformanceRunner.Kind.LOGITS);
        assertThat(report.failed()).as("the references use an f32 cache: some cases miss their tolerance").isPositive();
        assertThat(report.results()).allSatisfy(r -> assertThat(r.detail()).as(r.name()).contains("top-1 agreement 1.000"));
    }

    /**
     * Float activations match the float64 evaluation of the stored weights ("exact" cases) on their own; Q4_0, Q4_K_M
     * and Q6_K files, whose Q4_0, Q4_K, Q5_0 and Q6_K matrices multiply with 8-bit activations as llama.cpp's do where
     * vectors are 256 or 512 bits wide, match llama.cpp's output on their own.
     */
    @Test
    void casesPassOnTheirOwnTheReferenceThatTreatsActivationsAsBaleineDoes() {
        ConformanceRunner runner = new ConformanceRunner(SharedFixtures.conformance(), new PrintStream(new ByteArrayOutputStream()));
        ConformanceRunner.Report report = runner.run(ConformanceRunner.Kind.LOGITS);
        boolean int8 = GroupedWeight.supported();
        assertThat(report.results().stream().filter(r -> r.name().contains("/llama.cpp/")
                == (int8 && (r.name().contains("/gguf-q4_0/") || r.name().contains("/gguf-q4_k_m/") || r.name().contains("/gguf-q6_k/")))))
                .hasSizeGreaterThan(50)
                .allSatisfy(r -> assertThat(r.withinOwnTolerance()).as(r.name() + ": " + r.detail()).isTrue());
    }

    @Test
    void everyTokenizerAndChatTemplateCasePasses() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner runner = new ConformanceRunner(SharedFixtures.conformance(), new PrintStream(buf, true, StandardCharsets.UTF_8));
        for (ConformanceRunner.Kind kind : new ConformanceRunner.Kind[]{ConformanceRunner.Kind.TOKENIZER, ConformanceRunner.Kind.TEMPLATE}) {
            ConformanceRunner.Report report = runner.run(kind);
            boolean ok = runner.print(report, false);
            assertThat(report.results()).as(kind.name()).hasSizeGreaterThanOrEqualTo(20);
            assertThat(ok).as(buf.toString(StandardCharsets.UTF_8)).isTrue();
        }
    }

    @Test
    void twinsPairLlamaCppAndExactReferences() {
        assertThat(ConformanceRunner.twin("m/gguf-q8_0/llama.cpp/s1")).isEqualTo("m/gguf-q8_0/exact/s1");
        assertThat(ConformanceRunner.twin("m/gguf-q8_0/exact/s1")).isEqualTo("m/gguf-q8_0/llama.cpp/s1");
        assertThat(ConformanceRunner.twin("m/hf-bf16/s1")).isNull();
    }
}
