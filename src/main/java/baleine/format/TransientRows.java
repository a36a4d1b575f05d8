package baleine.format;

import baleine.tensor.BlockCodec;
import baleine.tensor.BlockWeight;
import baleine.tensor.HugePages;
import baleine.tensor.Weight;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A row table beside a huge-page copy ({@link MappedFile#rowTable}) whose rows never stay in this process's
 * resident memory: a row of ggml blocks is read from the file with a positional read into a buffer of the
 * calling thread (~3 us here), anything else through the mapping, whose pages are released after each row
 * (a page fault and a release cost ~100 us on this project's VMs: 6 ms of a 64-token prompt).
 */
final class TransientRows extends Weight {
    /** Per thread: a row's bytes, and the same memory as a segment to decode from. */
    private static final ThreadLocal<RowBuffer> BUFFER = ThreadLocal.withInitial(() -> new RowBuffer(0));

    private final Weight table;
    private final MemorySegment mapped;
    private final MappedFile file;
    private final long offset; // of the table in the file
    private final BlockCodec codec; // null: rows are read through the mapping
    private final int rowBytes;

    TransientRows(Weight table, MemorySegment mapped, MappedFile file, long offset) {
        super(table.name, table.rows, table.cols);
        this.table = table;
        this.mapped = mapped;
        this.file = file;
        this.offset = offset;
        BlockWeight blocks = table instanceof BlockWeight b ? b : null;
        long bytes = blocks == null ? 0 : blocks.type().bytesFor(cols);
        boolean byRows = blocks != null && bytes * rows == mapped.byteSize() && bytes <= Integer.MAX_VALUE;
        this.codec = byRows ? blocks.type().codec().orElseThrow() : null;
        this.rowBytes = byRows ? (int) bytes : 0;
    }

    @Override
    public void decodeRow(int row, float[] dst) {
        if (codec == null) {
            table.decodeRow(row, dst);
            HugePages.releaseFilePages(mapped);
            return;
        }
        RowBuffer b = BUFFER.get();
        if (b.bytes.capacity() < rowBytes) {
            b = new RowBuffer(rowBytes);
            BUFFER.set(b);
        }
        b.bytes.clear().limit(rowBytes);
        file.readFully(offset + (long) row * rowBytes, b.bytes, name);
        codec.decodeRun(b.segment, 0, dst, 0, cols);
    }

    @Override
    public float[] toFloats() {
        float[] all = table.toFloats();
        HugePages.releaseFilePages(mapped);
        return all;
    }

    @Override
    public Weight rowSlice(int from, int count) {
        Weight slice = table.rowSlice(from, count);
        return codec == null ? new TransientRows(slice, mapped, file, offset)
                : new TransientRows(slice, mapped.asSlice((long) from * rowBytes, (long) count * rowBytes), file, offset + (long) from * rowBytes);
    }

    @Override
    public String typeName() {
        return table.typeName();
    }

    @Override
    public long bytes() {
        return table.bytes();
    }

    private static final class RowBuffer {
        final ByteBuffer bytes;
        final MemorySegment segment;

        RowBuffer(int capacity) {
            bytes = ByteBuffer.allocateDirect(capacity);
            segment = MemorySegment.ofBuffer(bytes);
        }
    }
}
