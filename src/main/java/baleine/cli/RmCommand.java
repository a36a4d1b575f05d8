package baleine.cli;

import baleine.hub.Downloader;
import baleine.hub.HubCache;
import baleine.hub.HubException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "rm", description = "Remove a cached model (REPO, or REPO:QUANT for one GGUF quantization) and the blobs nothing else uses.")
final class RmCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REPO[:QUANT]", description = "a cached repository (owner/name); :QUANT removes only that GGUF quantization")
    String spec;

    @Override
    public Integer call() throws IOException {
        HubCache cache = HubCache.fromEnvironment(System.getenv());
        String[] parts = spec.split(":", 2);
        String repo = parts[0];
        List<Path> only = List.of();
        if (parts.length > 1) {
            Path snap = cache.currentSnapshot(repo).orElseThrow(() -> new HubException(repo + " is not in the cache (" + cache.root() + ")"));
            String q = parts[1].toUpperCase(java.util.Locale.ROOT);
            only = HubCache.files(snap).stream().filter(p -> p.toString().endsWith(".gguf") && Downloader.quantOf(p.toString()).equals(q))
                    .map(snap::resolve).toList();
            if (only.isEmpty()) {
                throw new HubException(repo + " has no cached " + parts[1] + " file");
            }
        }
        long freed = cache.remove(repo, only);
        System.err.println("removed " + spec + " (" + InfoCommand.bytes(freed) + " freed)");
        return 0;
    }
}
