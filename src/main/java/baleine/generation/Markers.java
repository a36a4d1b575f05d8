package baleine.generation;

/** Streaming helpers for text markers (stop strings, think tags, tool-call tokens) that may arrive split. */
public final class Markers {
    private Markers() {
    }

    /** Length of the longest end of {@code text} that is the start of {@code marker} (to hold back until known). */
    public static int partialSuffix(CharSequence text, String marker) {
        for (int k = Math.min(marker.length() - 1, text.length()); k > 0; k--) {
            if (text.subSequence(text.length() - k, text.length()).toString().equals(marker.substring(0, k))) {
                return k;
            }
        }
        return 0;
    }
}
