package baleine.format;

import baleine.RandomModels;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import baleine.tensor.HugePages;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WeightMemoryTest {
    private static final boolean HUGE_PAGES = HugePages.unavailable().isEmpty();

    @Test
    void modesAreSpelledAsOnTheCommandLine() {
        for (WeightMemory m : WeightMemory.values()) {
            assertThat(WeightMemory.parse(m.cliName())).isEqualTo(m);
        }
        assertThat(WeightMemory.HUGE_PAGES.cliName()).isEqualTo("huge-pages");
        assertThatThrownBy(() -> WeightMemory.parse("swap")).hasMessageContaining("unknown memory mode 'swap'").hasMessageContaining("auto, map or huge-pages");
    }

    /** Two 64 MiB read pieces and a ragged tail, read by the worker threads: every byte in place, and read-only; the mapping beside it. */
    @Test
    void hugePagesHoldTheFileByteForByte(@TempDir Path dir) throws Exception {
        byte[] bytes = new byte[(64 << 20) + 12345];
        new Random(5).nextBytes(bytes);
        Path file = Files.write(dir.resolve("blob.bin"), bytes);
        if (!HUGE_PAGES) {
            assertThatThrownBy(() -> MappedFile.open(file, WeightMemory.HUGE_PAGES)).hasMessageContaining("use --memory map");
            return;
        }
        try (MappedFile f = MappedFile.open(file, WeightMemory.HUGE_PAGES)) {
            assertThat(f.size()).isEqualTo(bytes.length);
            MemorySegment tail = f.tensor(100, bytes.length - 100, true);
            assertThat(tail.address() % HugePages.SIZE).isEqualTo(100);
            assertThat(Arrays.equals(tail.toArray(ValueLayout.JAVA_BYTE), Arrays.copyOfRange(bytes, 100, bytes.length))).isTrue();
            assertThat(tail.isReadOnly()).isTrue();
            assertThat(f.tensor(100, bytes.length - 100, true).address()).isEqualTo(tail.address()); // read once, then reused
            assertThat(f.segment.address()).isNotEqualTo(tail.address() - 100);
            assertThat(f.segment.asSlice(100, 64).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(bytes, 100, 164));

            assertThat(descriptorsOn(file)).isEqualTo(1);
            f.endReads(); // the model is built: the file is closed, what was read stays
            assertThat(descriptorsOn(file)).isZero();
            assertThat(f.tensor(100, bytes.length - 100, true).address()).isEqualTo(tail.address());
            assertThat(f.tensor(0, 64, false).get(ValueLayout.JAVA_BYTE, 5)).isEqualTo(bytes[5]);
            assertThatThrownBy(() -> f.tensor(0, 64, true)).isInstanceOf(IllegalStateException.class).hasMessageContaining("after the model was built");
        }
    }

    /** Open file descriptors of this process on {@code file}. */
    static long descriptorsOn(Path file) throws Exception {
        Path real = file.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (Exception e) {
                    return false; // closed while listed (the listing's own descriptor)
                }
            }).count();
        }
    }

    @Test
    void aModelInHugePagesComputesTheSameLogitsAsMapped(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("v3.gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get("tiny-deepseek-v3"), GgmlType.Q8_0, 7, file);
        if (!HUGE_PAGES) {
            assertThatThrownBy(() -> Architectures.load(file, WeightMemory.HUGE_PAGES)).hasMessageContaining("use --memory map");
            return;
        }
        try (DecoderModel mapped = Architectures.load(file, WeightMemory.MAP); DecoderModel huge = Architectures.load(file, WeightMemory.HUGE_PAGES)) {
            assertThat(descriptorsOn(file)).as("files left open once the models are built").isZero();
            int[] prompt = RandomModels.tokens(mapped, 12, 3);
            assertThat(huge.forward(prompt, huge.newCache(prompt.length), true))
                    .isDeepEqualTo(mapped.forward(prompt, mapped.newCache(prompt.length), true));
        }
    }

    @Test
    void aTruncatedFileInHugePagesGetsTheSameError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("v3.gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get("tiny-deepseek-v3"), GgmlType.Q8_0, 7, file);
        byte[] all = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(all, all.length - 1000));
        assertThatThrownBy(() -> Architectures.load(cut, HUGE_PAGES ? WeightMemory.HUGE_PAGES : WeightMemory.MAP))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("truncated");
    }
}
