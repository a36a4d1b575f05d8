package baleine.format.gguf;

import baleine.format.ModelFormatException;
import baleine.format.TensorStore;
import baleine.format.WeightMemory;
import baleine.tensor.BlockWeight;
import baleine.tensor.GgmlType;
import baleine.tensor.GroupedWeight;
import baleine.tensor.Weight;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF model: one file, or all shards of a split model ({@code name-00001-of-00003.gguf}). Metadata
 * comes from the first shard; tensors from all of them.
 */
public final class GgufStore implements TensorStore {
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    private final List<GgufFile> files;
    private final Map<String, GgufFile> owner = new LinkedHashMap<>();
    private final Map<String, Optional<Weight>> regrouped = new HashMap<>(); // regrouped once, in place: asked again, the same

    private GgufStore(List<GgufFile> files) {
        this.files = files;
        for (GgufFile f : files) {
            for (String name : f.tensors.keySet()) {
                if (owner.putIfAbsent(name, f) != null) {
                    throw new ModelFormatException("tensor " + name + " appears in two shards: " + owner.get(name).path() + " and " + f.path());
                }
            }
        }
    }

    public static GgufStore open(Path path) {
        return open(path, WeightMemory.AUTO);
    }

    public static GgufStore open(Path path, WeightMemory memory) {
        Matcher m = SPLIT.matcher(path.getFileName().toString());
        if (!m.matches()) {
            return new GgufStore(List.of(GgufFile.open(path, memory)));
        }
        int count = Integer.parseInt(m.group(3));
        List<GgufFile> files = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                Path shard = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
                if (!Files.isRegularFile(shard)) {
                    throw new ModelFormatException("split model " + path.getFileName() + " needs " + count + " shards but " + shard + " is missing");
                }
                files.add(GgufFile.open(shard, memory));
            }
            GgufStore store = new GgufStore(files);
            long declared = files.getFirst().metadata.integer("split.tensors.count", store.owner.size());
            if (declared != store.owner.size()) {
                throw new ModelFormatException("split model " + path.getFileName() + " declares " + declared + " tensors but its shards hold " + store.owner.size());
            }
            return store;
        } catch (RuntimeException e) {
            files.forEach(GgufFile::close);
            throw e;
        }
    }

    public GgufMetadata metadata() {
        return files.getFirst().metadata;
    }

    public Path path() {
        return files.getFirst().path();
    }

    @Override
    public Optional<String> fileType() {
        return LlamaFileType.recordedIn(metadata());
    }

    public int version() {
        return files.getFirst().version;
    }

    public GgufFile.TensorInfo info(String name) {
        GgufFile f = owner.get(name);
        if (f == null) {
            throw new ModelFormatException(path() + " has no tensor '" + name + "'");
        }
        return f.tensors.get(name);
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
        return info(name).dims().clone();
    }

    @Override
    public String typeName(String name) {
        return info(name).type().name();
    }

    @Override
    public long bytes(String name) {
        return info(name).bytes();
    }

    @Override
    public Weight weight(String name) {
        return weight(name, true);
    }

    @Override
    public Weight rowTable(String name) {
        return owner.get(name).rowTable(info(name), weight(name, false));
    }

    private Weight weight(String name, boolean streamed) {
        GgufFile.TensorInfo t = info(name);
        int rows = Math.toIntExact(t.elements() / t.dims()[0]), cols = Math.toIntExact(t.dims()[0]);
        if (streamed && regroups(name, t)) {
            Optional<Weight> w = regrouped.computeIfAbsent(name, n -> owner.get(n).rewritableData(t).map(r -> {
                Weight g = GroupedWeight.regroup(n, GroupedWeight.Layout.of(t.type()), r.source(), r.target(), rows, cols, Math.toIntExact(rows / expertCount(t)));
                r.done().run();
                return g;
            }));
            if (w.isPresent()) {
                return w.get();
            }
        }
        return new BlockWeight(name, t.type(), owner.get(name).data(t, streamed), rows, cols);
    }

    /**
     * Whether a tensor is a Q4_0, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K matrix that the integer kernels take, regrouped ({@link GroupedWeight}): not
     * the latent attention's up projections, which are also read a row at a time.
     */
    private static boolean regroups(String name, GgufFile.TensorInfo t) {
        return GroupedWeight.Layout.of(t.type()) != null && GroupedWeight.supported() && t.dims().length >= 2
                && !name.contains("attn_kv_b") && !name.contains("attn_k_b") && !name.contains("attn_v_b");
    }

    /** Experts in a merged expert tensor (its third dimension), else 1. */
    private static long expertCount(GgufFile.TensorInfo t) {
        return t.dims().length == 3 ? t.dims()[2] : 1;
    }

    @Override
    public void endReads() {
        files.forEach(GgufFile::endReads);
    }

    @Override
    public void close() {
        files.forEach(GgufFile::close);
    }
}
