package baleine.format;

import baleine.RandomModels;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.BlockWeight;
import baleine.tensor.GgmlType;
import baleine.tensor.HugePages;
import baleine.tensor.Weight;
import baleine.writer.ModelPresets;
import baleine.writer.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
            if (m != WeightMemory.AS_STORED) {
                assertThat(WeightMemory.parse(m.cliName())).isEqualTo(m);
            }
        }
        assertThatThrownBy(() -> WeightMemory.parse("as-stored")).as("for describing only").hasMessageContaining("unknown memory mode");
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

    /**
     * An embedding table beside huge pages is read row by row from the mapping, and what the reads mapped (up to
     * 64 KiB of file around each page fault) leaves this process's resident memory after each row, as does the
     * header once the model is built; read again, the rows are the same.
     */
    @Test
    void rowTablesBesideHugePagesLeaveNothingResident(@TempDir Path dir) throws Exception {
        int rows = 1024, cols = 1024;
        byte[] bytes = new byte[rows * cols * 4];
        var random = new Random(11);
        ByteBuffer values = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) {
            values.putFloat(random.nextFloat() - 0.5f);
        }
        Path file = Files.write(dir.resolve("table.bin"), bytes);
        if (!HUGE_PAGES) {
            return;
        }
        try (MappedFile f = MappedFile.open(file, WeightMemory.HUGE_PAGES)) {
            Weight table = f.rowTable(new BlockWeight("token_embd.weight", GgmlType.F32, f.tensor(0, bytes.length, false), rows, cols), 0, bytes.length);
            float[] row = new float[cols];
            for (int pass = 0; pass < 2; pass++) {
                for (int r : new int[] {0, 517, 1023}) {
                    table.decodeRow(r, row);
                    for (int c = 0; c < cols; c += 97) {
                        assertThat(row[c]).isEqualTo(values.getFloat((r * cols + c) * 4));
                    }
                    assertThat(residentBytes(f.segment)).as("the mapping's resident bytes after row %d", r).isZero();
                }
            }
            assertThat(f.tensor(0, bytes.length, false).get(ValueLayout.JAVA_BYTE, 300_000)).isEqualTo(bytes[300_000]); // read in place...
            assertThat(residentBytes(f.segment)).isPositive(); // ...stays resident, until the model is built
            f.endReads();
            assertThat(residentBytes(f.segment)).isZero();
        }
    }

    /**
     * A quantized table's rows, read from the file beside huge pages, decode as the mapping's do, also when the
     * reading thread is interrupted (its interrupt kept) and from a slice of the table.
     */
    @Test
    void rowTablesReadFromTheFileDecodeAsTheMappingDoes(@TempDir Path dir) throws Exception {
        int rows = 300, cols = 256;
        float[] values = new float[rows * cols];
        var random = new Random(5);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        MemorySegment encoded = baleine.tensor.Quantizer.encode(GgmlType.Q4_K, values, java.lang.foreign.Arena.ofAuto());
        Path file = Files.write(dir.resolve("table.bin"), encoded.toArray(ValueLayout.JAVA_BYTE));
        if (!HUGE_PAGES) {
            return;
        }
        Weight inMemory = new BlockWeight("t", GgmlType.Q4_K, encoded, rows, cols);
        try (MappedFile f = MappedFile.open(file, WeightMemory.HUGE_PAGES)) {
            Weight table = f.rowTable(new BlockWeight("t", GgmlType.Q4_K, f.tensor(0, encoded.byteSize(), false), rows, cols), 0, encoded.byteSize());
            f.endReads();
            float[] expected = new float[cols], row = new float[cols];
            for (int r : new int[] {0, 1, 150, 299}) {
                inMemory.decodeRow(r, expected);
                table.decodeRow(r, row);
                assertThat(row).as("row %d", r).isEqualTo(expected);
            }
            Thread.currentThread().interrupt();
            table.decodeRow(7, row);
            assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
            inMemory.decodeRow(7, expected);
            assertThat(row).isEqualTo(expected);
            table.rowSlice(100, 50).decodeRow(3, row);
            inMemory.decodeRow(103, expected);
            assertThat(row).isEqualTo(expected);
            assertThat(residentBytes(f.segment)).isZero();
        }
    }

    /** Rss of this process's mapping that holds {@code segment} (/proc/self/smaps). */
    private static long residentBytes(MemorySegment segment) throws Exception {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= segment.address() && segment.address() < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new AssertionError("no mapping holds address " + segment.address());
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
            // one, for the huge-page model's embedding rows (TransientRows): the rest was read and closed
            assertThat(descriptorsOn(file)).as("files left open once the models are built").isEqualTo(1);
            int[] prompt = RandomModels.tokens(mapped, 12, 3);
            assertThat(huge.forward(prompt, huge.newCache(prompt.length), true))
                    .isDeepEqualTo(mapped.forward(prompt, mapped.newCache(prompt.length), true));
        }
        assertThat(descriptorsOn(file)).as("files left open once the models are closed").isZero();
    }

    /** What info and show read: the same description, without a copy of any tensor (Q4_0 would be regrouped into one). */
    @Test
    void aModelAsStoredIsDescribedAsMappedWithoutCopies(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("v3-q4_0.gguf");
        RandomModelWriter.writeGguf(ModelPresets.ALL.get("tiny-deepseek-v3"), GgmlType.Q4_0, 7, file);
        try (DecoderModel mapped = Architectures.load(file, WeightMemory.MAP); DecoderModel asStored = Architectures.load(file, WeightMemory.AS_STORED)) {
            assertThat(asStored.info()).isEqualTo(mapped.info());
        }
        try (MappedFile asStored = MappedFile.open(file, WeightMemory.AS_STORED); MappedFile mapped = MappedFile.open(file, WeightMemory.MAP)) {
            assertThat(asStored.rewritableTensor(0, 4096)).as("no tensor copied to be rewritten").isEmpty();
            if (HugePages.availableMemory() > 0) { // mapped, a tensor to rewrite gets a copy of its own where memory allows
                assertThat(mapped.rewritableTensor(0, 4096)).isPresent();
            }
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
