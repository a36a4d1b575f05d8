package baleine.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
     * Free rows by width: matrices of any height share them (a mixture of experts gives each expert a
     * different number of tokens, so whole matrices kept by shape would pile up).
     */
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    /** Matrices taken and not yet given back, in order. */
    private final List<float[][]> taken = new ArrayList<>();
    /** Widths used since the outermost scope opened: the others are dropped when it closes. */
    private final Set<Integer> used = new HashSet<>();
    private int depth;

    private Activations() {
    }

    /** A zeroed {@code float[n][width]}, valid until the innermost open scope of this thread closes. */
    public static float[][] take(int n, int width) {
        Activations a = OF_THREAD.get();
        if (a.depth == 0) { // outside any scope: a plain allocation
            return new float[n][width];
        }
        ArrayDeque<float[]> rows = a.free.get(width);
        float[][] m = new float[n][];
        for (int t = 0; t < n; t++) {
            float[] row = rows != null ? rows.poll() : null;
            if (row == null) {
                row = new float[width];
            } else {
                Arrays.fill(row, 0f);
            }
            m[t] = row;
        }
        a.taken.add(m);
        a.used.add(width);
        return m;
    }

    /** Opens a scope: what is taken from now on goes back when it closes. */
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
                for (float[] row : a.taken.remove(i)) {
                    a.free.computeIfAbsent(row.length, w -> new ArrayDeque<>()).push(row);
                }
            }
            if (--a.depth == 0) { // a pass ended: keep only the widths it used
                a.free.keySet().retainAll(a.used);
                a.used.clear();
            }
        }
    }
}
