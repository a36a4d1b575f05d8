package baleine.tensor;

/**
 * A yes/no property of each stored row of a matrix that the kernels must know but cannot afford to test at every
 * product (a second pass over the row): found by scanning the row once, on its first use. Threads racing on a row
 * store the same answer. Row slices share their matrix's answers.
 */
final class RowScan {
    /** Whether stored row {@code row} has the property. */
    interface Test {
        boolean test(int row);
    }

    private final byte[] known; // per stored row: 0 not looked at yet, 1 no, 2 yes
    private final int first;
    private final Test test;

    RowScan(int rows, Test test) {
        this(new byte[rows], 0, test);
    }

    private RowScan(byte[] known, int first, Test test) {
        this.known = known;
        this.first = first;
        this.test = test;
    }

    /** Whether row {@code row} (of this view) has the property. */
    boolean holds(int row) {
        int r = first + row;
        byte k = known[r];
        if (k == 0) {
            k = test.test(r) ? (byte) 2 : (byte) 1;
            known[r] = k;
        }
        return k == 2;
    }

    /** The view whose row 0 is this one's row {@code from}. */
    RowScan from(int from) {
        return new RowScan(known, first + from, test);
    }
}
