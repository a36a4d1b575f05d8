package baleine.conformance;

import baleine.SharedFixtures;
import baleine.cache.CacheType;
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

    @Test
    void exactCasesPassOnTheirOwnWithoutHelpFromTheirTwin() {
        ConformanceRunner runner = new ConformanceRunner(SharedFixtures.conformance(), new PrintStream(new ByteArrayOutputStream()));
        ConformanceRunner.Report report = runner.run(ConformanceRunner.Kind.LOGITS);
        assertThat(report.results().stream().filter(r -> !r.name().contains("/llama.cpp/")))
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
