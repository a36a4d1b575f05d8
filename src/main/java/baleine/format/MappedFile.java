package baleine.format;

import baleine.tensor.HugePages;
import baleine.tensor.Parallel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file's bytes in memory, any size (no 2 GB limit): mapped read-only in place, or read into huge pages
 * (see {@link WeightMemory}). Closing unmaps it.
 */
public final class MappedFile implements AutoCloseable {
    public final Path path;
    public final MemorySegment segment;
    private static final long READ_PIECE = 64L << 20;
    private final Arena arena;

    private MappedFile(Path path, MemorySegment segment, Arena arena) {
        this.path = path;
        this.segment = segment;
        this.arena = arena;
    }

    public static MappedFile open(Path path, WeightMemory memory) {
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException("model file not found: " + path);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : memory.readsIntoHugePages(path, size) ? read(ch, size, arena, path).asReadOnly()
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, seg, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException("model file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads the file into huge pages with positional reads, 64 MiB pieces spread over the worker threads (page
     * faults and copies both take CPU time: one thread reads about 2.5 GB/s here). The file is never mapped, so
     * its bytes are resident in this process once, not twice.
     */
    private static MemorySegment read(FileChannel ch, long size, Arena arena, Path path) {
        MemorySegment seg = HugePages.allocate(size, arena);
        int pieces = (int) ((size + READ_PIECE - 1) / READ_PIECE);
        Parallel.forEach(pieces, i -> {
            long pos = i * READ_PIECE;
            ByteBuffer piece = seg.asSlice(pos, Math.min(READ_PIECE, size - pos)).asByteBuffer();
            try {
                while (piece.hasRemaining()) {
                    if (ch.read(piece, pos + piece.position()) < 0) {
                        throw new ModelFormatException(path + " shrank while it was read (now " + (pos + piece.position()) + " bytes)");
                    }
                }
            } catch (IOException e) {
                throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
            }
        });
        return seg;
    }

    public long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
