package baleine.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Anonymous memory in Linux's transparent 2 MiB pages (mmap, then madvise(MADV_HUGEPAGE) before the first
 * touch). Decoding streams gigabytes of weights per second; with 4 KiB pages every 4 KiB costs a TLB miss and
 * stops the hardware prefetcher at the page's end. Read into 2 MiB pages, the V2-Lite-shape Q8_0 weights decode
 * about a quarter faster on the 2-core AVX-512 machines (see the README's performance section).
 */
public final class HugePages {
    public static final long SIZE = 2L << 20;
    private static final Path ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_DONTNEED = 4, MADV_HUGEPAGE = 14;

    private HugePages() {
    }

    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }

    /** Why huge pages cannot be had here, or empty when they can. */
    public static Optional<String> unavailable() {
        if (!linux()) {
            return Optional.of("transparent huge pages are a Linux feature (this is " + System.getProperty("os.name") + ")");
        }
        try {
            String mode = Files.readString(ENABLED).strip();
            return mode.contains("[never]")
                    ? Optional.of("transparent huge pages are turned off on this machine (" + ENABLED + ": " + mode + ")")
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.of("this kernel has no transparent huge pages (" + ENABLED + " is unreadable)");
        }
    }

    /**
     * Memory this process can still take, in bytes, or -1 when unknown: MemAvailable of /proc/meminfo (free memory
     * plus reclaimable caches), and no more than its control groups' limits allow (a container's limit, which
     * /proc/meminfo does not show).
     */
    public static long availableMemory() {
        long machine = kibField(Path.of("/proc/meminfo"), "MemAvailable:"), group;
        try {
            group = cgroupAvailable(Files.readString(Path.of("/proc/self/cgroup")), Path.of("/sys/fs/cgroup"));
        } catch (IOException e) {
            group = -1;
        }
        return group < 0 ? machine : machine < 0 ? group : Math.min(machine, group);
    }

    /**
     * What the tightest memory limit among this process's control group and its ancestors leaves (limit - usage
     * + the group's file cache, which is reclaimable), or -1 when none is set. Reads cgroup v2 ({@code 0::/path},
     * memory.max) and v1 ({@code N:memory:/path}, memory.limit_in_bytes) under {@code root}.
     */
    static long cgroupAvailable(String procSelfCgroup, Path root) {
        long tightest = -1;
        for (String line : procSelfCgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            boolean v2 = f[0].equals("0") && f[1].isEmpty();
            boolean v1 = List.of(f[1].split(",")).contains("memory");
            if (!v1 && !v2) {
                continue;
            }
            Path base = v2 ? root : root.resolve("memory");
            for (Path dir = base.resolve(f[2].replaceFirst("^/", "")); dir != null && dir.startsWith(base); dir = dir.getParent()) {
                long left = v2 ? groupLeft(dir, "memory.max", "memory.current", "active_file", "inactive_file")
                        : groupLeft(dir, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_active_file", "total_inactive_file");
                if (left >= 0 && (tightest < 0 || left < tightest)) {
                    tightest = left;
                }
            }
        }
        return tightest;
    }

    /** limit - usage + file cache of one group, or -1 when it sets no limit or cannot be read. */
    private static long groupLeft(Path dir, String limitFile, String usageFile, String activeFile, String inactiveFile) {
        try {
            String limit = Files.readString(dir.resolve(limitFile)).strip();
            if (limit.equals("max") || Long.parseLong(limit) >= 1L << 60) { // v1 writes "no limit" as about 2^63
                return -1;
            }
            long cache = 0;
            for (String line : Files.readAllLines(dir.resolve("memory.stat"))) {
                String[] kv = line.split(" ");
                if (kv.length == 2 && (kv[0].equals(activeFile) || kv[0].equals(inactiveFile))) {
                    cache += Long.parseLong(kv[1]);
                }
            }
            return Math.max(0, Long.parseLong(limit) - Long.parseLong(Files.readString(dir.resolve(usageFile)).strip()) + cache);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * {@code bytes} of zeroed memory starting on a 2 MiB boundary, advised into huge pages and unmapped when
     * {@code arena} closes. The pages are allocated as they are first written.
     */
    public static MemorySegment allocate(long bytes, Arena arena) {
        long length = bytes + SIZE; // room to start on a 2 MiB boundary
        MemorySegment raw = map(length, bytes);
        long start = (raw.address() + SIZE - 1) & -SIZE;
        MemorySegment aligned = MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(raw.address(), length));
        try {
            int rc = (int) Native.MADVISE.invokeExact(aligned, bytes, MADV_HUGEPAGE);
            if (rc != 0) {
                throw new IllegalStateException("madvise(MADV_HUGEPAGE) refused the weights' memory");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed: " + t, t);
        }
        return aligned;
    }

    /**
     * {@code bytes} of memory for a copy that is about to be written whole, unmapped when {@code arena} closes: on
     * Linux fresh pages the kernel zeroes as they are first written, rather than {@link Arena#allocate}'s memory,
     * which Java zeroes first in a pass of its own (on the Zen 3 VM of sessions 48 to 55, the first touch of fresh
     * memory is most of a load: that pass was 46% of a V2-Lite-shape Q4_K_M load with {@code --memory map}).
     */
    public static MemorySegment allocateForCopy(long bytes, Arena arena) {
        if (!linux() || bytes == 0) { // mmap refuses an empty mapping
            return arena.allocate(bytes, 64);
        }
        MemorySegment raw = map(bytes, bytes);
        return MemorySegment.ofAddress(raw.address()).reinterpret(bytes, arena, s -> unmap(raw.address(), bytes));
    }

    /** An anonymous private mapping of {@code length} bytes ({@code bytes} of them asked for). */
    private static MemorySegment map(long length, long bytes) {
        MemorySegment raw;
        try {
            raw = (MemorySegment) Native.MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed: " + t, t);
        }
        if (raw.address() == -1L) {
            throw new OutOfMemoryError("cannot reserve " + bytes + " bytes of memory for the weights (mmap failed)");
        }
        return raw;
    }

    /**
     * Takes the pages of {@code fileMapped}, part of a read-only file mapping, out of this process's resident
     * memory (madvise(MADV_DONTNEED); whole pages, so its neighbours' too): they stay in the page cache, and a
     * later read maps them again. Only for file mappings: anonymous memory would lose its contents.
     */
    public static void releaseFilePages(MemorySegment fileMapped) {
        long page = Native.PAGE_SIZE;
        long start = fileMapped.address() & -page;
        long end = (fileMapped.address() + fileMapped.byteSize() + page - 1) & -page;
        if (end == start) {
            return;
        }
        try {
            int rc = (int) Native.MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
            assert rc == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed: " + t, t);
        }
    }

    private static void unmap(long address, long length) {
        try {
            int rc = (int) Native.MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
            assert rc == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed: " + t, t);
        }
    }

    /** The libc calls, bound on first use (only on Linux). */
    private static final class Native {
        static final MethodHandle MMAP = bind("mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle MADVISE = bind("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        static final long PAGE_SIZE = pageSize();

        private static long pageSize() {
            try {
                return (int) bind("getpagesize", FunctionDescriptor.of(JAVA_INT)).invokeExact();
            } catch (Throwable t) {
                throw new IllegalStateException("getpagesize failed: " + t, t);
            }
        }

        private static MethodHandle bind(String name, FunctionDescriptor d) {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find(name)
                    .orElseThrow(() -> new IllegalStateException("libc has no " + name)), d);
        }
    }

    /** Bytes of this process's anonymous memory in huge pages (AnonHugePages of /proc/self/smaps_rollup), or -1. */
    public static long processHugePageBytes() {
        return kibField(Path.of("/proc/self/smaps_rollup"), "AnonHugePages:");
    }

    /** The "KEY: N kB" line of a /proc file, in bytes, or -1 when the file or the line is missing. */
    private static long kibField(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }
}
