package baleine.tokenizer;

/**
 * GPT-2's reversible map between bytes and printable characters: printable Latin-1 bytes map to
 * themselves, the others to U+0100 onwards. Byte-level BPE vocabularies are written in these characters.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The character standing for byte {@code b}. */
    public static String symbol(int b) {
        return String.valueOf(BYTE_TO_CHAR[b & 0xFF]);
    }

    /** The byte-level spelling of a piece of text (its UTF-8 bytes, one character each). */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** Appends the bytes a byte-level token stands for; false if it holds a character outside the map. */
    public static boolean decode(String token, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return false;
            }
            out.write(b);
        }
        return true;
    }
}
