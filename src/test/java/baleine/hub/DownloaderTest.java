package baleine.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DownloaderTest {
    FakeHub hub;
    @TempDir
    Path dir;
    HubCache cache;
    final FakeHub.File q4 = new FakeHub.File("model-Q4_K_M.gguf", FakeHub.random(300_000, 1), true);
    final FakeHub.File q8a = new FakeHub.File("model-Q8_0-00001-of-00002.gguf", FakeHub.random(200_000, 2), true);
    final FakeHub.File q8b = new FakeHub.File("model-Q8_0-00002-of-00002.gguf", FakeHub.random(150_000, 3), true);
    final FakeHub.File readme = new FakeHub.File("README.md", "---\nlicense: mit\n---\n# model".getBytes(), false);

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        hub.add("org/gguf", q4, q8a, q8b, readme);
        hub.add("org/weights", new FakeHub.File("config.json", "{\"a\":1}".getBytes(), false),
                new FakeHub.File("model.safetensors", FakeHub.random(100_000, 4), true),
                new FakeHub.File("tokenizer.json", "{}".getBytes(), false),
                new FakeHub.File("original/consolidated.pth", FakeHub.random(1000, 5), true));
        cache = new HubCache(dir.resolve("hub"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Downloader downloader() {
        return new Downloader(new HubClient(hub.endpoint(), "hf_secret", 10), cache, 2, new NoProgress());
    }

    static final class NoProgress implements Downloader.Progress {
        public void start(String file, long size) {
        }

        public void advance(String file, long bytes) {
        }

        public void done(String file) {
        }
    }

    @Test
    void pullsOneQuantizationIntoTheHuggingFaceLayoutByteForByte() throws Exception {
        Downloader.Pulled p = downloader().pull("org/gguf", "Q8_0", "main", List.of());
        assertThat(p.files()).containsExactlyInAnyOrder(q8a.path(), q8b.path());
        Path repo = cache.repoDir("org/gguf");
        assertThat(Files.readString(repo.resolve("refs/main"))).isEqualTo(FakeHub.COMMIT);
        for (FakeHub.File f : List.of(q8a, q8b)) {
            Path link = repo.resolve("snapshots").resolve(FakeHub.COMMIT).resolve(f.path());
            assertThat(Files.isSymbolicLink(link)).isTrue();
            assertThat(Files.readSymbolicLink(link).toString()).isEqualTo("../../blobs/" + f.sha256());
            assertThat(Files.readAllBytes(repo.resolve("blobs").resolve(f.sha256()))).isEqualTo(f.bytes());
        }
        assertThat(Files.exists(repo.resolve("snapshots").resolve(FakeHub.COMMIT).resolve(q4.path()))).isFalse();
        try (var s = Files.list(repo.resolve("blobs"))) {
            assertThat(s.map(x -> x.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete"));
        }
        assertThat(hub.cdnAuthorization).isNotEmpty().allMatch(a -> a.equals("null")); // the token stays with the hub
        assertThat(hub.hubAuthorization).allMatch(a -> a.equals("Bearer hf_secret"));
    }

    @Test
    void resumesAfterADroppedConnectionAndRetriesA429() throws Exception {
        hub.dropOnce.add(q4.path());
        hub.throttleOnce.add(q4.path());
        downloader().pull("org/gguf", "q4_k_m", "main", List.of());
        Path blob = cache.blob("org/gguf", q4.sha256());
        assertThat(Files.readAllBytes(blob)).isEqualTo(q4.bytes());
        assertThat(hub.ranges).anyMatch(r -> r.startsWith(q4.path() + " bytes=")); // the second try asked for the rest
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierRun() throws Exception {
        Path partial = cache.blob("org/gguf", q4.sha256()).resolveSibling(q4.sha256() + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, java.util.Arrays.copyOf(q4.bytes(), 123_456));
        downloader().pull("org/gguf", "Q4_K_M", "main", List.of());
        assertThat(hub.ranges).containsExactly(q4.path() + " bytes=123456-");
        assertThat(Files.readAllBytes(cache.blob("org/gguf", q4.sha256()))).isEqualTo(q4.bytes());
        assertThat(Files.exists(partial)).isFalse();
    }

    @Test
    void checkpointPullTakesWeightsConfigsAndTokenizerOnly() throws Exception {
        Downloader.Pulled p = downloader().pull("org/weights", null, "main", List.of());
        assertThat(p.files()).containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json");
        Path snap = cache.snapshot("org/weights", FakeHub.COMMIT);
        assertThat(Files.readString(snap.resolve("config.json"))).isEqualTo("{\"a\":1}");
        assertThat(cache.currentSnapshot("org/weights")).hasValue(snap);
        int before = hub.cdnRequests.get();
        downloader().pull("org/weights", null, "main", List.of()); // all there: nothing downloaded again
        assertThat(hub.cdnRequests.get()).isEqualTo(before);
    }

    @Test
    void clearErrorsForMissingGatedAndAmbiguousRequests() {
        assertThatThrownBy(() -> downloader().pull("org/nope", null, "main", List.of())).isInstanceOf(HubException.class)
                .hasMessageContaining("repository 'org/nope' not found");
        assertThatThrownBy(() -> downloader().pull("org/gated", null, "main", List.of())).hasMessageContaining("is gated");
        assertThatThrownBy(() -> downloader().pull("org/gguf", null, "main", List.of())).hasMessageContaining("several quantizations")
                .hasMessageContaining("Q4_K_M").hasMessageContaining("Q8_0");
        assertThatThrownBy(() -> downloader().pull("org/gguf", "Q2_K", "main", List.of())).hasMessageContaining("no Q2_K file");
        HubClient offline = new HubClient(java.net.URI.create("http://127.0.0.1:1"), null, 1);
        assertThatThrownBy(() -> new Downloader(offline, cache, 1, new NoProgress()).pull("org/gguf", null, "main", List.of()))
                .hasMessageContaining("cannot reach");
    }

    @Test
    void removeDeletesASnapshotAndItsUnsharedBlobs() throws Exception {
        downloader().pull("org/gguf", "Q8_0", "main", List.of());
        downloader().pull("org/gguf", "Q4_K_M", "main", List.of());
        Path snap = cache.snapshot("org/gguf", FakeHub.COMMIT);
        List<Path> q8 = new ArrayList<>(List.of(snap.resolve(q8a.path()), snap.resolve(q8b.path())));
        long freed = cache.remove("org/gguf", q8);
        assertThat(freed).isEqualTo(q8a.bytes().length + q8b.bytes().length);
        assertThat(Files.exists(cache.blob("org/gguf", q4.sha256()))).isTrue();
        cache.remove("org/gguf", List.of());
        assertThat(Files.exists(cache.repoDir("org/gguf"))).isFalse();
    }

    @Test
    void quantizationNamesComeFromFileNames() {
        assertThat(Downloader.quantOf("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf")).isEqualTo("Q4_K_M");
        assertThat(Downloader.quantOf("sub/DeepSeek-V3-Q8_0-00002-of-00015.gguf")).isEqualTo("Q8_0");
        assertThat(Downloader.quantOf("model.IQ4_XS.gguf")).isEqualTo("IQ4_XS");
        assertThat(Downloader.quantOf("model-bf16.gguf")).isEqualTo("BF16");
    }
}
