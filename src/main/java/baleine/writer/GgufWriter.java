package baleine.writer;

import baleine.format.gguf.GgufFile;
import baleine.format.gguf.GgufValueType;
import baleine.tensor.GgmlType;
import baleine.tensor.Quantizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Writes GGUF v3 files: typed metadata, then tensors (quantized on the way out), 32-byte aligned. */
public final class GgufWriter {
    private static final int ALIGNMENT = 32;

    private record Entry(String key, GgufValueType type, GgufValueType elementType, Object value) {
    }

    private record Tensor(TensorData data, GgmlType type, byte[] raw) {
        long bytes() {
            return raw != null ? raw.length : type.bytesFor(data.elements());
        }
    }

    private final List<Entry> metadata = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter put(String key, String value) {
        return add(new Entry(key, GgufValueType.STRING, null, value));
    }

    /** Adds an entry; a later value for the same key replaces the earlier one. */
    private GgufWriter add(Entry e) {
        metadata.removeIf(old -> old.key().equals(e.key()));
        metadata.add(e);
        return this;
    }

    public GgufWriter putUint32(String key, long value) {
        return add(new Entry(key, GgufValueType.UINT32, null, value));
    }

    public GgufWriter putFloat32(String key, double value) {
        return add(new Entry(key, GgufValueType.FLOAT32, null, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return add(new Entry(key, GgufValueType.BOOL, null, value));
    }

    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return add(new Entry(key, GgufValueType.ARRAY, elementType, values));
    }

    /** Adds a tensor encoded as {@code type}; GGUF dims are the shape reversed (innermost first). */
    public GgufWriter tensor(TensorData data, GgmlType type) {
        tensors.add(new Tensor(data, type, null));
        return this;
    }

    /** Adds a tensor whose bytes are given as they are (any type id, e.g. one Baleine cannot decode). */
    public GgufWriter rawTensor(String name, long[] shape, GgmlType type, byte[] bytes) {
        tensors.add(new Tensor(new TensorData(name, shape, null), type, bytes));
        return this;
    }

    public void write(Path path) throws IOException {
        Buf head = new Buf();
        head.u32(GgufFile.MAGIC).u32(3).u64(tensors.size()).u64(metadata.size());
        for (Entry e : metadata) {
            head.str(e.key()).u32(e.type().ordinal());
            value(head, e.type(), e.elementType(), e.value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long[] shape = t.data().shape();
            head.str(t.data().name()).u32(shape.length);
            for (int i = shape.length - 1; i >= 0; i--) {
                head.u64(shape[i]);
            }
            head.u32(t.type().id).u64(offset);
            offset = align(offset + t.bytes());
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = head.done();
            ChannelWrites.writeFully(ch, h);
            ChannelWrites.writeFully(ch, ByteBuffer.allocate((int) (align(h.limit()) - h.limit())));
            for (Tensor t : tensors) {
                try (Arena arena = Arena.ofConfined()) {
                    ByteBuffer bytes = t.raw() != null ? ByteBuffer.wrap(t.raw())
                            : Quantizer.encode(t.type(), t.data().values().get(), arena).asByteBuffer();
                    ChannelWrites.writeFully(ch, bytes);
                }
                ChannelWrites.writeFully(ch, ByteBuffer.allocate((int) (align(t.bytes()) - t.bytes())));
            }
        }
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void value(Buf b, GgufValueType type, GgufValueType elementType, Object v) {
        switch (type) {
            case STRING -> b.str((String) v);
            case UINT32, INT32 -> b.u32(((Number) v).intValue());
            case UINT64, INT64 -> b.u64(((Number) v).longValue());
            case FLOAT32 -> b.f32(((Number) v).floatValue());
            case BOOL -> b.u8((Boolean) v ? 1 : 0);
            case ARRAY -> {
                List<?> list = (List<?>) v;
                b.u32(elementType.ordinal()).u64(list.size());
                for (Object o : list) {
                    value(b, elementType, null, o);
                }
            }
            default -> throw new IllegalArgumentException("writer does not support metadata type " + type);
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Buf {
        private ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private Buf room(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * b.capacity(), b.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                b.flip();
                bigger.put(b);
                b = bigger;
            }
            return this;
        }

        Buf u8(int v) { room(1).b.put((byte) v); return this; }
        Buf u32(int v) { room(4).b.putInt(v); return this; }
        Buf u64(long v) { room(8).b.putLong(v); return this; }
        Buf f32(float v) { room(4).b.putFloat(v); return this; }

        Buf str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            room(bytes.length).b.put(bytes);
            return this;
        }

        ByteBuffer done() {
            return b.flip();
        }
    }
}
