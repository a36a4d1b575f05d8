package baleine.model;

import baleine.format.TensorStore;
import baleine.tensor.BlockWeight;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ModelTensorsTest {
    /** A store holding {@code names} (each the row 1, 2) that records which accessor each tensor was asked through. */
    private static TensorStore recording(Set<String> names, List<String> calls) {
        InvocationHandler h = (proxy, method, args) -> switch (method.getName()) {
            case "has" -> names.contains((String) args[0]);
            case "weight", "rowTable" -> {
                calls.add(method.getName() + " " + args[0]);
                yield new BlockWeight((String) args[0], GgmlType.F32, MemorySegment.ofArray(new float[]{1f, 2f}), 1, 2);
            }
            default -> method.isDefault() ? InvocationHandler.invokeDefault(proxy, method, args) : null;
        };
        return (TensorStore) Proxy.newProxyInstance(TensorStore.class.getClassLoader(), new Class<?>[]{TensorStore.class}, h);
    }

    /** An untied embedding table is read a row per token: it stays in the mapping, out of the huge-page copy. */
    @Test
    void anUntiedEmbeddingIsARowTableAndATiedOneIsStreamed() {
        List<String> calls = new ArrayList<>();
        new ModelTensors(recording(Set.of("token_embd.weight", "output.weight"), calls), true).embedding();
        assertThat(calls).containsExactly("rowTable token_embd.weight");
        calls.clear();
        ModelTensors tied = new ModelTensors(recording(Set.of("model.embed_tokens.weight"), calls), false);
        tied.embedding();
        tied.lmHead();
        assertThat(calls).containsExactly("weight model.embed_tokens.weight", "weight model.embed_tokens.weight");
    }

    /** Norms and biases are copied into the heap, so they are read from the mapping too. */
    @Test
    void floatsAreReadThroughTheMapping() {
        List<String> calls = new ArrayList<>();
        assertThat(recording(Set.of("blk.0.attn_norm.weight"), calls).floats("blk.0.attn_norm.weight")).containsExactly(1f, 2f);
        assertThat(calls).containsExactly("rowTable blk.0.attn_norm.weight");
    }
}
