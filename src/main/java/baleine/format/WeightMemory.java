package baleine.format;

import baleine.tensor.HugePages;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** Where a model file's bytes live while the model runs. */
public enum WeightMemory {
    /** Huge pages when the machine offers them and the file fits comfortably in available memory, else mapped. */
    AUTO,
    /**
     * Mapped read-only in place: nothing is read up front, pages come in from the page cache as they are first
     * used, can be evicted under memory pressure and are shared with other processes (models larger than memory).
     */
    MAP,
    /** Read whole into anonymous memory in 2 MiB transparent huge pages (Linux): fewer TLB misses, faster decoding. */
    HUGE_PAGES,
    /**
     * Mapped in place and used as stored: no copy of any tensor, none rearranged for the integer kernels. For reading
     * a model's structure without running it ({@code info}, {@code show}): it loads in a moment whatever the file's
     * size. Not a command-line mode (slower to run: the kernels that need the rearranged layout are not used).
     */
    AS_STORED;

    /** Files below this size gain nothing measurable from huge pages and stay mapped under {@link #AUTO}. */
    static final long AUTO_MIN_BYTES = 64L << 20;

    /** The command-line spelling: auto, map, huge-pages. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static WeightMemory parse(String s) {
        for (WeightMemory m : values()) {
            if (m != AS_STORED && m.cliName().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown memory mode '" + s + "'; use auto, map or huge-pages");
    }

    /**
     * Whether a file of {@code bytes} is read into huge pages. {@link #HUGE_PAGES} asked for where they cannot
     * be had, or for a file larger than the memory available, is an error rather than a silent fallback.
     */
    boolean readsIntoHugePages(Path file, long bytes) {
        if (this == MAP || this == AS_STORED || bytes == 0) {
            return false;
        }
        Optional<String> unavailable = HugePages.unavailable();
        long available = HugePages.availableMemory();
        boolean fits = available >= 0 && bytes <= available * 0.8;
        if (this == AUTO) {
            return unavailable.isEmpty() && bytes >= AUTO_MIN_BYTES && fits;
        }
        if (unavailable.isPresent()) {
            throw new IllegalArgumentException("cannot read " + file.getFileName() + " into huge pages: " + unavailable.get() + "; use --memory map");
        }
        if (!fits) {
            throw new IllegalArgumentException(String.format("cannot read %s (%.2f GiB) into memory: %s; use --memory map, which pages the file in as needed",
                    file.getFileName(), bytes / (double) (1L << 30),
                    available < 0 ? "the available memory is unknown" : String.format("only %.2f GiB is available", available / (double) (1L << 30))));
        }
        return true;
    }
}
