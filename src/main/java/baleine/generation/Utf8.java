package baleine.generation;

/**
 * Bytes checked as UTF-8 one at a time, as a strict decoder takes them: no stray continuation byte, no overlong
 * form, no surrogate, nothing past U+10FFFF — so that constrained JSON strings are always valid text.
 */
final class Utf8 {
    private int left; // continuation bytes still due
    private int lo = 0x80, hi = 0xBF; // the range of the next continuation byte

    /** Takes byte {@code c} if it may come next. */
    boolean accept(int c) {
        if (left > 0) {
            if (c < lo || c > hi) {
                return false;
            }
            left--;
            lo = 0x80;
            hi = 0xBF;
            return true;
        }
        if (c < 0x80) {
            return true;
        }
        if (c < 0xC2 || c > 0xF4) {
            return false;
        }
        left = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        return true;
    }

    /** Continuation bytes the current character still needs (0: between characters). */
    int left() {
        return left;
    }

    Utf8 copy() {
        Utf8 u = new Utf8();
        u.left = left;
        u.lo = lo;
        u.hi = hi;
        return u;
    }

    /** Whether {@code bytes} are whole UTF-8 characters. */
    static boolean whole(byte[] bytes) {
        Utf8 u = new Utf8();
        for (byte b : bytes) {
            if (!u.accept(b & 0xFF)) {
                return false;
            }
        }
        return u.left == 0;
    }
}
