package baleine.format.hf;

import baleine.format.MappedFile;
import baleine.format.WeightMemory;
import baleine.format.ModelFormatException;
import baleine.tensor.Le;
import baleine.tensor.Weight;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}}}, then the raw tensor bytes.
 */
public final class SafetensorsFile implements AutoCloseable {
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
    }

    private static final Map<String, Integer> DTYPE_BYTES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "F8_E4M3", 1, "F8_E5M2", 1,
            "I64", 8, "I32", 4, "I16", 2, "I8", 1);

    private final MappedFile file;
    private final long dataStart;
    public final Map<String, Entry> entries;

    private SafetensorsFile(MappedFile file, long dataStart, Map<String, Entry> entries) {
        this.file = file;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    public Path path() {
        return file.path;
    }

    /** The tensor's bytes: {@code streamed} through the kernels whole (huge pages, when chosen), or read a row at a time (the mapping). */
    public MemorySegment data(Entry e, boolean streamed) {
        return file.tensor(dataStart + e.begin(), e.end() - e.begin(), streamed);
    }

    /** {@code table}, made of {@code data(e, false)}, as it is served a row at a time: see {@link MappedFile#rowTable}. */
    public Weight rowTable(Entry e, Weight table) {
        return file.rowTable(table, dataStart + e.begin(), e.end() - e.begin());
    }

    public static SafetensorsFile open(Path path, ObjectMapper json, WeightMemory memory) {
        MappedFile file = MappedFile.open(path, memory);
        try {
            return parse(file, json);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(MappedFile file, ObjectMapper json) {
        String where = file.path.toString();
        if (file.size() < 8) {
            throw new ModelFormatException(where + " is truncated: shorter than the 8-byte safetensors header length");
        }
        long headerLen = file.segment.get(Le.I64, 0);
        if (headerLen <= 0 || headerLen > file.size() - 8) {
            throw new ModelFormatException(where + " is truncated or not a safetensors file: header length " + headerLen
                    + " does not fit in the file (" + file.size() + " bytes)");
        }
        byte[] header = file.segment.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = json.readTree(new String(header, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(where + ": the safetensors header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        long dataStart = 8 + headerLen;
        long dataSize = file.size() - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) {
                continue;
            }
            entries.put(f.getKey(), entry(where, f.getKey(), f.getValue(), dataSize));
        }
        return new SafetensorsFile(file, dataStart, entries);
    }

    private static Entry entry(String where, String name, JsonNode n, long dataSize) {
        String dtype = n.path("dtype").asText("");
        JsonNode shapeNode = n.path("shape"), offsets = n.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2 || dtype.isEmpty()) {
            throw new ModelFormatException(where + ": tensor " + name + " has a malformed header entry " + n);
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new ModelFormatException(where + ": tensor " + name + " has a negative dimension");
            }
            elements = Math.multiplyExact(elements, shape[i]);
        }
        long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
        Integer width = DTYPE_BYTES.get(dtype);
        if (width == null) {
            throw new ModelFormatException(where + ": tensor " + name + " has unknown dtype " + dtype);
        }
        if (begin < 0 || end < begin || end - begin != elements * width) {
            throw new ModelFormatException(where + ": tensor " + name + " (" + dtype + ", " + elements + " values) has data offsets ["
                    + begin + ", " + end + "] of the wrong length; the file is corrupt");
        }
        if (end > dataSize) {
            throw new ModelFormatException(where + " is truncated: tensor " + name + " ends at byte " + end + " of the data but the file holds "
                    + dataSize + " data bytes; download it again");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** See {@link MappedFile#endReads}. */
    public void endReads() {
        file.endReads();
    }

    @Override
    public void close() {
        file.close();
    }
}
