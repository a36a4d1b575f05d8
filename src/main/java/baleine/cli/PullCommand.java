package baleine.cli;

import baleine.hub.Downloader;
import baleine.hub.HubCache;
import baleine.hub.HubClient;
import baleine.hub.HubException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

@Command(name = "pull", description = {"Download a model from the Hugging Face hub into the shared cache (huggingface_hub's layout).",
        "REPO[:QUANT]: a GGUF repository needs :QUANT when it holds several quantizations."})
final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REPO[:QUANT]", description = "a Hugging Face repository (owner/name); :QUANT picks one GGUF quantization of several (e.g. :Q4_K_M)")
    String spec;

    @Option(names = "--revision", defaultValue = "main", description = "branch, tag or commit (default ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--include", split = ",", description = "glob(s) of files to fetch instead of the automatic choice")
    List<String> include = new ArrayList<>();

    @Option(names = "--connections", defaultValue = "4", description = "files downloaded at once (default ${DEFAULT-VALUE})")
    int connections;

    @Override
    public Integer call() {
        Map<String, String> env = System.getenv();
        if ("1".equals(env.get("HF_HUB_OFFLINE"))) {
            throw new HubException("offline mode (HF_HUB_OFFLINE=1): pull needs the network; cached models work as they are");
        }
        String[] parts = spec.split(":", 2);
        String repo = parts[0], quant = parts.length > 1 ? parts[1] : null;
        HubCache cache = HubCache.fromEnvironment(env);
        Downloader.Pulled pulled = pull(HubClient.fromEnvironment(env), cache, repo, quant, revision, include, Math.max(1, connections));
        System.err.println("pulled " + repo + (quant != null ? ":" + quant : "") + " (" + pulled.files().size() + " files) into " + pulled.snapshot());
        return 0;
    }

    static Downloader.Pulled pull(HubClient client, HubCache cache, String repo, String quant, String revision, List<String> include,
                                  int connections) {
        ProgressBars bars = new ProgressBars();
        try {
            return new Downloader(client, cache, connections, bars).pull(repo, quant, revision, include);
        } finally {
            bars.finish();
        }
    }

    /** One line per file and a total on a terminal, redrawn; a line per finished file otherwise. */
    static final class ProgressBars implements Downloader.Progress {
        private final Map<String, long[]> files = new ConcurrentHashMap<>(); // size, done
        private final boolean tty = Terminal.interactive();
        private final long started = System.nanoTime();
        private long lastDraw;
        private int drawnLines;

        @Override
        public void start(String file, long size) {
            files.put(file, new long[]{size, 0});
            draw(true);
        }

        @Override
        public void advance(String file, long bytes) {
            long[] f = files.get(file);
            if (f != null) {
                f[1] = bytes;
            }
            draw(false);
        }

        @Override
        public void done(String file) {
            long[] f = files.computeIfAbsent(file, k -> new long[]{0, 0});
            f[1] = Math.max(f[1], f[0]);
            if (!tty) {
                System.err.println("done " + file + (f[0] > 0 ? " (" + InfoCommand.bytes(f[0]) + ")" : ""));
            }
            draw(true);
        }

        private synchronized void draw(boolean force) {
            long now = System.nanoTime();
            if (!tty || (!force && now - lastDraw < 200_000_000L)) {
                return;
            }
            lastDraw = now;
            StringBuilder sb = new StringBuilder();
            if (drawnLines > 0) {
                sb.append("\u001b[").append(drawnLines).append("F");
            }
            long total = 0, done = 0;
            for (Map.Entry<String, long[]> e : files.entrySet()) {
                long[] f = e.getValue();
                total += Math.max(0, f[0]);
                done += f[1];
                sb.append("\u001b[2K").append(line(e.getKey(), f[1], f[0])).append('\n');
            }
            double secs = (now - started) / 1e9, speed = done / Math.max(secs, 1e-3);
            String eta = speed > 0 && total > done ? String.format(" ETA %ds", (long) ((total - done) / speed)) : "";
            sb.append("\u001b[2K").append(line("total", done, total)).append(String.format(" %s/s%s", InfoCommand.bytes((long) speed), eta)).append('\n');
            drawnLines = files.size() + 1;
            System.err.print(sb);
            System.err.flush();
        }

        private static String line(String name, long done, long size) {
            int pct = size > 0 ? (int) (100 * done / size) : 0;
            String bar = "#".repeat(pct / 5) + ".".repeat(20 - pct / 5);
            return String.format("%-40s [%s] %3d%% %s / %s", name.length() > 40 ? "..." + name.substring(name.length() - 37) : name, bar, pct,
                    InfoCommand.bytes(done), size > 0 ? InfoCommand.bytes(size) : "?");
        }

        void finish() {
            draw(true);
        }
    }
}
