package baleine.cli;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Drives the real command line in-process, capturing what a user would see. */
class CliTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        StringWriter picoErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(picoErr, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picoErr);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void everyOptionOfEveryCommandSaysWhatItDoes() {
        List<String> undescribed = new java.util.ArrayList<>();
        for (CommandLine sub : Main.commandLine().getSubcommands().values()) {
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
                if (!o.hidden() && String.join("", o.description()).isBlank()) {
                    undescribed.add(sub.getCommandName() + " " + o.longestName());
                }
            }
            for (CommandLine.Model.PositionalParamSpec p : sub.getCommandSpec().positionalParameters()) {
                if (String.join("", p.description()).isBlank()) {
                    undescribed.add(sub.getCommandName() + " " + p.paramLabel());
                }
            }
        }
        assertThat(undescribed).isEmpty();
    }

    @Test
    void writeRandomThenInfoShowsArchitectureParametersTypesAndCache(@TempDir Path dir) {
        Path model = dir.resolve("v3.gguf");
        Run w = run("write-random", "--preset", "tiny-deepseek-v3", "--type", "q8_0", model.toString());
        assertThat(w.exit()).as(w.err()).isZero();
        Run info = run("info", model.toString());
        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(info.out()).contains("architecture:  deepseek2", "MLA", "total", "active per token", "Q8_0", "KV cache:",
                "48 values per token per layer");
        // 3 layers x 48 values: 4, 2, 2 bytes per value; q8_0 two blocks of 32 (one partial) at 36 bytes
        assertThat(info.out()).contains("per token f32 576 B, f16 288 B, bf16 288 B, q8_0 216 B (--cache-type)");
    }

    @Test
    void showDescribesAModelWithoutATokenizerToo(@TempDir Path dir) {
        Path model = dir.resolve("v3.gguf");
        assertThat(run("write-random", "--preset", "tiny-deepseek-v3", "--type", "q8_0", model.toString()).exit()).isZero();
        Run show = run("show", model.toString());
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("architecture:   deepseek2", "quantization:   Q8_0",
                "chat template:  none (no tokenizer: `bench` can measure this model, nothing can run it)");
    }

    @Test
    void benchWritesLlamaBenchFieldsAndTheDecodeRoofline(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("v3.gguf");
        assertThat(run("write-random", "--preset", "tiny-deepseek-v3", "--type", "q8_0", model.toString()).exit()).isZero();
        Run bench = run("bench", model.toString(), "-p", "8", "-n", "4", "-r", "2", "-t", "2", "--warmup", "0.2", "-o", "json");
        assertThat(bench.exit()).as(bench.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode tests = new com.fasterxml.jackson.databind.ObjectMapper().readTree(bench.out());
        assertThat(tests).hasSize(2);
        assertThat(tests.get(0).get("n_prompt").asInt()).isEqualTo(8);
        assertThat(tests.get(1).get("n_gen").asInt()).isEqualTo(4);
        for (var t : tests) {
            assertThat(t.get("n_threads").asInt()).isEqualTo(2);
            assertThat(t.get("avg_ts").asDouble()).isPositive();
            assertThat(t.get("samples_ts")).hasSize(2);
            assertThat(t.get("mem_read_bytes_per_s").asDouble()).isPositive();
            assertThat(t.get("decode_weight_bytes").asLong()).isPositive();
            assertThat(t.get("warmup_reps").asInt()).isPositive(); // at least one, then as many as 0.2 s takes
            assertThat(t.get("load_s").asDouble()).isPositive();
        }
        assertThat(tests.get(1).get("roofline_pct").asDouble()).isPositive();
        // measured by all threads (the logits buffer is reused, but each step's input and bookkeeping are new)
        assertThat(tests.get(1).get("alloc_bytes_per_token").asLong()).isPositive();
        Run table = run("bench", model.toString(), "-p", "0", "-n", "2", "-r", "1", "--warmup", "0", "--no-bandwidth");
        assertThat(table.out()).contains("| tg2 |", "KV cache", "tg2 allocates", "after 1 warm-up repetition)").doesNotContain("roofline");
        // after a context: prefilled once, the cache cut back to it before each repetition (three here)
        Run deep = run("bench", model.toString(), "-p", "3", "-n", "2", "-r", "2", "--warmup", "0", "-d", "20", "--no-bandwidth", "-o", "json");
        assertThat(deep.exit()).as(deep.err()).isZero();
        assertThat(deep.out()).contains("\"n_depth\" : 20");
        // bench-suite's long-context test: an empty context and a deep one, their repetitions alternating
        try (var m = baleine.model.Architectures.load(model)) {
            BenchCommand.Test[] pair = BenchCommand.measureAlternating(m, "tg2", 2, 20, 3, 0, new java.util.Random(1));
            assertThat(pair).extracting(BenchCommand.Test::depth).containsExactly(0, 20);
            for (BenchCommand.Test t : pair) {
                assertThat(t.samplesNs()).hasSize(3).allMatch(ns -> ns > 0);
                assertThat(t.tokens()).isEqualTo(2);
            }
            assertThat(pair[1].kvBytes()).isGreaterThan(pair[0].kvBytes()); // 22 cached tokens against 2
        }
        assertThat(run("bench", model.toString(), "--warmup", "-1").err()).contains("--warmup must be >= 0");
        Run mapped = run("bench", model.toString(), "-p", "0", "-n", "1", "-r", "1", "--warmup", "0", "--no-bandwidth", "--memory", "map");
        assertThat(mapped.out()).contains("loaded in ", "weights mapped from the file");
        assertThat(run("bench", model.toString(), "--memory", "swap").err()).contains("unknown memory mode 'swap'");
        // a 16-bit cache: half the bytes per token, named with llama-bench's fields
        Run halves = run("bench", model.toString(), "-p", "3", "-n", "2", "-r", "1", "--warmup", "0", "-d", "20", "--no-bandwidth",
                "--cache-type", "bf16", "-o", "json");
        assertThat(halves.exit()).as(halves.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode half = new com.fasterxml.jackson.databind.ObjectMapper().readTree(halves.out()).get(0);
        com.fasterxml.jackson.databind.JsonNode full = new com.fasterxml.jackson.databind.ObjectMapper().readTree(deep.out()).get(0);
        assertThat(half.get("type_k").asText()).isEqualTo("bf16");
        assertThat(full.get("type_v").asText()).isEqualTo("f32");
        assertThat(2 * half.get("kv_cache_bytes").asLong()).isEqualTo(full.get("kv_cache_bytes").asLong());
        assertThat(run("bench", model.toString(), "--cache-type", "q4_0").err()).contains("unknown cache type 'q4_0'; use f32, f16, bf16");
        // llama-bench's value lists: every thread count x depth, its pp tests then its tg tests
        Run lists = run("bench", model.toString(), "-p", "2,3", "-n", "2", "-t", "1,2", "-d", "0,5", "-r", "1", "--warmup", "0",
                "--no-bandwidth", "-o", "json");
        assertThat(lists.exit()).as(lists.err()).isZero();
        List<String> combos = new java.util.ArrayList<>();
        for (var t : new com.fasterxml.jackson.databind.ObjectMapper().readTree(lists.out())) {
            combos.add(t.get("n_threads").asInt() + "/" + t.get("n_depth").asInt() + "/" + t.get("n_prompt").asInt() + "/" + t.get("n_gen").asInt());
        }
        assertThat(combos).containsExactly("1/0/2/0", "1/0/3/0", "1/0/0/2", "1/5/2/0", "1/5/3/0", "1/5/0/2",
                "2/0/2/0", "2/0/3/0", "2/0/0/2", "2/5/2/0", "2/5/3/0", "2/5/0/2");
        Run listTable = run("bench", model.toString(), "-p", "0", "-n", "1", "-t", "1,2", "-r", "1", "--warmup", "0", "--no-bandwidth");
        assertThat(listTable.out()).contains("| 1 | tg1 |", "| 2 | tg1 |", "tg1 (1 thread) allocates", "tg1 (2 threads) allocates");
        Run jsonl = run("bench", model.toString(), "-p", "2", "-n", "1", "-r", "2", "--warmup", "0", "--no-bandwidth", "-o", "jsonl");
        List<String> lines = jsonl.out().strip().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(1)).get("n_gen").asInt()).isEqualTo(1);
        Run csv = run("bench", model.toString(), "-p", "2", "-n", "1", "-r", "2", "--warmup", "0", "--no-bandwidth", "-o", "csv");
        List<String> rows = csv.out().strip().lines().toList();
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).startsWith("\"model_filename\",").contains("\"n_prompt\",\"n_gen\",\"n_depth\"", "\"avg_ts\"", "\"samples_ts\"");
        assertThat(rows.get(2)).matches(".*\"[0-9.]+,[0-9.]+\"$"); // the two samples, quoted together
        assertThat(run("bench", model.toString(), "-o", "sql").err()).contains("-o must be md, json, jsonl or csv, got 'sql'");
        assertThat(run("bench", model.toString(), "-p", "0", "-n", "0").err()).contains("nothing to measure: -p and -n are both 0");
        assertThat(run("bench", model.toString(), "-d", "100000000", "-n", "1").err())
                .contains("the longest test needs 100000064 tokens of context (-d plus -p or -n), more than the model's");
        assertThat(run("bench", model.toString(), "-t", "2,0").err()).contains("thread count must be at least 1, got 0");
        assertThat(run("bench", model.toString(), "-p", "8,-1").err()).contains("-p, -n, -d and --warmup must be >= 0");
        // sequences side by side (llama-batched-bench's -npl): B prompts in one pass, B sequences stepped together
        Run batched = run("bench", model.toString(), "-p", "3", "-n", "2", "--sequences", "1,3", "-r", "1", "--warmup", "0", "--no-bandwidth", "-o", "json");
        assertThat(batched.exit()).as(batched.err()).isZero();
        List<String> seqs = new java.util.ArrayList<>();
        for (var t : new com.fasterxml.jackson.databind.ObjectMapper().readTree(batched.out())) {
            seqs.add(t.get("n_seq").asInt() + "/" + t.get("n_prompt").asInt() + "/" + t.get("n_gen").asInt());
        }
        assertThat(seqs).containsExactly("1/3/0", "1/0/2", "3/3/0", "3/0/2");
        assertThat(run("bench", model.toString(), "-p", "0", "-n", "1", "--sequences", "2", "-r", "1", "--warmup", "0", "--no-bandwidth").out())
                .contains("| tg1 x2 |", "tg1 x2 allocates");
        assertThat(run("bench", model.toString(), "--sequences", "0").err()).contains("--sequences must be from 1 to 64, got [0]");
    }

    @Test
    void badInputGivesOneLineErrorsAndNonZeroExit(@TempDir Path dir) {
        Run missing = run("info", dir.resolve("missing.gguf").toString());
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err().strip()).startsWith("error: model '" + dir.resolve("missing.gguf") + "' not found").doesNotContain("\tat ");
        Run preset = run("write-random", "--preset", "gpt5", dir.resolve("x.gguf").toString());
        assertThat(preset.exit()).isNotZero();
        assertThat(preset.err()).contains("unknown preset 'gpt5'");
        Run suite = run("bench-suite", "--dir", dir.resolve("only").toString(), "--only", "gpt5");
        assertThat(suite.exit()).isNotZero();
        assertThat(suite.err()).contains("--only: 'gpt5' is neither a bench preset (deepseek-v2-lite-shape, ").contains(") nor a type (Q8_0, ");
        assertThat(dir.resolve("only")).doesNotExist(); // refused before anything is written
        assertThat(BenchSuiteCommand.choose(List.of("qwen2-1.5b-shape", "q8_0"))).extracting(BenchSuiteCommand.Entry::fileName)
                .containsExactly("qwen2-1.5b-shape-q8_0.gguf"); // a preset and a type: that model, not every model of either
        assertThat(BenchSuiteCommand.choose(List.of("Q4_0", "Q4_K"))).extracting(BenchSuiteCommand.Entry::fileName).containsExactly(
                "deepseek-v2-lite-shape-q4_0.gguf", "deepseek-v2-lite-shape-q4_k.gguf", "qwen2-1.5b-shape-q4_0.gguf", "qwen2-1.5b-shape-q4_k.gguf");
        assertThat(BenchSuiteCommand.choose(null)).isEqualTo(BenchSuiteCommand.ENTRIES);
        // the real depth's model: a preset of its own ("PRESET-N-layers"), that preset's shape at N layers
        BenchSuiteCommand.Entry deep = BenchSuiteCommand.choose(List.of("qwen2-1.5b-shape-28-layers")).getFirst();
        assertThat(deep.fileName()).isEqualTo("qwen2-1.5b-shape-28-layers-q4_k_m.gguf");
        assertThat(deep.spec().layers()).isEqualTo(28);
        assertThat(deep.spec().vocab()).isEqualTo(BenchSuiteCommand.choose(List.of("qwen2-1.5b-shape", "Q4_K_M")).getFirst().spec().vocab());
        assertThat(BenchSuiteCommand.choose(List.of("qwen2-1.5b-shape", "Q4_K_M"))).extracting(BenchSuiteCommand.Entry::fileName)
                .containsExactly("qwen2-1.5b-shape-q4_k_m.gguf"); // the preset's own depth only
        assertThatThrownBy(() -> BenchSuiteCommand.choose(List.of("qwen2-1.5b-shape", "FP8"))).hasMessageContaining("matches no bench model");
        Run retries = run("bench-suite", "--dir", dir.resolve("suite").toString(), "--retries", "-1");
        assertThat(retries.exit()).isNotZero();
        assertThat(retries.err()).contains("--retries and --warmup >= 0").doesNotContain("\tat ");
        Run suiteMemory = run("bench-suite", "--dir", dir.resolve("suite").toString(), "--memory", "swap");
        assertThat(suiteMemory.err()).contains("unknown memory mode 'swap'");
        assertThat(dir.resolve("suite")).doesNotExist(); // refused before its directory or any bench model is written
        Run conformance = run("conformance", dir.toString());
        assertThat(conformance.exit()).isNotZero();
        assertThat(conformance.err()).contains("no manifest.json");
    }

    @Test
    void benchSuiteMeasuresAgainWhatRanBoxedOrInASlowSpellOrLostACoreAndShowsTheBestRun() {
        var clean = new BenchSuiteCommand.Result("qwen2-1.5b-shape", "Q4_0", new double[]{1}, new double[]{104}, new double[]{51}, null, null, 1L, 9_400L);
        var boxed = new BenchSuiteCommand.Result("qwen2-1.5b-shape", "Q4_0", new double[]{1}, new double[]{104}, new double[]{51}, null, null, 1L, 8_788_414L);
        var best = new BenchSuiteCommand.Speed(76e9, 2e9);
        var slowMemory = new BenchSuiteCommand.Attempt(clean, new BenchSuiteCommand.Speed(72e9, 2e9), new BenchSuiteCommand.Speed(41e9, 2e9), null);
        var slowCpu = new BenchSuiteCommand.Attempt(clean, new BenchSuiteCommand.Speed(75e9, 1.1e9), new BenchSuiteCommand.Speed(74e9, 2e9), null);
        var steady = new BenchSuiteCommand.Attempt(clean, new BenchSuiteCommand.Speed(66e9, 1.9e9), new BenchSuiteCommand.Speed(70e9, 2e9), null);
        var fastButBoxed = new BenchSuiteCommand.Attempt(boxed, best, best, null);
        assertThat(slowMemory.suspect(best)).isTrue(); // 41 < 80% of 76
        assertThat(slowCpu.suspect(best)).isTrue(); // the bandwidth held, the arithmetic ran at 55%
        assertThat(steady.suspect(best)).isFalse();
        assertThat(steady.share(best)).isCloseTo(66.0 / 76, within(1e-9));
        assertThat(fastButBoxed.suspect(best)).isTrue();
        assertThat(BenchSuiteCommand.pick(List.of(slowMemory, fastButBoxed, steady, slowCpu), best)).isSameAs(steady);
        assertThat(BenchSuiteCommand.pick(List.of(fastButBoxed, slowCpu), best)).isSameAs(slowCpu); // unboxed first, even if slower
        assertThat(steady.bandwidth()).isEqualTo(70e9); // the roofline's bandwidth: the higher of the two around the run
        // the runs are judged against the machine's typical speed (each quantity's median), which one outlier cannot move far
        assertThat(BenchSuiteCommand.Speed.typical(List.of(new BenchSuiteCommand.Speed(1, 5), new BenchSuiteCommand.Speed(3, 2),
                new BenchSuiteCommand.Speed(2, 9)))).isEqualTo(new BenchSuiteCommand.Speed(2, 5));
        assertThat(BenchSuiteCommand.Speed.typical(List.of(new BenchSuiteCommand.Speed(1, 5), new BenchSuiteCommand.Speed(3, 2))))
                .isEqualTo(new BenchSuiteCommand.Speed(2, 3.5));
        var typical = BenchSuiteCommand.Speed.typical(List.of(new BenchSuiteCommand.Speed(70e9, 2e9), new BenchSuiteCommand.Speed(66e9, 1.9e9),
                new BenchSuiteCommand.Speed(72e9, 2e9), new BenchSuiteCommand.Speed(150e9, 2e9))); // one measurement far above the others
        assertThat(steady.slow(typical)).isFalse();
        assertThat(steady.slow(new BenchSuiteCommand.Speed(150e9, 2e9))).isTrue(); // as the suite's best it starred every run
        assertThat(BenchSuiteCommand.typeCell(steady, best)).isEqualTo("Q4_0");
        assertThat(BenchSuiteCommand.typeCell(slowCpu, best)).isEqualTo("Q4_0 *"); // still slow after the retries: marked
        // a core taken during the run, unseen around it: two threads decoding 1.17x as fast as one (normal: 1.7-2.0x)
        var coreTaken = new BenchSuiteCommand.Attempt(new BenchSuiteCommand.Result("qwen2-1.5b-shape", "Q6_K", new double[]{1}, new double[]{31.2},
                new double[]{26.6}, null, null, 1L, 9_400L), best, best, null);
        assertThat(coreTaken.scaledPoorly()).isTrue();
        assertThat(coreTaken.suspect(best)).isTrue();
        assertThat(steady.scaledPoorly()).isFalse();
        assertThat(BenchSuiteCommand.pick(List.of(coreTaken, steady), best)).isSameAs(steady); // though steady's machine measured slower
        assertThat(BenchSuiteCommand.typeCell(coreTaken, best)).isEqualTo("Q6_K *");
    }

    @Test
    void benchSuiteReadsBackWhatEachModelsOwnJvmMeasured() throws Exception {
        var result = new BenchSuiteCommand.Result("deepseek-v2-lite-shape", "Q8_0", new double[]{190.5, 201.25}, new double[]{52.5},
                new double[]{29}, new double[]{44.75}, new double[]{53.5}, 572_000_000L, 9_800L);
        String out = "progress line\n" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(result) + "\n";
        var back = BenchSuiteCommand.parseResult(out);
        assertThat(back).usingRecursiveComparison().isEqualTo(result);
        assertThat(back.entry().label()).isEqualTo("DeepSeek-V2-Lite shape (2.25 B)");
        var noDepth = new BenchSuiteCommand.Result("qwen2-1.5b-shape", "Q4_0", new double[]{1}, new double[]{2}, new double[]{3}, null, null, 1L, 2L);
        assertThat(BenchSuiteCommand.parseResult(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(noDepth)).deep()).isNull();
        assertThat(BenchSuiteCommand.childJvmOptions(List.of("--add-modules=jdk.incubator.vector", "-XX:StartFlightRecording=filename=a.jfr",
                "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-Xmn8m", "-javaagent:x.jar")))
                .containsExactly("--add-modules=jdk.incubator.vector", "-Xmn8m");
        assertThat(BenchSuiteCommand.range(new double[]{57.12, 39.71, 44.0})).isEqualTo("39.7–57.1"); // the header's bandwidths
        assertThat(BenchSuiteCommand.range(new double[]{72.41, 72.38})).isEqualTo("72.4");
        assertThat(BenchCommand.boxedWarning("tg32", 41_800)).isEmpty(); // a K-quant model's normal heap per token
        assertThat(BenchCommand.boxedWarning("tg32", 783L << 20)).get(InstanceOfAssertFactories.STRING)
                .contains("tg32 allocated 783", "boxed", "JIT caveat", "run it again");
        assertThat(BenchCommand.rooflineLine("tg32", 84.6)).isEqualTo("tg32 reaches 85% of the roofline");
        assertThat(BenchCommand.rooflineLine("tg8", 115.2)).startsWith("tg8 reaches 115% of the roofline (above it:")
                .contains("bandwidth was lower when measured");
    }

    @Test
    void aMistypedCommandLineGetsTheProblemAndWhereTheUsageIsNotTheWholeUsage() {
        Run badValue = run("bench", "model.gguf", "--memory", "swap");
        assertThat(badValue.exit()).isEqualTo(2);
        assertThat(badValue.err()).startsWith("error: Invalid value for option '--memory': unknown memory mode 'swap'")
                .contains("Run 'baleine bench --help' for usage.").doesNotContain("Usage:");
        Run misspelt = run("run", "--tempp", "2", "model.gguf");
        assertThat(misspelt.exit()).isEqualTo(2);
        assertThat(misspelt.err()).contains("error: Unknown option", "'--tempp'", "Possible solutions: --temperature", "Run 'baleine run --help'")
                .doesNotContain("Usage:");
        assertThat(run("bench").err()).contains("error: Missing required parameter: 'MODEL'").doesNotContain("Usage:");
        assertThat(run().err()).startsWith("Usage: baleine").contains("serve", "bench");
        for (String command : new String[]{"run", "generate", "serve", "bench", "info", "conformance"}) { // where the hint points
            Run help = run(command, "--help");
            assertThat(help.exit()).as(command).isZero();
            assertThat(help.out()).as(command).startsWith("Usage: baleine " + command);
        }
        assertThat(run("bench", "--version").out()).startsWith("baleine ");
        Run noServer = run("loadtest", "http://127.0.0.1:1/v1", "-d", "1");
        assertThat(noServer.exit()).isNotZero();
        assertThat(noServer.err().strip()).isEqualTo("error: no server answers at http://127.0.0.1:1/v1 (start one with ./baleine serve MODEL)");
    }

    @Test
    void everyCommandsHelpRendersWithoutFormatWarningsAndItsSummaryIsASentence() {
        for (var entry : Main.commandLine().getSubcommands().entrySet()) {
            String command = entry.getKey();
            Run help = run(command, "--help");
            assertThat(help.exit()).as(command).isZero();
            assertThat(help.err()).as(command).doesNotContain("WARN"); // a bare '%' made picocli warn and print it raw
            // the command list shows only a description's first line
            assertThat(entry.getValue().getCommandSpec().usageMessage().description()[0]).as(command).endsWith(".");
        }
    }

    @Test
    void cacheMemorySizesParse() {
        assertThat(ServeCommand.bytes("512M")).isEqualTo(512L << 20);
        assertThat(ServeCommand.bytes("4G")).isEqualTo(4L << 30);
        assertThat(ServeCommand.bytes("2GiB")).isEqualTo(2L << 30);
        assertThat(ServeCommand.bytes("1000")).isEqualTo(1000);
        assertThat(ServeCommand.bytes(null)).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServeCommand.bytes("lots")).hasMessageContaining("not a size");
    }

    @Test
    void perplexityPrintsItsRunningEstimateAndTheFinalOneAsLlamaPerplexity(@TempDir Path dir) throws Exception {
        Path model = baleine.writer.DemoModel.ensure(baleine.writer.DemoModel.cacheDirectory());
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "The whale sang to the sea, and the sea sang back. ".repeat(40));
        Run r = run("perplexity", model.toString(), "-f", text.toString(), "-c", "32", "--chunks", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("\\[1\\][0-9.]+,\\[2\\][0-9.]+,").containsPattern("Final estimate: PPL = [0-9.]+ \\+/- [0-9.]+");
        assertThat(r.err()).contains("chunks of 32 (the last 15 tokens of each scored)", "2 chunks, 30 tokens scored");
        Run self = run("perplexity", model.toString(), "-f", text.toString(), "-c", "32", "--chunks", "2", "--compare", model.toString());
        assertThat(self.exit()).as(self.err()).isZero();
        assertThat(self.out()).contains("PPL / reference PPL: 1.0000", "Same top token: 100.000 %").containsPattern("Mean KLD: -?0\\.0000");
        Files.writeString(text, "Too short.");
        Run shortText = run("perplexity", model.toString(), "-f", text.toString(), "-c", "32");
        assertThat(shortText.exit()).isNotZero();
        assertThat(shortText.err()).contains("perplexity over chunks of 32 needs at least 64: give a longer text or a smaller -c");
        assertThat(run("perplexity", model.toString(), "-f", dir.resolve("missing.txt").toString()).err()).contains("error: cannot read");
    }
}
