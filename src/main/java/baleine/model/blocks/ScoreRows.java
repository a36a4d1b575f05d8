package baleine.model.blocks;

/**
 * Attention's score rows, one set per thread, grown to the longest context seen and reused token after
 * token and layer after layer: allocated per token they cost megabytes per token at long contexts.
 */
final class ScoreRows {
    private static final ThreadLocal<float[][]> OF_THREAD = ThreadLocal.withInitial(() -> new float[0][0]);

    private ScoreRows() {
    }

    /** At least {@code count} rows of at least {@code length} floats each, contents undefined. */
    static float[][] take(int count, int length) {
        float[][] rows = OF_THREAD.get();
        if (rows.length < count || rows[0].length < length) {
            int capacity = Math.max(length, rows.length == 0 ? 0 : rows[0].length + rows[0].length / 2);
            rows = new float[Math.max(count, rows.length)][capacity];
            OF_THREAD.set(rows);
        }
        return rows;
    }
}
