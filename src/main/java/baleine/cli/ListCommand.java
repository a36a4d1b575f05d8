package baleine.cli;

import baleine.format.WeightMemory;
import baleine.format.gguf.GgufFile;
import baleine.format.gguf.LlamaFileType;
import baleine.hub.Downloader;
import baleine.hub.HubCache;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "list", aliases = "ls", description = "List the models in the Hugging Face cache: name, format, quantization, size, last used.")
final class ListCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        HubCache cache = HubCache.fromEnvironment(System.getenv());
        System.out.printf("%-55s %-6s %-20s %10s  %s%n", "NAME", "FORMAT", "QUANT", "SIZE", "LAST USED");
        int listed = 0;
        for (String repo : cache.repositories()) {
            Path snap = cache.currentSnapshot(repo).orElse(null);
            if (snap == null) {
                continue;
            }
            listed++;
            List<Path> files = HubCache.files(snap);
            boolean hf = files.stream().anyMatch(p -> p.toString().equals("config.json"));
            TreeSet<String> quants = new TreeSet<>();
            long size = 0, used = 0;
            for (Path p : files) {
                Path real = snap.resolve(p).toRealPath();
                size += Files.size(real);
                used = Math.max(used, Files.getLastModifiedTime(real).toMillis());
                if (p.toString().endsWith(".gguf")) {
                    quants.add(Downloader.namedQuant(p.toString()).orElseGet(() -> recordedQuant(real)));
                }
            }
            String format = hf ? "hf" : quants.isEmpty() ? "?" : "gguf";
            System.out.printf("%-55s %-6s %-20s %10s  %s%n", repo, format, quants.isEmpty() ? "-" : String.join(",", quants),
                    InfoCommand.bytes(size), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault())
                            .format(Instant.ofEpochMilli(used)));
        }
        if (listed == 0) {
            System.err.println("no models in the Hugging Face cache at " + cache.root()
                    + " (HF_HUB_CACHE or HF_HOME move it); download one with ./baleine pull REPO[:QUANT]");
        }
        return 0;
    }

    /** For a file whose name names no quantization: the one its header records, else "?" (a part of a split file, a damaged file). */
    private static String recordedQuant(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf, WeightMemory.MAP)) {
            return LlamaFileType.recordedIn(f.metadata).orElse("?");
        } catch (RuntimeException e) {
            return "?";
        }
    }
}
