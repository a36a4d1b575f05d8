package baleine.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The activation matrices of forward passes, reused from layer to layer and pass to pass instead of
 * allocated each time: a long prompt's passes used to leave hundreds of MB per pass for the garbage
 * collector, some of it promoted to the old generation (resident memory grew to ~1.5x the weights).
 * Per thread; a matrix taken inside a {@link Scope} goes back when the scope closes, so it must not be
 * used after that (forward passes return fresh arrays, never these).
 */
public final class Activations {
    private static final ThreadLocal<Activations> OF_THREAD = ThreadLocal.withInitial(Activations::new);

    /**
     * Free rows by width, one pool per width in use ({@code widths[i]}'s rows in {@code pools[i]}): matrices of any
     * height share them (a mixture of experts gives each expert a different number of tokens, so whole matrices kept
     * by shape would pile up). A model has a few widths, found by a scan; keyed by int, a take allocates nothing but
     * the matrix (a map by width boxed every width above 127: ~15% of the heap a Qwen-shape token allocated).
     */
    private int[] widths = new int[8];
    @SuppressWarnings("unchecked")
    private ArrayDeque<float[]>[] pools = new ArrayDeque[8];
    /** Whether pool i was used since the outermost scope opened: the others are dropped when it closes. */
    private boolean[] used = new boolean[8];
    private int count;
    /** Matrices taken and not yet given back, in order. */
    private final List<float[][]> taken = new ArrayList<>();
    private int depth;

    private Activations() {
    }

    /** A zeroed {@code float[n][width]}, valid until the innermost open scope of this thread closes. */
    public static float[][] take(int n, int width) {
        Activations a = OF_THREAD.get();
        if (a.depth == 0) { // outside any scope: a plain allocation
            return new float[n][width];
        }
        ArrayDeque<float[]> rows = a.pool(width);
        float[][] m = new float[n][];
        for (int t = 0; t < n; t++) {
            float[] row = rows.poll();
            if (row == null) {
                row = new float[width];
            } else {
                Arrays.fill(row, 0f);
            }
            m[t] = row;
        }
        a.taken.add(m);
        return m;
    }

    /** The pool of rows of {@code width}, marked used (a new one if none). */
    private ArrayDeque<float[]> pool(int width) {
        for (int i = 0; i < count; i++) {
            if (widths[i] == width) {
                used[i] = true;
                return pools[i];
            }
        }
        if (count == widths.length) {
            widths = Arrays.copyOf(widths, 2 * count);
            pools = Arrays.copyOf(pools, 2 * count);
            used = Arrays.copyOf(used, 2 * count);
        }
        widths[count] = width;
        pools[count] = new ArrayDeque<>();
        used[count] = true;
        return pools[count++];
    }

    /** Keeps only the pools used since the outermost scope opened, and clears the marks. */
    private void dropUnused() {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (used[i]) {
                widths[kept] = widths[i];
                pools[kept] = pools[i];
                used[kept++] = false;
            }
        }
        Arrays.fill(pools, kept, count, null);
        count = kept;
    }

    public static Scope open() {
        Activations a = OF_THREAD.get();
        a.depth++;
        return new Scope(a, a.taken.size());
    }

    /** A nesting of {@link #take}s; closing it gives their rows back (and, outermost, forgets unused widths). */
    public static final class Scope implements AutoCloseable {
        private final Activations owner;
        private final int mark;

        private Scope(Activations owner, int mark) {
            this.owner = owner;
            this.mark = mark;
        }

        @Override
        public void close() {
            Activations a = owner;
            for (int i = a.taken.size() - 1; i >= mark; i--) {
                float[][] m = a.taken.remove(i);
                if (m.length > 0) {
                    ArrayDeque<float[]> rows = a.pool(m[0].length);
                    for (float[] row : m) {
                        rows.push(row);
                    }
                }
            }
            if (--a.depth == 0) { // a pass ended: keep only the widths it used
                a.dropUnused();
            }
        }
    }
}
