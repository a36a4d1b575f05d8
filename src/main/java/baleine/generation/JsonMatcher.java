package baleine.generation;

/** Recognises prefixes of an allowed JSON text, byte by byte; copies are cheap, for trying a token without committing. */
public interface JsonMatcher {
    /** Feeds one byte (0..255); false when it cannot continue an allowed text (the state is then undefined). */
    boolean accept(int b);

    /** Whether what was fed is a complete allowed text. */
    boolean complete();

    JsonMatcher copy();

    /**
     * Whether the text is among a string's characters with nothing to watch (not in an escape or a character, no
     * length or pattern), where any whole UTF-8 characters but a quote, a backslash or a control character continue it.
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
