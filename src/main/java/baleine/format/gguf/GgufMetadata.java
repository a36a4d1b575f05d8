package baleine.format.gguf;

import baleine.format.ModelFormatException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * GGUF key/value metadata. Integers are held as {@link Long}, floats as {@link Double}, arrays as
 * {@link List}; typed getters convert and name the key when it is missing or of the wrong kind.
 */
public final class GgufMetadata {
    private final Map<String, Object> values;
    private final String source;

    public GgufMetadata(Map<String, Object> values, String source) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.source = source;
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String string(String key) {
        return typed(key, String.class);
    }

    public Optional<String> optString(String key) {
        return get(key).map(v -> typed(key, String.class));
    }

    public long integer(String key) {
        return typed(key, Number.class).longValue();
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    public double real(String key) {
        return typed(key, Number.class).doubleValue();
    }

    public double real(String key, double fallback) {
        return has(key) ? real(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        return has(key) ? typed(key, Boolean.class) : fallback;
    }

    @SuppressWarnings("unchecked")
    public List<Object> array(String key) {
        return typed(key, List.class);
    }

    private <T> T typed(String key, Class<T> type) {
        Object v = values.get(key);
        if (v == null) {
            throw new ModelFormatException(source + ": metadata key '" + key + "' is missing");
        }
        if (!type.isInstance(v)) {
            throw new ModelFormatException(source + ": metadata key '" + key + "' holds " + v.getClass().getSimpleName()
                    + ", expected " + type.getSimpleName());
        }
        return type.cast(v);
    }
}
