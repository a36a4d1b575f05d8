package baleine.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class HugePagesTest {
    private static final long GIB = 1L << 30, MIB = 1L << 20;

    /** A container's limit, invisible in /proc/meminfo, caps what loading may take. */
    @Test
    void aCgroupV2LimitLeavesLimitMinusUsagePlusFileCache(@TempDir Path root) throws Exception {
        group(root.resolve("app.slice/worker"), "max", 3 * GIB, 0);
        group(root.resolve("app.slice"), String.valueOf(4 * GIB), 3 * GIB, 512 * MIB);
        assertThat(HugePages.cgroupAvailable("0::/app.slice/worker\n", root)).isEqualTo(GIB + 512 * MIB);
    }

    @Test
    void aCgroupV1LimitIsReadFromTheMemoryHierarchy(@TempDir Path root) throws Exception {
        Path g = root.resolve("memory/docker/abc");
        Files.createDirectories(g);
        Files.writeString(g.resolve("memory.limit_in_bytes"), 2 * GIB + "\n");
        Files.writeString(g.resolve("memory.usage_in_bytes"), GIB + "\n");
        Files.writeString(g.resolve("memory.stat"), "cache 10\ntotal_active_file " + 100 * MIB + "\ntotal_inactive_file " + 28 * MIB + "\n");
        Files.writeString(root.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n"); // the root: no limit
        assertThat(HugePages.cgroupAvailable("12:pids:/\n4:memory:/docker/abc\n", root)).isEqualTo(GIB + 128 * MIB);
    }

    @Test
    void noLimitOrNoCgroupFilesMeansUnknown(@TempDir Path root) throws Exception {
        group(root, "max", GIB, 0);
        assertThat(HugePages.cgroupAvailable("0::/\n", root)).isEqualTo(-1);
        assertThat(HugePages.cgroupAvailable("0::/missing/group\n", root.resolve("nowhere"))).isEqualTo(-1);
        assertThat(HugePages.cgroupAvailable("", root)).isEqualTo(-1);
    }

    @Test
    void memoryForACopyIsZeroedWritableAlignedAndOfItsSize() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            long bytes = 3 * 4096 + 100; // not a whole number of pages
            java.lang.foreign.MemorySegment m = HugePages.allocateForCopy(bytes, arena);
            assertThat(m.byteSize()).isEqualTo(bytes);
            assertThat(m.address() % 64).isZero();
            for (long i = 0; i < bytes; i += 997) {
                assertThat(m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i)).isZero();
            }
            m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
            assertThat(m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 7);
            assertThat(HugePages.allocateForCopy(0, arena).byteSize()).isZero();
        }
    }

    private static void group(Path dir, String max, long current, long activeFile) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("memory.max"), max + "\n");
        Files.writeString(dir.resolve("memory.current"), current + "\n");
        Files.writeString(dir.resolve("memory.stat"), "anon 5\nactive_file " + activeFile + "\ninactive_file 0\n");
    }
}
