package baleine.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A whole file mapped read-only; any size (no 2 GB limit). Closing unmaps it. */
public final class MappedFile implements AutoCloseable {
    public final Path path;
    public final MemorySegment segment;
    private final Arena arena;

    private MappedFile(Path path, MemorySegment segment, Arena arena) {
        this.path = path;
        this.segment = segment;
        this.arena = arena;
    }

    public static MappedFile open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException("model file not found: " + path);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, seg, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException("model file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
