package baleine.cli;

import baleine.cache.CacheType;
import baleine.cache.KvCache;
import baleine.format.WeightMemory;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.HugePages;
import baleine.tensor.MemoryBandwidth;
import baleine.tensor.Parallel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * llama-bench's measurements: {@code pp} = tokens/s evaluating a prompt of p tokens in one batch,
 * {@code tg} = tokens/s generating n tokens one at a time, both after an optional context of d tokens.
 */
@Command(name = "bench", description = "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face model directory, or cached owner/name[:QUANT]")
    String model;

    @Option(names = "--pull", description = "download MODEL from the Hugging Face hub first if it is not cached")
    boolean pull;

    @Option(names = "--memory", paramLabel = "MODE", defaultValue = "auto", converter = ModelOptions.MemoryMode.class, description = ModelOptions.MEMORY_HELP)
    WeightMemory memory;

    @Option(names = "--cache-type", paramLabel = "TYPE", defaultValue = "f32", converter = ModelOptions.CacheKind.class, description = ModelOptions.CACHE_HELP)
    CacheType cacheType;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "64", paramLabel = "N[,N...]",
            description = "prompt tokens for pp, one test per value (0 skips pp; default ${DEFAULT-VALUE})")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "32", paramLabel = "N[,N...]",
            description = "generated tokens for tg, one test per value (0 skips tg; default ${DEFAULT-VALUE})")
    List<Integer> gens;

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0", paramLabel = "N[,N...]",
            description = "tokens already in the context; every test runs at each depth (default ${DEFAULT-VALUE})")
    List<Integer> depths;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N[,N...]", description = "worker threads; every test runs with each count (default: all cores)")
    List<Integer> threads;

    @Option(names = "--sequences", split = ",", defaultValue = "1", paramLabel = "B[,B...]",
            description = "sequences side by side, as llama-batched-bench's -npl: a pp test evaluates B prompts of p tokens in one pass, "
                    + "a tg test steps B sequences a token each per pass (as a server's requests decode together); t/s counts the tokens "
                    + "of all B (default ${DEFAULT-VALUE})")
    List<Integer> sequences;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "repetitions (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "SECONDS",
            description = "unmeasured repetitions first: one, then more until this many seconds have passed after it (the JIT compiles the kernels meanwhile: a first 64-token prompt runs at about half speed), and on, up to ten times as long, while a repetition still allocates like code the JIT has not finished; default ${DEFAULT-VALUE}")
    double warmup;

    @Option(names = "--no-bandwidth", description = "skip measuring memory bandwidth (and so the decode roofline)")
    boolean noBandwidth;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md, json, jsonl (an object per line) or csv, with llama-bench's field names (default ${DEFAULT-VALUE})")
    String output;

    /** One test's repetitions; {@code allocatedBytes}: heap allocated by the model's threads over the measured repetitions. */
    record Test(String name, int nPrompt, int nGen, int depth, int sequences, int threads, List<Long> samplesNs, int tokens, long kvBytes,
                long allocatedBytes, int warmupReps) {
        double[] tokensPerSecond() {
            return samplesNs.stream().mapToDouble(ns -> tokens / (ns / 1e9)).toArray();
        }

        /** The test as the table's test column names it: {@code tg32}, with its sequences and depth ({@code tg32 x2 @ d4096}). */
        String title() {
            return name + (sequences > 1 ? " x" + sequences : "") + (depth > 0 ? " @ d" + depth : "");
        }

        /** Heap bytes allocated per evaluated token (the weight kernels allocate none; thousands mean C2 boxed their vectors). */
        long allocatedPerToken() {
            return allocatedBytes / Math.max(1, (long) tokens * samplesNs.size());
        }
    }

    @Override
    public Integer call() throws IOException {
        if (prompts.stream().anyMatch(v -> v < 0) || gens.stream().anyMatch(v -> v < 0) || depths.stream().anyMatch(v -> v < 0) || reps < 1 || !(warmup >= 0)) {
            throw new IllegalArgumentException("-p, -n, -d and --warmup must be >= 0 and -r >= 1");
        }
        if (sequences.stream().anyMatch(v -> v < 1 || v > 64)) {
            throw new IllegalArgumentException("--sequences must be from 1 to 64, got " + sequences);
        }
        if (prompts.stream().allMatch(v -> v == 0) && gens.stream().allMatch(v -> v == 0)) {
            throw new IllegalArgumentException("nothing to measure: -p and -n are both 0");
        }
        if (!List.of("md", "json", "jsonl", "csv").contains(output)) {
            throw new IllegalArgumentException("-o must be md, json, jsonl or csv, got '" + output + "'");
        }
        List<Integer> threadCounts = threads == null ? List.of(Parallel.threads()) : threads;
        for (int t : threadCounts) {
            if (t < 1) {
                throw new IllegalArgumentException("thread count must be at least 1, got " + t);
            }
        }
        List<Test> tests = new ArrayList<>();
        Path file = ModelOptions.resolve(model, pull);
        long loadStart = System.nanoTime();
        try (DecoderModel m = Architectures.load(file, memory)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            m.setCacheType(cacheType);
            int longest = Collections.max(depths) + Math.max(Collections.max(prompts), Collections.max(gens));
            if (longest > m.contextLength()) {
                throw new IllegalArgumentException("the longest test needs " + longest + " tokens of context (-d plus -p or -n), more than the model's "
                        + m.contextLength() + "; use smaller values");
            }
            m.warmUpKernels(() -> false); // as generate and serve do: the measured JVM is the one users get
            Random rnd = new Random(1);
            for (int t : threadCounts) { // llama-bench's order: per thread count and depth, the pp tests, then the tg tests
                Parallel.setThreads(t);
                for (int depth : depths) {
                    for (int b : sequences) {
                        for (int p : prompts) {
                            if (p > 0) {
                                tests.add(measure(m, "pp" + p, p, 0, depth, b, reps, warmup, rnd));
                            }
                        }
                        for (int n : gens) {
                            if (n > 0) {
                                tests.add(measure(m, "tg" + n, 0, n, depth, b, reps, warmup, rnd));
                            }
                        }
                    }
                }
            }
            Footprint footprint = new Footprint(peakRssBytes(), HugePages.processHugePageBytes(), loadSeconds);
            Parallel.setThreads(threadCounts.stream().mapToInt(Integer::intValue).max().orElseThrow()); // bandwidth with the most threads asked for
            double bandwidth = noBandwidth ? 0 : MemoryBandwidth.measure(1L << 30, 3);
            print(m, tests, footprint, bandwidth);
            for (Test t : tests) {
                boxedWarning(label(t), t.allocatedPerToken()).ifPresent(System.err::println);
            }
        }
        return 0;
    }

    /**
     * llama-bench's test: after {@code depth} tokens of context, a prompt of nPrompt tokens in one go, then nGen
     * tokens one by one; unmeasured repetitions first, for about {@code warmupSeconds} after the first (a first
     * repetition can take seconds by itself while the JIT compiles, and the kernels keep speeding up for several
     * repetitions after it), longer while the JIT is not done ({@link WarmUp}).
     */
    static Test measure(DecoderModel m, String name, int nPrompt, int nGen, int depth, int reps, double warmupSeconds, Random rnd) {
        return measure(m, name, nPrompt, nGen, depth, 1, reps, warmupSeconds, rnd);
    }

    /** {@link #measure} over {@code sequences} sequences side by side, each with its own cache, in the same passes. */
    static Test measure(DecoderModel m, String name, int nPrompt, int nGen, int depth, int sequences, int reps, double warmupSeconds, Random rnd) {
        return measureTogether(name, reps, warmupSeconds, new Runs(m, nPrompt, nGen, depth, sequences, rnd))[0];
    }

    /**
     * tg{@code nGen} on an empty context and after {@code depth} tokens, their repetitions alternating (each first in
     * every other pair), so that both see the same phases of the machine: on the 2-core VM, two tests run a minute
     * apart differ by up to ±20% from its phases alone, and their ratio with them. Returns the two tests, depth 0 first.
     */
    static Test[] measureAlternating(DecoderModel m, String name, int nGen, int depth, int reps, double warmupSeconds, Random rnd) {
        return measureTogether(name, reps, warmupSeconds, new Runs(m, 0, nGen, 0, 1, rnd), new Runs(m, 0, nGen, depth, 1, rnd));
    }

    /**
     * The tests of {@code runs}, their repetitions taken in turn (in measured round r, test r mod n first; during
     * warm-up always the first test first) until each has {@code reps} measured ones.
     */
    private static Test[] measureTogether(String name, int reps, double warmupSeconds, Runs... runs) {
        int n = runs.length;
        List<List<Long>> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add(new ArrayList<>());
        }
        long[] allocated = new long[n];
        WarmUp warmUp = new WarmUp(warmupSeconds);
        for (int r = 0; r < reps; ) {
            boolean warm = warmUp.done(System.nanoTime());
            for (int i = 0; i < n; i++) {
                runs[(r + i) % n].run();
            }
            if (warm) {
                for (int i = 0; i < n; i++) {
                    samples.get(i).add(runs[i].ns);
                    allocated[i] += runs[i].bytes;
                }
                r++;
            } else {
                long bytes = 0;
                int evaluated = 0;
                for (Runs run : runs) {
                    bytes += run.bytes;
                    evaluated += run.evaluated();
                }
                warmUp.record(bytes, evaluated, System.nanoTime());
            }
        }
        Test[] tests = new Test[n];
        for (int i = 0; i < n; i++) {
            Runs run = runs[i];
            tests[i] = new Test(name, run.nPrompt, run.nGen, run.depth, run.caches.size(), Parallel.threads(), samples.get(i), run.evaluated(),
                    run.kvBytes(), allocated[i], warmUp.repetitions());
        }
        return tests;
    }

    /**
     * One test's caches, one per sequence, filled with {@code depth} tokens once (each repetition starts from the same
     * context; llama-bench prefills it again each time), and its repetitions, one per {@link #run}. A cache per
     * repetition would leave the previous ones as garbage in the old generation, counted in the peak RSS.
     */
    private static final class Runs {
        private final DecoderModel m;
        private final int nPrompt, nGen, depth;
        private final Random rnd;
        private final List<KvCache> caches = new ArrayList<>();
        private final float[][] logits;
        /** The last repetition's time and the heap its threads allocated. */
        long ns, bytes;

        Runs(DecoderModel m, int nPrompt, int nGen, int depth, int sequences, Random rnd) {
            this.m = m;
            this.nPrompt = nPrompt;
            this.nGen = nGen;
            this.depth = depth;
            this.rnd = rnd;
            logits = new float[sequences][m.vocabSize()];
            for (int b = 0; b < sequences; b++) {
                caches.add(m.newCache(depth + nPrompt + nGen + 1));
                if (depth > 0) {
                    m.forward(tokens(rnd, depth, m.vocabSize()), caches.get(b), false);
                }
            }
        }

        /** Tokens evaluated per repetition. */
        int evaluated() {
            return caches.size() * (nPrompt + nGen);
        }

        long kvBytes() {
            return caches.stream().mapToLong(c -> c.bytesPerToken() * c.length()).sum();
        }

        /** One repetition: the prompt in one pass, then the generated tokens one step at a time. */
        void run() {
            List<DecoderModel.Step> prompt = new ArrayList<>();
            int[][] genTokens = new int[caches.size()][];
            for (int b = 0; b < caches.size(); b++) {
                KvCache cache = caches.get(b);
                cache.truncate(depth);
                cache.reserve(nPrompt + nGen); // its storage at once: no growth copy inside the measured tokens
                prompt.add(new DecoderModel.Step(tokens(rnd, nPrompt, m.vocabSize()), cache));
                genTokens[b] = tokens(rnd, nGen, m.vocabSize());
            }
            List<List<DecoderModel.Step>> steps = new ArrayList<>(); // made before the clock starts
            for (int i = 0; i < nGen; i++) {
                List<DecoderModel.Step> step = new ArrayList<>();
                for (int b = 0; b < caches.size(); b++) {
                    step.add(new DecoderModel.Step(new int[]{genTokens[b][i]}, caches.get(b)));
                }
                steps.add(step);
            }
            long a0 = allocatedByModelThreads(), t0 = System.nanoTime();
            if (nPrompt > 0) { // as a generation loop, into its logits buffer (a new one is 0.4-0.6 MB a prompt)
                m.forwardInto(prompt, logits);
            }
            for (List<DecoderModel.Step> step : steps) { // the same buffer
                m.forwardInto(step, logits);
            }
            ns = System.nanoTime() - t0;
            bytes = allocatedByModelThreads() - a0;
        }
    }

    /**
     * Heap bytes allocated so far by the threads that evaluate the model: this one and the worker pool's. Not the
     * others: a kernel's background warm-up (the k-quant super-block kernels', while C2 compiles them) allocates
     * boxed vectors beside the measurement and may end during it. 0 where the JVM cannot tell.
     */
    private static long allocatedByModelThreads() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) || !mx.isThreadAllocatedMemoryEnabled()) {
            return 0;
        }
        long sum = Math.max(0, mx.getCurrentThreadAllocatedBytes());
        for (long bytes : mx.getThreadAllocatedBytes(Parallel.workerThreadIds())) {
            sum += Math.max(0, bytes);
        }
        return sum;
    }

    private static int[] tokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    /** Peak resident memory, the bytes in huge pages (the weights', when they are there), and seconds to load the model. */
    record Footprint(long rss, long hugePages, double loadSeconds) {
    }

    private void print(DecoderModel m, List<Test> tests, Footprint footprint, double bandwidth) throws IOException {
        long rss = footprint.rss(), hugePages = footprint.hugePages();
        long decodeBytes = m.info().decodeWeightBytes();
        double roofline = bandwidth / decodeBytes;
        long longestKv = tests.stream().mapToLong(Test::kvBytes).max().orElse(0);
        double rssPct = 100.0 * rss / (m.info().weightBytes() + longestKv);
        if (!output.equals("md")) {
            ObjectMapper json = new ObjectMapper();
            ArrayNode arr = json.createArrayNode();
            for (Test t : tests) {
                double[] ts = t.tokensPerSecond();
                ObjectNode o = arr.addObject();
                o.put("model_filename", model).put("model_type", m.info().architecture())
                        .put("model_size", m.info().weightBytes()).put("model_n_params", m.info().totalParameters())
                        .put("n_threads", t.threads()).put("n_prompt", t.nPrompt()).put("n_gen", t.nGen())
                        .put("n_depth", t.depth()).put("n_seq", t.sequences()).put("avg_ns", (long) t.samplesNs().stream().mapToLong(Long::longValue).average().orElse(0))
                        .put("stddev_ns", (long) stddev(t.samplesNs().stream().mapToDouble(Long::doubleValue).toArray()))
                        .put("avg_ts", mean(ts)).put("stddev_ts", stddev(ts))
                        .put("peak_rss_bytes", rss).put("peak_rss_pct_of_weights_and_kv", rssPct).put("kv_cache_bytes", t.kvBytes())
                        .put("type_k", cacheType.label()).put("type_v", cacheType.label()).put("engine", "baleine")
                        .put("decode_weight_bytes", decodeBytes).put("alloc_bytes_per_token", t.allocatedPerToken())
                        .put("warmup_reps", t.warmupReps()).put("huge_page_bytes", hugePages).put("load_s", footprint.loadSeconds());
                if (bandwidth > 0) {
                    o.put("mem_read_bytes_per_s", (long) bandwidth);
                    if (t.nPrompt() == 0 && t.sequences() == 1) {
                        o.put("roofline_ts", roofline).put("roofline_pct", 100 * mean(ts) / roofline);
                    }
                }
                ArrayNode samplesTs = o.putArray("samples_ts");
                for (double v : ts) {
                    samplesTs.add(v);
                }
            }
            switch (output) {
                case "json" -> System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
                case "jsonl" -> arr.forEach(o -> System.out.println(o.toString()));
                default -> printCsv(arr);
            }
            return;
        }
        System.out.printf("| model | size | params | threads | test | t/s |%n|---|---:|---:|---:|---:|---:|%n");
        for (Test t : tests) {
            double[] ts = t.tokensPerSecond();
            System.out.printf("| %s | %s | %s | %d | %s | %.2f ± %.2f |%n", m.info().architecture(), InfoCommand.bytes(m.info().weightBytes()),
                    InfoCommand.human(m.info().totalParameters()), t.threads(), t.title(), mean(ts), stddev(ts));
        }
        System.out.printf("peak RSS %s, %.0f%% of weights + KV cache; KV cache %s per token in %s (%s at the longest test)%n", InfoCommand.bytes(rss),
                rssPct, InfoCommand.bytes(m.newCache().bytesPerToken()), cacheType.label(), InfoCommand.bytes(longestKv));
        System.out.printf("loaded in %.2f s; %s%n", footprint.loadSeconds(), hugePages > 0
                ? "weights in 2 MiB huge pages: " + InfoCommand.bytes(hugePages) + " (a token-embedding table stays mapped: it is read a row at a time)"
                : "weights mapped from the file in 4 KiB pages (--memory huge-pages reads them into 2 MiB pages where Linux offers them)");
        for (Test t : tests) {
            System.out.printf("%s allocates %s of heap per token (after %d warm-up repetition%s)%n", label(t),
                    InfoCommand.bytes(t.allocatedPerToken()), t.warmupReps(), t.warmupReps() == 1 ? "" : "s");
        }
        if (bandwidth > 0) {
            System.out.printf("memory read bandwidth %.1f GB/s (%d threads); a generated token reads %s of weights: decode roofline %.1f tok/s%n",
                    bandwidth / 1e9, Parallel.threads(), InfoCommand.bytes(decodeBytes), roofline);
            for (Test t : tests) {
                if (t.nPrompt() == 0 && t.sequences() == 1) { // several sequences share each weight read: no roofline for them
                    System.out.println(rooflineLine(label(t), 100 * mean(t.tokensPerSecond()) / roofline));
                }
            }
        }
    }

    /**
     * The tests as CSV, as llama-bench writes it: a header of the field names, a row per test, every value quoted
     * (an array, such as {@code samples_ts}, as its values joined by commas); tests without a field leave it empty.
     */
    private static void printCsv(ArrayNode tests) {
        java.util.LinkedHashSet<String> fields = new java.util.LinkedHashSet<>();
        tests.forEach(o -> o.fieldNames().forEachRemaining(fields::add));
        System.out.println(String.join(",", fields.stream().map(f -> '"' + f + '"').toList()));
        for (var o : tests) {
            List<String> values = new ArrayList<>();
            for (String f : fields) {
                var v = o.get(f);
                String text = v == null ? "" : v.isArray()
                        ? String.join(",", java.util.stream.StreamSupport.stream(v.spliterator(), false).map(x -> x.asText()).toList())
                        : v.asText();
                values.add('"' + text.replace("\"", "\"\"") + '"');
            }
            System.out.println(String.join(",", values));
        }
    }

    /**
     * Heap per token above which a run's kernels were compiled with boxed vectors: they need 5-45 KiB; a boxed softmax
     * took 580-870 KiB, boxed weight kernels 2.5 MiB to 1.3 GiB (the README's JIT caveat).
     */
    private static final long BOXED_BYTES_PER_TOKEN = 512L << 10;

    /** Whether a test's heap per token says C2 boxed a kernel's vectors. */
    static boolean boxed(long bytesPerToken) {
        return bytesPerToken > BOXED_BYTES_PER_TOKEN;
    }

    /**
     * A decode test's share of the roofline. Above 100% the bandwidth was measured in a slower phase of the machine than
     * the test ran in (some VMs move between two regimes, ~36 and ~60 GB/s on the 2-core ones), which the line says.
     */
    static String rooflineLine(String test, double percent) {
        return String.format("%s reaches %.0f%% of the roofline%s", test, percent, percent <= 100 ? ""
                : " (above it: the machine's memory bandwidth was lower when measured, after the tests, than while this test"
                + " ran; bench-suite samples it before and after each model)");
    }

    /** A warning for a test (named {@code what}) whose heap per token says C2 boxed a kernel's vectors, or empty. */
    static Optional<String> boxedWarning(String what, long bytesPerToken) {
        return !boxed(bytesPerToken) ? Optional.empty() : Optional.of(String.format(
                "warning: %s allocated %s of heap per token where the kernels need a few KiB: the JIT compiled a kernel with its "
                        + "vectors boxed (the README's \"JIT caveat\"), so its speed is not representative; run it again",
                what, InfoCommand.bytes(bytesPerToken)));
    }

    /** The test as the table names it and (when several counts ran) its threads. */
    private String label(Test t) {
        return t.title() + (threads != null && threads.size() > 1 ? " (" + t.threads() + (t.threads() == 1 ? " thread)" : " threads)") : "");
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v), s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    /** VmHWM from /proc (Linux); 0 elsewhere. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
