package baleine.format;

import baleine.tensor.HugePages;
import baleine.tensor.Parallel;
import baleine.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * A whole file, any size (no 2 GB limit), mapped read-only. With {@link WeightMemory} huge pages, the tensors
 * that are streamed whole through the kernels are also read, each on its first request, into an anonymous
 * copy of the file in 2 MiB pages; what is never requested (an embedding table, read a row at a time from the
 * mapping) takes no memory there, nor stays resident in the mapping ({@link #rowTable}). Closing unmaps both.
 */
public final class MappedFile implements AutoCloseable {
    /**
     * The copy is read in pieces of this size, spread over the worker threads: small enough that every tensor's read
     * is shared (a Q4_K_M FFN matrix of the 1.5B shape is 7.7 MB). Reading is mostly first touches of fresh memory,
     * and on a VM that hands freed memory back to its host a first touch costs up to ~2 s a GB; in parallel the
     * Qwen-shape Q4_K_M model of 28 layers loaded in 2.7-2.8 s instead of 3.2-3.4 (64 MiB pieces), V2-Lite Q8_0 in
     * 2.5 instead of 2.9-5.0.
     */
    private static final long READ_PIECE = 4L << 20;
    public final Path path;
    /** The mapping: headers, and tensors read a few rows at a time. */
    public final MemorySegment segment;
    private final MemorySegment hugeCopy; // null: everything is served from the mapping
    private FileChannel channel; // open while tensors may still be read into the copy; null once reads ended
    private FileChannel rows; // row tables' reads (readFully), opened with the first row table
    private volatile boolean rowsClosed;
    private final Set<Long> copied = new HashSet<>(); // offsets of the tensors read into the copy
    private final Arena arena;

    private final boolean asStored; // WeightMemory.AS_STORED: no tensor copied, not even to rewrite it

    private MappedFile(Path path, MemorySegment segment, MemorySegment hugeCopy, FileChannel channel, Arena arena, boolean asStored) {
        this.path = path;
        this.segment = segment;
        this.hugeCopy = hugeCopy;
        this.channel = channel;
        this.arena = arena;
        this.asStored = asStored;
    }

    public static MappedFile open(Path path, WeightMemory memory) {
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException("model file not found: " + path);
        }
        Arena arena = Arena.ofShared();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
            long size = ch.size();
            MemorySegment mapped = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (!memory.readsIntoHugePages(path, size)) {
                ch.close();
                return new MappedFile(path, mapped, null, null, arena, memory == WeightMemory.AS_STORED);
            }
            return new MappedFile(path, mapped, HugePages.allocate(size, arena), ch, arena, false);
        } catch (NoSuchFileException e) {
            closeAll(ch, arena);
            throw new ModelFormatException("model file not found: " + path);
        } catch (IOException e) {
            closeAll(ch, arena);
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException | OutOfMemoryError e) {
            closeAll(ch, arena);
            throw e;
        }
    }

    /**
     * Bytes [offset, offset + length) of a tensor: one {@code streamed} whole through the kernels comes from the
     * huge-page copy (read there on the first request) when there is one; anything else from the mapping.
     */
    public synchronized MemorySegment tensor(long offset, long length, boolean streamed) {
        if (hugeCopy == null || !streamed) {
            return segment.asSlice(offset, length);
        }
        if (!copied.contains(offset)) {
            if (channel == null) {
                throw new IllegalStateException(path + ": a tensor at offset " + offset + " was first asked for after the model was built");
            }
            read(offset, length);
            copied.add(offset);
        }
        return hugeCopy.asSlice(offset, length).asReadOnly();
    }

    /**
     * A streamed tensor to be rewritten whole (Q4_0 rows regrouped for the integer kernels): read from
     * {@code source}, written into {@code target}, which then holds it; {@link #done} once written.
     */
    public record Rewrite(MemorySegment source, MemorySegment target, Runnable done) {
    }

    /**
     * Bytes [offset, offset + length) of a streamed tensor that the caller rewrites: in place in the huge-page copy
     * when there is one, or else read from the mapping into fresh anonymous memory of its own, the mapping's pages
     * released again once done (so it is resident once). Empty when there is no copy and the file does not fit
     * comfortably in the memory available (a model mapped because it is larger than memory), or when it was opened
     * {@link WeightMemory#AS_STORED}: the tensor then stays in the mapping, as it is.
     */
    public synchronized Optional<Rewrite> rewritableTensor(long offset, long length) {
        if (hugeCopy != null) {
            tensor(offset, length, true);
            MemorySegment inPlace = hugeCopy.asSlice(offset, length);
            return Optional.of(new Rewrite(inPlace, inPlace, () -> { }));
        }
        long available = HugePages.availableMemory();
        if (asStored || available < 0 || segment.byteSize() > available * 0.8) {
            return Optional.empty();
        }
        MemorySegment mapped = segment.asSlice(offset, length);
        return Optional.of(new Rewrite(mapped, HugePages.allocateForCopy(length, arena), () -> HugePages.releaseFilePages(mapped)));
    }

    /**
     * A table at [offset, offset + length) that {@code table} reads a row at a time from the mapping. Beside a
     * huge-page copy it must not stay resident in the mapping either: Linux maps up to 64 KiB of cached file around
     * each page fault, so an embedding lookup per token would leave ~64 KiB per distinct token resident (58 MiB
     * after a short benchmark of the Qwen-shape Q4_0 file, 15% of it); its rows are then read from the file
     * instead ({@link TransientRows}). Without a copy the mapping holds every weight anyway, and the table is
     * served as it is.
     */
    public Weight rowTable(Weight table, long offset, long length) {
        if (hugeCopy == null) {
            return table;
        }
        rowChannel(); // opened while the file is surely the one the model was read from
        return new TransientRows(table, segment.asSlice(offset, length), this, offset);
    }

    /**
     * Fills {@code dst} from the file at {@code position} with positional reads (a row table's row; {@code what}
     * names it in errors), through a channel of their own that stays open while the model is in use. An interrupt
     * closes a channel that a read was in: the channel is opened again and the read repeated, the interrupt kept.
     */
    void readFully(long position, ByteBuffer dst, String what) {
        int start = dst.position();
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                FileChannel ch = rowChannel();
                try {
                    while (dst.hasRemaining()) {
                        if (ch.read(dst, position + dst.position() - start) < 0) {
                            throw new ModelFormatException(path + " shrank while the model was in use: " + what + " cannot be read; load the model again");
                        }
                    }
                    return;
                } catch (ClosedChannelException e) {
                    if (rowsClosed) {
                        throw new IllegalStateException(path + ": " + what + " was read after the model was closed", e);
                    }
                    if (attempt == 3) {
                        throw new IllegalStateException(path + ": reading " + what + " was interrupted three times", e);
                    }
                    interrupted |= Thread.interrupted();
                    dst.position(start);
                } catch (IOException e) {
                    throw new ModelFormatException("cannot read " + what + " from " + path + ": " + e.getMessage(), e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized FileChannel rowChannel() {
        if (rows == null || !rows.isOpen()) {
            if (rowsClosed) {
                throw new IllegalStateException(path + ": a row was read after the model was closed");
            }
            try {
                rows = FileChannel.open(path, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new ModelFormatException("cannot open " + path + " to read rows of a table from it: " + e.getMessage(), e);
            }
        }
        return rows;
    }

    /**
     * Reads a range into the copy with positional reads, 64 MiB pieces spread over the worker threads (page
     * faults and copies both take CPU time: one thread reads about 2.5 GB/s here). Plain reads, not the
     * mapping: the bytes are then resident in this process once, not twice.
     */
    private void read(long offset, long length) {
        int pieces = (int) ((length + READ_PIECE - 1) / READ_PIECE);
        Parallel.forEach(pieces, i -> {
            long pos = offset + i * READ_PIECE;
            ByteBuffer piece = hugeCopy.asSlice(pos, Math.min(READ_PIECE, offset + length - pos)).asByteBuffer();
            try {
                while (piece.hasRemaining()) {
                    if (channel.read(piece, pos + piece.position()) < 0) {
                        throw new ModelFormatException(path + " shrank while it was read (now " + (pos + piece.position()) + " bytes)");
                    }
                }
            } catch (IOException e) {
                throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * The model is built: every tensor it streams has been read into the copy, so the file's descriptor is
     * closed (a DeepSeek-V3 checkpoint has 163 shards). The mapping stays, for row tables and headers, but
     * beside a huge-page copy the pages read through it so far are released from this process.
     */
    public synchronized void endReads() {
        closeQuietly(channel);
        channel = null;
        if (hugeCopy != null && segment.byteSize() > 0) {
            HugePages.releaseFilePages(segment); // headers, vocabulary, norms: parsed and copied by now
        }
    }

    public long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        endReads();
        synchronized (this) {
            rowsClosed = true;
            closeQuietly(rows);
        }
        arena.close();
    }

    private static void closeAll(FileChannel channel, Arena arena) {
        closeQuietly(channel);
        arena.close();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // nothing is lost: the file was only read
        }
    }
}
