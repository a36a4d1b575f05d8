package baleine.generation;

/** Recognises prefixes of an allowed JSON text, byte by byte; copies are cheap, for trying a token without committing. */
public interface JsonMatcher {
    /** Feeds one byte (0..255); false when it cannot continue an allowed text (the state is then undefined). */
    boolean accept(int b);

    /** Whether what was fed is a complete allowed text. */
    boolean complete();

    JsonMatcher copy();

    /**
     * Whether the text is among a string's characters (not in an escape), where every byte but a quote, a
     * backslash or a control character continues it, whatever the schema.
     */
    boolean insideString();

    default boolean accept(byte[] bytes) {
        for (byte b : bytes) {
            if (!accept(b & 0xFF)) {
                return false;
            }
        }
        return true;
    }
}
