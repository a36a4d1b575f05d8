package baleine.cli;

import baleine.format.WeightMemory;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.MemoryBandwidth;
import baleine.tensor.Parallel;
import baleine.writer.DemoModel;
import baleine.writer.GgufFileType;
import baleine.writer.ModelSpec;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's performance table in one command: writes the bench models that are missing, measures
 * each like llama-bench (pp64 and tg32 on two threads, tg32 on one), and prints them next to the
 * llama.cpp anchors measured on the CI machine kind (2 cores, AVX-512), with the decode roofline; or, given llama.cpp's
 * llama-bench, next to llama.cpp measured on this machine right after each model.
 * Each model is measured in a JVM of its own, started with this one's options, as a separate {@code bench}
 * run would be: in one JVM the kernels compiled for the models before changed how C2 compiled the next
 * model's (Qwen Q8_0 after the V2-Lite models: pp64 357, tg32 59, one thread 23 tok/s; alone 412, 76, 43).
 */
@Command(name = "bench-suite", description = {
        "Bench every bench model and print the performance table (pp64 / tg32 next to llama.cpp's anchors).",
        "Writes the bench models (random weights, real shapes, 4 layers; one also at its real depth) where missing; the table also gives each row's decode roofline.",
        "With --llama-bench, llama.cpp is measured on each GGUF model right after Baleine, in place of the anchors."})
final class BenchSuiteCommand implements Callable<Integer> {
    /** One bench model; llama.cpp's anchors as [low, high] tokens/s, null where the issue gives none. */
    record Entry(String label, String preset, String type, double[] pp64, double[] tg32, double[] tg32OneThread) {
        /** A preset name with a depth: that preset at N layers ({@code qwen2-1.5b-shape-28-layers}). */
        private static final Pattern AT_DEPTH = Pattern.compile("(.+)-(\\d+)-layers");

        String fileName() {
            return preset + "-" + type.toLowerCase() + (type.equals("FP8") ? "" : ".gguf");
        }

        /** The model's shape: its preset's (few layers), or, for a name {@code PRESET-N-layers}, that preset's at N layers. */
        ModelSpec spec() {
            Matcher depth = AT_DEPTH.matcher(preset);
            return depth.matches() ? ModelPresets.ALL.get(depth.group(1)).withLayers(Integer.parseInt(depth.group(2))) : ModelPresets.ALL.get(preset);
        }
    }

    /**
     * One model's measurements; only for the MoE Q8_0 model, {@code deep} (tg32 at {@code --depth}) and {@code shallow}
     * (tg32 on an empty context, its repetitions alternating with deep's).
     */
    record Result(String preset, String type, double[] pp, double[] tg, double[] tg1, double[] deep, double[] shallow, long decodeBytes, long allocatedPerToken) {
        Entry entry() {
            return ENTRIES.stream().filter(e -> e.preset().equals(preset) && e.type().equals(type)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no bench model " + preset + " " + type));
        }
    }

    /** The machine's speed at one moment: two threads' memory read bandwidth (bytes/s) and integer arithmetic (steps/s). */
    record Speed(double bandwidth, double compute) {
        /**
         * The machine's typical speed over a suite's measurements: each quantity's median (the middle two's mean for an
         * even count). The runs are judged against it: against the best, one outlying high measurement could put every row
         * in a slow spell.
         */
        static Speed typical(List<Speed> measured) {
            return new Speed(median(measured.stream().mapToDouble(Speed::bandwidth).sorted().toArray()),
                    median(measured.stream().mapToDouble(Speed::compute).sorted().toArray()));
        }

