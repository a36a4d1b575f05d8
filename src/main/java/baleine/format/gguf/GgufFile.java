package baleine.format.gguf;

import baleine.format.MappedFile;
import baleine.format.WeightMemory;
import baleine.format.ModelFormatException;
import baleine.tensor.GgmlType;
import baleine.tensor.Le;
import baleine.tensor.Weight;

import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GGUF file (v2 or v3), memory-mapped: header, metadata, tensor directory. Every offset and length
 * is checked against the file size, so a truncated or corrupt file gives an error naming what is wrong.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian

    public record TensorInfo(String name, long[] dims, int typeId, GgmlType type, long offset, long bytes) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    private final MappedFile file;
    public final int version;
    public final GgufMetadata metadata;
    public final Map<String, TensorInfo> tensors;
    public final long dataStart;

    private GgufFile(MappedFile file, int version, GgufMetadata metadata, Map<String, TensorInfo> tensors, long dataStart) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataStart = dataStart;
    }

    public Path path() {
        return file.path;
    }

    /** The tensor's bytes: {@code streamed} through the kernels whole (huge pages, when chosen), or read a row at a time (the mapping). */
    public MemorySegment data(TensorInfo t, boolean streamed) {
        return file.tensor(t.offset(), t.bytes(), streamed);
    }

    /** The tensor's bytes, streamed through the kernels, to be rewritten: see {@link MappedFile#rewritableTensor}. */
    public Optional<MappedFile.Rewrite> rewritableData(TensorInfo t) {
        return file.rewritableTensor(t.offset(), t.bytes());
    }

    /** {@code table}, made of {@code data(t, false)}, as it is served a row at a time: see {@link MappedFile#rowTable}. */
    public Weight rowTable(TensorInfo t, Weight table) {
        return file.rowTable(table, t.offset(), t.bytes());
    }

    public static GgufFile open(Path path) {
        return open(path, WeightMemory.AUTO);
    }

    public static GgufFile open(Path path, WeightMemory memory) {
        MappedFile file = MappedFile.open(path, memory);
        try {
            return parse(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static GgufFile parse(MappedFile file) {
        Cursor c = new Cursor(file.segment, file.path.toString());
        if (file.size() < 4 || c.u32() != MAGIC) {
            throw new ModelFormatException(file.path + " is not a GGUF file (it does not start with 'GGUF')");
        }
        int version = c.u32();
        if (version != 2 && version != 3) {
            throw new ModelFormatException(file.path + ": GGUF version " + version + " is not supported (only 2 and 3); re-convert the model with a recent llama.cpp");
        }
        long nTensors = c.u64("tensor count");
        long nKv = c.u64("metadata count");
        if (nTensors > file.size() / 8 || nKv > file.size() / 8) {
            throw new ModelFormatException(file.path + ": header claims " + nTensors + " tensors and " + nKv + " metadata entries, more than the file can hold; the file is truncated or corrupt");
        }
        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string("metadata key #" + i);
            int type = c.u32();
            kv.put(key, c.value(type, key));
        }
        GgufMetadata meta = new GgufMetadata(kv, file.path.toString());
        Map<String, TensorInfo> raw = new LinkedHashMap<>();
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("tensor name #" + i);
            int nDims = c.u32();
            if (nDims < 1 || nDims > 4) {
                throw new ModelFormatException(file.path + ": tensor " + name + " has " + nDims + " dimensions (GGUF allows 1 to 4); the file is corrupt");
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = c.u64("dimension of " + name);
                if (dims[d] <= 0 || dims[d] > (1L << 40)) {
                    throw new ModelFormatException(file.path + ": tensor " + name + " has dimension " + dims[d] + "; the file is corrupt");
                }
            }
            int typeId = c.u32();
            long rel = c.u64("offset of " + name);
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> new ModelFormatException(
                    file.path + ": tensor " + name + " has unknown type id " + typeId + "; this file needs a newer Baleine"));
            long elements = 1;
            for (long d : dims) {
                elements = Math.multiplyExact(elements, d);
            }
            if (dims[0] % type.blockSize != 0) {
                throw new ModelFormatException(file.path + ": tensor " + name + " of type " + type + " has rows of " + dims[0]
                        + " values, not a multiple of its block size " + type.blockSize);
            }
            if (raw.containsKey(name)) {
                throw new ModelFormatException(file.path + ": tensor " + name + " appears twice");
            }
            raw.put(name, new TensorInfo(name, dims, typeId, type, rel, type.bytesFor(elements)));
        }
        long alignment = meta.integer("general.alignment", 32);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new ModelFormatException(file.path + ": general.alignment " + alignment + " is not a power of two");
        }
        long dataStart = (c.pos + alignment - 1) / alignment * alignment;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : raw.values()) {
            long abs = dataStart + t.offset();
            if (t.offset() < 0 || abs + t.bytes() > file.size()) {
                throw new ModelFormatException(file.path + " is truncated: tensor " + t.name() + " (" + t.type() + ", " + t.bytes()
                        + " bytes at offset " + abs + ") ends past the end of the file (" + file.size() + " bytes); download it again");
            }
            tensors.put(t.name(), new TensorInfo(t.name(), t.dims(), t.typeId(), t.type(), abs, t.bytes()));
        }
        return new GgufFile(file, version, meta, tensors, dataStart);
    }

    /** See {@link MappedFile#endReads}. */
    public void endReads() {
        file.endReads();
    }

    @Override
    public void close() {
        file.close();
    }

    /** Reads the header with bounds checks: running off the end means the file is truncated. */
    private static final class Cursor {
        final MemorySegment seg;
        final String path;
        long pos;

        Cursor(MemorySegment seg, String path) {
            this.seg = seg;
            this.path = path;
        }

        void need(long n, String what) {
            if (n < 0 || pos + n > seg.byteSize()) {
                throw new ModelFormatException(path + " is truncated: the header ends inside " + what + " (offset " + pos
                        + ", file size " + seg.byteSize() + "); download it again");
            }
        }

        int u32() {
            need(4, "a 32-bit field");
            int v = seg.get(Le.I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(Le.I64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = u64(what);
            need(len, what);
            byte[] bytes = seg.asSlice(pos, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ModelFormatException(path + ": " + what + " is not UTF-8");
            }
        }

        Object value(int typeId, String key) {
            GgufValueType type = GgufValueType.of(typeId);
            if (type == null) {
                throw new ModelFormatException(path + ": metadata key '" + key + "' has unknown value type " + typeId + "; the file is corrupt");
            }
            String what = "the value of '" + key + "'";
            switch (type) {
                case UINT8 -> { need(1, what); return (long) (seg.get(Le.I8, pos++) & 0xFF); }
                case INT8 -> { need(1, what); return (long) seg.get(Le.I8, pos++); }
                case BOOL -> { need(1, what); return seg.get(Le.I8, pos++) != 0; }
                case UINT16 -> { need(2, what); long v = seg.get(Le.I16, pos) & 0xFFFF; pos += 2; return v; }
                case INT16 -> { need(2, what); long v = seg.get(Le.I16, pos); pos += 2; return v; }
                case UINT32 -> { return u32() & 0xFFFFFFFFL; }
                case INT32 -> { return (long) u32(); }
                case FLOAT32 -> { need(4, what); double v = seg.get(Le.F32, pos); pos += 4; return v; }
                case UINT64, INT64 -> { return u64(what); }
                case FLOAT64 -> { need(8, what); double v = seg.get(Le.F64, pos); pos += 8; return v; }
                case STRING -> { return string(what); }
                case ARRAY -> {
                    int elemType = u32();
                    long n = u64(what);
                    if (n > seg.byteSize() - pos) {
                        throw new ModelFormatException(path + " is truncated or corrupt: array '" + key + "' claims " + n + " elements");
                    }
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long i = 0; i < n; i++) {
                        list.add(value(elemType, key));
                    }
                    return list;
                }
                default -> throw new AssertionError(type);
            }
        }
    }
}
