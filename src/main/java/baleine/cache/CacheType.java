package baleine.cache;

import baleine.tensor.Halves;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The element type of cached keys, values and latents (llama.cpp's {@code --cache-type-k}): 32-bit floats, or
 * 16-bit floats that halve the cache's memory and the bytes attention reads per token, at the price of rounding
 * each cached value once (f16 keeps 11 significant bits, bf16 8 but a float's range).
 */
public enum CacheType {
    F32(null), F16(Halves.Format.F16), BF16(Halves.Format.BF16);

    private final Halves.Format halves;

    CacheType(Halves.Format halves) {
        this.halves = halves;
    }

    /** The 16-bit format, or null for floats. */
    public Halves.Format halves() {
        return halves;
    }

    public int bytes() {
        return halves == null ? 4 : 2;
    }

    /** The lower-case name used on the command line and in reports: f32, f16, bf16. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CacheType parse(String name) {
        for (CacheType t : values()) {
            if (t.label().equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown cache type '" + name + "'; use "
                + Arrays.stream(values()).map(CacheType::label).collect(Collectors.joining(", ")));
    }
}
