package baleine.format;

import baleine.tensor.HugePages;
import baleine.tensor.Weight;

import java.lang.foreign.MemorySegment;

/**
 * A row table read from a file mapping whose pages are released from this process after every read
 * ({@link MappedFile#rowTable}): the rows stay in the page cache, not in this process's resident memory.
 */
final class TransientRows extends Weight {
    private final Weight table;
    private final MemorySegment mapped;

    TransientRows(Weight table, MemorySegment mapped) {
        super(table.name, table.rows, table.cols);
        this.table = table;
        this.mapped = mapped;
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        table.decodeRow(row, dst);
        HugePages.releaseFilePages(mapped);
    }

    @Override
    public float[] toFloats() {
        float[] all = table.toFloats();
        HugePages.releaseFilePages(mapped);
        return all;
    }

    @Override
    public Weight rowSlice(int from, int count) {
        return new TransientRows(table.rowSlice(from, count), mapped);
    }

    @Override
    public String typeName() {
        return table.typeName();
    }

    @Override
    public long bytes() {
        return table.bytes();
    }
}