        private static double median(double[] sorted) {
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    /**
     * One run of a model in its own JVM, with the machine's speed measured just before and just after it, and llama-bench's
     * run right after it ({@code llama}: null without {@code --llama-bench}, for a model it cannot read, or where it failed).
     */
    record Attempt(Result result, Speed before, Speed after, LlamaBench.Result llama) {
        boolean boxed() {
            return BenchCommand.boxed(result.allocatedPerToken());
        }

        /**
         * How fast the machine ran around this run, against its typical speed in the suite ({@link Speed#typical}): the
         * lowest of the four measurements' shares of theirs (a slow spell dips one of them, memory or CPU time).
         */
        double share(Speed typical) {
            return Math.min(Math.min(before.bandwidth(), after.bandwidth()) / typical.bandwidth(),
                    Math.min(before.compute(), after.compute()) / typical.compute());
        }

        /** What bounds the row's decoding: the higher bandwidth of the two (one measurement at the end put a BF16 row at 114%). */
        double bandwidth() {
            return Math.max(before.bandwidth(), after.bandwidth());
        }

        /** Two threads' decoding against one thread's. */
        double scaling() {
            return BenchCommand.mean(result.tg()) / BenchCommand.mean(result.tg1());
        }

        /** Whether a core was taken from the run: two threads decoded less than {@link #POOR_SCALING} times as fast as one. */
        boolean scaledPoorly() {
            return scaling() < POOR_SCALING;
        }

        /** Whether the row is not representative of the machine: run in a slow spell, or with a core taken from it. */
        boolean slow(Speed typical) {
            return share(typical) < SLOW_SPELL || scaledPoorly();
        }

        /** Whether to measure the model again: boxed, or slow. */
        boolean suspect(Speed typical) {
            return boxed() || slow(typical);
        }
    }

    /** A run around which the machine measured below this share of its typical speed in the suite ran in a slow spell. */
    static final double SLOW_SPELL = 0.8;

    /**
     * Decoding on two threads runs 1.7–2.0x as fast as on one on this machine kind (memory-bound, and each core keeps
     * its own streams in flight); a run at 1.2x had lost a core to the VM for a while, which neither the bandwidth
     * nor the arithmetic measured around it need show (Qwen Q6_K tg32 31.2 against one thread's 26.6, 51.1 in another run).
     */
    static final double POOR_SCALING = 1.4;

    /** The attempt the table shows: unboxed first, then one that scaled, then the one the machine ran fastest around. */
    static Attempt pick(List<Attempt> attempts, Speed typical) {
        return attempts.stream().max(Comparator.comparing((Attempt a) -> !a.boxed()).thenComparing(a -> !a.scaledPoorly())
                .thenComparingDouble(a -> a.share(typical))).orElseThrow();
    }

    /** The table's type cell: the type, starred when even the run shown was slow. */
    static String typeCell(Attempt shown, Speed typical) {
        return shown.result().type() + (shown.slow(typical) ? " *" : "");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static final List<Entry> ENTRIES = List.of(
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "Q8_0", new double[]{145, 244}, new double[]{42, 61}, new double[]{28, 29}),
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "Q4_0", new double[]{266, 307}, new double[]{63, 70}, new double[]{26, 30}),
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "Q4_K", null, null, null),
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "Q4_K_M", null, null, null),
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "Q5_K_M", null, null, null),
            new Entry("DeepSeek-V2-Lite shape (2.25 B)", "deepseek-v2-lite-shape", "BF16", null, null, null),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q8_0", new double[]{452, 545}, new double[]{68, 68}, new double[]{36, 39}),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q4_0", new double[]{924, 996}, new double[]{87, 93}, new double[]{39, 52}),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q4_K", null, null, null),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q4_K_M", null, null, null),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q5_K_M", null, null, null),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "Q6_K", null, null, null),
            new Entry("R1-Distill-Qwen-1.5B shape (654 M)", "qwen2-1.5b-shape", "BF16", null, null, null),
            // the real model's depth: the 4-layer models spend much of a token in their output head, a real file's 28
            // layers mostly in Q4_K (the performance log, session 64)
            new Entry("R1-Distill-Qwen-1.5B shape, 28 layers (1.78 B)", "qwen2-1.5b-shape-28-layers", "Q4_K_M", null, null, null),
            new Entry("DeepSeek-V3 shape, 2 layers, 8 experts (1.64 B)", "deepseek-v3-shape", "FP8", null, null, null));

    @Option(names = "--dir", description = "where the bench models are (written there when missing; default ~/.cache/baleine/bench)")
    Path dir;

    @Option(names = "--memory", paramLabel = "MODE", defaultValue = "auto", converter = ModelOptions.MemoryMode.class, description = ModelOptions.MEMORY_HELP)
    WeightMemory memory;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "repetitions per test (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--only", split = ",", description = "presets and / or types to run: qwen2-1.5b-shape,Q8_0 is that preset in that type; several presets (or types) run each (default: all)")
    List<String> only;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "SECONDS", description = "unmeasured repetitions before each test, as bench's --warmup (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--depth", defaultValue = "4096", description = "context depth for the MoE Q8_0 long-context decode test (0 skips it; default ${DEFAULT-VALUE})")
    int depth;

    @Option(names = "--retries", defaultValue = "1", description = "measure a model again, up to this many times, when the machine's memory bandwidth or "
            + "arithmetic around its run fell below 80%% of their medians over this suite, or two threads decoded less than 1.4x as fast as one (a slow "
            + "spell), or its decoding compiled boxed; the table keeps the unboxed run that scaled and the machine ran fastest around "
            + "(default ${DEFAULT-VALUE}; 0: never)")
    int retries;

    @Option(names = "--llama-bench", paramLabel = "PATH", description = "llama.cpp's llama-bench (scripts/build-llama-cpp builds one): run on each "
            + "GGUF bench model right after Baleine, with the same tests and repetitions, its speeds in the table in place of the issue's anchors")
    Path llamaBench;

    /** Set in the JVM started per model: measure the models named here and print each result as a JSON line. */
    @Option(names = "--measure-here", hidden = true)
    boolean measureHere;

    /**
     * The bench models {@code --only} names (all when null): each value is a preset or a type; the models of
     * the named presets (all presets when none is named) in the named types (all types when none is named).
     */
    static List<Entry> choose(List<String> only) {
        if (only == null) {
            return ENTRIES;
        }
        List<String> presets = new ArrayList<>(), types = new ArrayList<>();
        for (String o : only) {
            if (ENTRIES.stream().anyMatch(e -> e.preset().equalsIgnoreCase(o))) {
                presets.add(o);
            } else if (ENTRIES.stream().anyMatch(e -> e.type().equalsIgnoreCase(o))) {
                types.add(o);
            } else {
                throw new IllegalArgumentException("--only: '" + o + "' is neither a bench preset ("
                        + String.join(", ", ENTRIES.stream().map(Entry::preset).distinct().toList()) + ") nor a type ("
                        + String.join(", ", ENTRIES.stream().map(Entry::type).distinct().toList()) + ")");
            }
        }
        List<Entry> chosen = ENTRIES.stream()
                .filter(e -> presets.isEmpty() || presets.stream().anyMatch(e.preset()::equalsIgnoreCase))
                .filter(e -> types.isEmpty() || types.stream().anyMatch(e.type()::equalsIgnoreCase))
                .toList();
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("--only " + String.join(",", only) + " matches no bench model: no preset named is written in a type named");
        }
        return chosen;
    }

    @Override
    public Integer call() throws Exception {
        if (reps < 1 || depth < 0 || retries < 0 || !(warmup >= 0)) {
            throw new IllegalArgumentException("-r must be >= 1, --depth, --retries and --warmup >= 0");
        }
        if (llamaBench != null && !Files.isExecutable(llamaBench)) {
            throw new IllegalArgumentException("--llama-bench " + llamaBench + ": no executable file there (scripts/build-llama-cpp builds one)");
        }
        List<Entry> chosen = choose(only);
        Path models = dir != null ? dir : Path.of(System.getProperty("user.home"), ".cache", "baleine", "bench");
        Files.createDirectories(models);
        if (measureHere) {
            for (Entry e : chosen) {
                System.out.println(JSON.writeValueAsString(measure(ensure(models, e), e)));
            }
            return 0;
        }
        for (Entry e : chosen) {
            ensure(models, e); // all written first, so that nothing but a model's bench runs between two measurements
        }
        // the bandwidth is measured here, not in the models' JVMs (a vector loop compiled before the kernels can change
        // how C2 compiles them), before the first model and after each: the VM's bandwidth moves by half from one phase
        // to the next, within minutes. A model whose run was boxed or slow (Attempt.suspect: a dip of the bandwidth or of
        // the arithmetic measured around it, or two threads barely faster than one) is measured again after all the
        // others, up to --retries times (in four suite runs in a row at least one row fell in a slow spell)
        List<List<Attempt>> attempts = new ArrayList<>();
        List<String> llamaFailures = new ArrayList<>();
        Speed last = speed();
        List<Speed> measured = new ArrayList<>(List.of(last));
        for (int round = 0; round <= retries; round++) {
            Speed typical = Speed.typical(measured);
            for (int i = 0; i < chosen.size(); i++) {
                if (round == 0) {
                    attempts.add(new ArrayList<>());
                } else if (!pick(attempts.get(i), typical).suspect(typical)) {
                    continue;
                }
                Result r = measureInOwnJvm(models, chosen.get(i));
                LlamaBench.Result llama = null;
                if (llamaBench != null && !chosen.get(i).type().equals("FP8")) { // llama.cpp reads GGUF files only
                    try {
                        llama = LlamaBench.run(llamaBench, ensure(models, chosen.get(i)), reps);
                    } catch (IOException failure) {
                        llamaFailures.add(failure.getMessage());
                    }
                }
                Speed after = speed();
                attempts.get(i).add(new Attempt(r, last, after, llama));
                last = after;
                measured.add(after);
            }
        }
        Speed typical = Speed.typical(measured);
        List<Attempt> shown = attempts.stream().map(a -> pick(a, typical)).toList();
        List<Result> results = shown.stream().map(Attempt::result).toList();
        double[] bandwidth = shown.stream().mapToDouble(Attempt::bandwidth).toArray();
        String builds = String.join(", ", shown.stream().filter(a -> a.llama() != null).map(a -> a.llama().build()).distinct().toList());
        System.out.printf("Memory read bandwidth (2 threads), the higher of two measurements around each model: %s GB/s; each row's roofline uses its own. tok/s, "
                + "mean ± stddev of %d repetitions; %s and (in parentheses) Baleine's mean over %s.%n%n",
                range(Arrays.stream(bandwidth).map(b -> b / 1e9).toArray()), reps,
                llamaBench == null ? "llama.cpp anchors" : "llama.cpp measured on this machine right after each model (llama-bench" + (builds.isEmpty() ? "" : ", build " + builds) + ")",
                llamaBench == null ? "the anchor range's midpoint" : "llama.cpp's");
        String llamaColumn = llamaBench == null ? "llama.cpp" : "llama.cpp here";
        System.out.printf("| bench model | type | pp64 | %1$s pp64 | tg32 | %1$s tg32 | tg32, 1 thread | %1$s, 1 thread | tg32 vs decode roofline (tok/s) | heap per tg token |%n", llamaColumn);
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        String depthNote = "";
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            LlamaBench.Result llama = shown.get(i).llama();
            double roofline = bandwidth[i] / r.decodeBytes();
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %.0f%% of %.1f | %s |%n", r.entry().label(), typeCell(shown.get(i), typical),
                    cell(r.pp()), llamaBench != null ? measured(llama == null ? null : llama.pp(), r.pp()) : anchor(r.entry().pp64(), r.pp()),
                    cell(r.tg()), llamaBench != null ? measured(llama == null ? null : llama.tg(), r.tg()) : anchor(r.entry().tg32(), r.tg()),
                    cell(r.tg1()), llamaBench != null ? measured(llama == null ? null : llama.tg1(), r.tg1()) : anchor(r.entry().tg32OneThread(), r.tg1()),
                    100 * BenchCommand.mean(r.tg()) / roofline, roofline, InfoCommand.bytes(r.allocatedPerToken()));
            if (r.deep() != null) {
                depthNote = String.format("%s %s at depth %d: tg32 %s tok/s, %.0f%% of its depth-0 speed measured alongside (%s tok/s, the "
                                + "repetitions alternating; %.0f%% of the table's tg32).", r.entry().label(), r.type(), depth, cell(r.deep()),
                        100 * BenchCommand.mean(r.deep()) / BenchCommand.mean(r.shallow()), cell(r.shallow()),
                        100 * BenchCommand.mean(r.deep()) / BenchCommand.mean(r.tg()));
            }
        }
        if (!depthNote.isEmpty()) {
            System.out.println();
            System.out.println(depthNote);
        }
        if (shown.stream().anyMatch(a -> a.slow(typical))) {
            System.out.printf("%n* measured while the machine ran below %.0f%% of its typical speed in this suite (the median of its measurements), or with two threads decoding less than %.1fx "
                    + "as fast as one (a slow spell): not representative.%n", 100 * SLOW_SPELL, POOR_SCALING);
        }
        for (List<Attempt> a : attempts) {
            if (a.size() > 1) {
                Result r = a.getFirst().result();
                System.out.printf("%n%s %s measured %d times (the machine around each run, its slower measurement against the suite's typical speed: %s); the table shows run %d.%n",
                        r.entry().label(), r.type(), a.size(), String.join(", ", a.stream().map(t -> String.format("%.0f%%%s%s", 100 * t.share(typical),
                                t.boxed() ? " (boxed)" : "", t.scaledPoorly() ? String.format(" (two threads %.2fx one)", t.scaling()) : "")).toList()),
                        a.indexOf(pick(a, typical)) + 1);
            }
        }
        for (String failure : llamaFailures) {
            System.out.printf("%n%s%n", failure);
        }
        for (Result r : results) {
            BenchCommand.boxedWarning(r.entry().label() + " " + r.type() + " tg32", r.allocatedPerToken()).ifPresent(w -> System.out.printf("%n%s%n", w));
        }
        return 0;
    }

    /** Two threads' memory read bandwidth and integer arithmetic, now. */
    private static Speed speed() {
        try {
            Parallel.setThreads(2);
            return new Speed(MemoryBandwidth.measure(1L << 30, 3), compute());
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    private static final long COMPUTE_STEPS = 50_000_000;

    /** Xorshift steps per second on every thread at once, best of three passes: the CPU time the machine gives. */
    private static double compute() {
        long[] state = new long[Parallel.threads()];
        double best = 0;
        for (int pass = 0; pass < 3; pass++) {
            long t0 = System.nanoTime();
            Parallel.forEach(state.length, t -> state[t] = xorshift(state[t] + t + 1, COMPUTE_STEPS));
            best = Math.max(best, state.length * COMPUTE_STEPS / ((System.nanoTime() - t0) / 1e9));
        }
        return best;
    }

    private static long xorshift(long x, long steps) {
        for (long i = 0; i < steps; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

    /** "low–high" of {@code values} to one decimal, or the one value when they all round alike. */
    static String range(double[] values) {
        String low = String.format("%.1f", Arrays.stream(values).min().orElseThrow()), high = String.format("%.1f", Arrays.stream(values).max().orElseThrow());
        return low.equals(high) ? low : low + "–" + high;
    }

    /** Measures {@code file} (bench model {@code e}) in this JVM: pp64 and tg32 on two threads, tg32 on one. */
    private Result measure(Path file, Entry e) {
        System.err.println("benching " + file + " ...");
        try (DecoderModel m = Architectures.load(file, memory)) {
            Random rnd = new Random(1);
            Parallel.setThreads(2);
            double[] pp = BenchCommand.measure(m, "pp64", 64, 0, 0, reps, warmup, rnd).tokensPerSecond();
            BenchCommand.Test tgTest = BenchCommand.measure(m, "tg32", 0, 32, 0, reps, warmup, rnd);
            BenchCommand.Test[] depths = depth > 0 && e.preset().equals("deepseek-v2-lite-shape") && e.type().equals("Q8_0")
                    ? BenchCommand.measureAlternating(m, "tg32", 32, depth, reps, warmup, rnd) : null;
            Parallel.setThreads(1);
            double[] tg1 = BenchCommand.measure(m, "tg32", 0, 32, 0, reps, warmup, rnd).tokensPerSecond();
            return new Result(e.preset(), e.type(), pp, tgTest.tokensPerSecond(), tg1, depths == null ? null : depths[1].tokensPerSecond(),
                    depths == null ? null : depths[0].tokensPerSecond(), m.info().decodeWeightBytes(), tgTest.allocatedPerToken());
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    /** Runs {@code bench-suite --measure-here} for bench model {@code e} in a new JVM with this one's options. */
    private Result measureInOwnJvm(Path models, Entry e) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(childJvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench-suite", "--measure-here",
                "--only", e.preset() + "," + e.type(), "--dir", models.toString(), "--memory", memory.cliName(),
                "-r", String.valueOf(reps), "--warmup", String.valueOf(warmup), "--depth", String.valueOf(depth)));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = child.waitFor();
        if (rc != 0) {
            throw new IllegalStateException("benching " + e.fileName() + " failed (exit status " + rc + "; its error is above)");
        }
        return parseResult(out);
    }

    /**
     * This JVM's options for a per-model JVM, less those that attach something once per process (a debugger's
     * port, an agent, a flight recording's file): two JVMs holding one would fail or overwrite each other.
     */
    static List<String> childJvmOptions(List<String> options) {
        return options.stream().filter(o -> !(o.startsWith("-agentlib:") || o.startsWith("-agentpath:") || o.startsWith("-javaagent:")
                || o.startsWith("-Xrunjdwp") || o.startsWith("-XX:StartFlightRecording") || o.startsWith("-XX:+FlightRecorder"))).toList();
    }

    /** The JSON line a {@code --measure-here} run printed last. */
    static Result parseResult(String out) throws IOException {
        String[] lines = out.strip().split("\\R");
        return JSON.readValue(lines[lines.length - 1], Result.class);
    }

    /** Writes bench model {@code e} where missing, with the demo tokenizer (llama.cpp loads no model without one). */
    private static Path ensure(Path models, Entry e) throws IOException {
        Path file = models.resolve(e.fileName());
        if (Files.exists(file)) {
            return file;
        }
        System.err.println("writing " + file + " (once) ...");
        Path partial = models.resolve(e.fileName() + ".partial");
        if (e.type().equals("FP8")) {
            RandomModelWriter.writeHf(e.spec(), RandomModelWriter.HfType.FP8, 1, partial);
        } else {
            ModelSpec spec = e.spec();
            RandomModelWriter.writeGguf(spec, GgufFileType.parse(e.type()), 1, partial, true, w -> DemoModel.addTokenizer(w, spec.vocab()));
        }
        Files.move(partial, file);
        return file;
    }

    private static String cell(double[] ts) {
        return String.format("%.1f ± %.1f", BenchCommand.mean(ts), BenchCommand.stddev(ts));
    }

    /** llama.cpp's speeds measured here and Baleine's ratio to them; empty where it was not measured. */
    static String measured(double[] llama, double[] ours) {
        return llama == null ? "" : String.format("%s (%.2fx)", cell(llama), BenchCommand.mean(ours) / BenchCommand.mean(llama));
    }

    private static String anchor(double[] range, double[] ours) {
        if (range == null) {
            return "";
        }
        String r = range[0] == range[1] ? String.format("%.0f", range[0]) : String.format("%.0f–%.0f", range[0], range[1]);
        return String.format("%s (%.2fx)", r, BenchCommand.mean(ours) / Arrays.stream(range).average().orElseThrow());
    }
}
