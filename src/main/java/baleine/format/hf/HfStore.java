package baleine.format.hf;

import baleine.format.ModelFormatException;
import baleine.format.TensorStore;
import baleine.format.WeightMemory;
import baleine.tensor.BlockWeight;
import baleine.tensor.Fp8BlockWeight;
import baleine.tensor.GgmlType;
import baleine.tensor.UnsupportedTensorTypeException;
import baleine.tensor.Weight;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A Hugging Face model directory: {@code config.json} plus one or more {@code *.safetensors} shards
 * (listed by {@code model.safetensors.index.json} when sharded). FP8 tensors pair with their
 * {@code <name>_scale_inv} block scales.
 */
public final class HfStore implements TensorStore {
    private final Path dir;
    private final JsonNode config;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
    private final int fp8Block;

    private HfStore(Path dir, JsonNode config, List<SafetensorsFile> files) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        for (SafetensorsFile f : files) {
            for (String name : f.entries.keySet()) {
                owner.put(name, f);
            }
        }
        JsonNode block = config.path("quantization_config").path("weight_block_size");
        this.fp8Block = block.isArray() && block.size() == 2 ? block.get(0).asInt(128) : 128;
        if (block.isArray() && block.size() == 2 && block.get(0).asInt() != block.get(1).asInt()) {
            throw new ModelFormatException(dir + "/config.json: weight_block_size " + block + " is not square; only square FP8 blocks are supported");
        }
    }

    public static boolean isModelDirectory(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json"));
    }

    public static HfStore open(Path dir) {
        return open(dir, WeightMemory.AUTO);
    }

    public static HfStore open(Path dir, WeightMemory memory) {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = readJson(json, dir.resolve("config.json"));
        List<Path> shards = shardPaths(json, dir);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Path p : shards) {
                files.add(SafetensorsFile.open(p, json, memory));
            }
            return new HfStore(dir, config, files);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The integer {@code key} of a {@code config.json}; {@code where} names the model in the error. */
    public static int requiredInt(JsonNode config, String key, String where) {
        if (!config.path(key).isNumber()) {
            throw new ModelFormatException(where + ": config.json lacks the number '" + key + "'");
        }
        return config.path(key).asInt();
    }

    static JsonNode readJson(ObjectMapper json, Path path) {
        try {
            return json.readTree(path.toFile());
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage());
        }
    }

    private static List<Path> shardPaths(ObjectMapper json, Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode map = readJson(json, index).path("weight_map");
            if (!map.isObject()) {
                throw new ModelFormatException(index + " has no weight_map object");
            }
            Set<String> names = new TreeSet<>();
            for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                names.add(it.next().asText());
            }
            List<Path> paths = new ArrayList<>();
            for (String n : names) {
                Path p = dir.resolve(n);
                if (!Files.isRegularFile(p)) {
                    throw new ModelFormatException(index + " lists shard " + n + " but it is missing from " + dir);
                }
                paths.add(p);
            }
            return paths;
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> paths = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (paths.isEmpty()) {
                throw new ModelFormatException(dir + " has a config.json but no .safetensors weights");
            }
            return paths;
        } catch (IOException e) {
            throw new ModelFormatException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    public Path directory() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    private SafetensorsFile.Entry entry(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new ModelFormatException(dir + " has no tensor '" + name + "'");
        }
        return f.entries.get(name);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(owner.keySet());
    }

    @Override
    public boolean has(String name) {
        return owner.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return entry(name).shape().clone();
    }

    @Override
    public String typeName(String name) {
        return entry(name).dtype();
    }

    @Override
    public long bytes(String name) {
        SafetensorsFile.Entry e = entry(name);
        String scale = name + "_scale_inv";
        return e.end() - e.begin() + (has(scale) ? bytes(scale) : 0);
    }

    @Override
    public Weight weight(String name) {
        return weight(name, true);
    }

    @Override
    public Weight rowTable(String name) {
        return owner.get(name).rowTable(entry(name), weight(name, false));
    }

    private Weight weight(String name, boolean streamed) {
        SafetensorsFile.Entry e = entry(name);
        long[] shape = e.shape();
        int cols = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        var data = owner.get(name).data(e, streamed);
        return switch (e.dtype()) {
            case "F32" -> new BlockWeight(name, GgmlType.F32, data, Math.toIntExact(rows), cols);
            case "F16" -> new BlockWeight(name, GgmlType.F16, data, Math.toIntExact(rows), cols);
            case "BF16" -> new BlockWeight(name, GgmlType.BF16, data, Math.toIntExact(rows), cols);
            case "F8_E4M3" -> fp8(name, data, Math.toIntExact(rows), cols, streamed);
            default -> throw new UnsupportedTensorTypeException(name, e.dtype());
        };
    }

    private Weight fp8(String name, java.lang.foreign.MemorySegment data, int rows, int cols, boolean streamed) {
        String scaleName = name + "_scale_inv";
        if (!has(scaleName)) {
            throw new ModelFormatException(dir + ": FP8 tensor " + name + " has no " + scaleName + " block scales");
        }
        SafetensorsFile.Entry s = entry(scaleName);
        long expectRows = (rows + fp8Block - 1) / fp8Block, expectCols = (cols + fp8Block - 1) / fp8Block;
        if (!s.dtype().equals("F32") || s.shape().length != 2 || s.shape()[0] != expectRows || s.shape()[1] != expectCols) {
            throw new ModelFormatException(dir + ": " + scaleName + " should be F32 of shape [" + expectRows + ", " + expectCols
                    + "] for " + fp8Block + "x" + fp8Block + " blocks, found " + s.dtype() + " " + java.util.Arrays.toString(s.shape()));
        }
        return new Fp8BlockWeight(name, data, owner.get(scaleName).data(s, streamed), rows, cols, fp8Block);
    }

    @Override
    public void endReads() {
        files.forEach(SafetensorsFile::endReads);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
