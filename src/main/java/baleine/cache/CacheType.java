package baleine.cache;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The element type of cached keys, values and latents (llama.cpp's {@code --cache-type-k}): 32-bit floats; 16-bit
 * floats, half the memory (f16 keeps 11 significant bits, bf16 8 but a float's range); or 8-bit integers in blocks
 * of 32 with a float scale each, 1.125 bytes per value. All but f32 round each cached value once.
 */
public enum CacheType {
    F32, F16, BF16, Q8_0;

    /** The lower-case name used on the command line and in reports: f32, f16, bf16, q8_0. */
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
