package baleine.cli;

import baleine.cache.CacheType;
import baleine.conformance.ConformanceRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "conformance", description = "Check logits, tokenizer and chat templates against a conformance folder (manifest.json).")
final class ConformanceCommand implements Callable<Integer> {
    enum Only { logits, tokenizer, template }

    @Parameters(index = "0", description = "folder with manifest.json (e.g. ../shared/conformance)")
    Path dir;

    @Option(names = "--only", description = "run only one kind of case: ${COMPLETION-CANDIDATES}")
    Only only;

    @Option(names = "--cache-type", paramLabel = "TYPE", defaultValue = "f32", converter = ModelOptions.CacheKind.class,
            description = "evaluate with the KV cache in f32 (as the references), f16, bf16 or q8_0: how far a cache type moves the logits")
    CacheType cacheType;

    @Option(names = {"-v", "--verbose"}, description = "also print the numbers of passing cases")
    boolean verbose;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
            System.err.println("error: " + dir + " has no manifest.json");
            return 2;
        }
        if (cacheType != CacheType.F32) {
            System.out.println("KV cache in " + cacheType.label() + ": the references were computed with an f32 cache, so cases may miss "
                    + "their tolerance; their top-1 agreement shows whether the chosen tokens change");
        }
        ConformanceRunner runner = new ConformanceRunner(dir, System.out, cacheType);
        ConformanceRunner.Kind kind = only == null ? null : ConformanceRunner.Kind.values()[only.ordinal()];
        return runner.print(runner.run(kind), verbose) ? 0 : 1;
    }
}
