package baleine.format.gguf;

/** Metadata value types of the GGUF header, by their numbers in the file. */
public enum GgufValueType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    static GgufValueType of(int id) {
        return id >= 0 && id < values().length ? values()[id] : null;
    }
}
