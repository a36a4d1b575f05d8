package baleine.model;

import baleine.format.TensorStore;
import baleine.model.blocks.Mlp;
import baleine.model.blocks.RmsNorm;
import baleine.tensor.Weight;

/** Looks tensors up by role in either naming scheme (GGUF or Hugging Face). */
public final class ModelTensors {
    public final TensorStore store;
    public final boolean gguf;

    public ModelTensors(TensorStore store, boolean gguf) {
        this.store = store;
        this.gguf = gguf;
    }

    public String name(int layer, Part part) {
        return gguf ? "blk." + layer + "." + part.gguf : "model.layers." + layer + "." + part.hf;
    }

    public boolean has(int layer, Part part) {
        return (gguf || part.hf != null) && store.has(name(layer, part));
    }

    public Weight weight(int layer, Part part) {
        return store.require(name(layer, part));
    }

    public float[] floats(int layer, Part part) {
        return has(layer, part) ? store.floats(name(layer, part)) : null;
    }

    public RmsNorm norm(int layer, Part part, float eps) {
        return new RmsNorm(store.floats(name(layer, part)), eps);
    }

    /** The token embeddings: a table read a row per token, unless the model ties it to the LM head, which streams it whole. */
    public Weight embedding() {
        String name = gguf ? "token_embd.weight" : "model.embed_tokens.weight";
        return store.has(headName()) ? store.requireRowTable(name) : store.require(name);
    }

    public RmsNorm finalNorm(float eps) {
        return new RmsNorm(store.floats(gguf ? "output_norm.weight" : "model.norm.weight"), eps);
    }

    /** The LM head, or the embedding when the model ties them. */
    public Weight lmHead() {
        return store.has(headName()) ? store.weight(headName()) : embedding();
    }

    private String headName() {
        return gguf ? "output.weight" : "lm_head.weight";
    }

    public Mlp mlp(int layer, Part gate, Part up, Part down) {
        return new Mlp(weight(layer, gate), weight(layer, up), weight(layer, down));
    }

    /** Routed expert {@code e}: a tensor of its own (Hugging Face) or a slice of the merged tensor (GGUF). */
    public Mlp expert(int layer, int e) {
        return new Mlp(expertPart(layer, e, Part.EXPERTS_GATE), expertPart(layer, e, Part.EXPERTS_UP),
                expertPart(layer, e, Part.EXPERTS_DOWN));
    }

    private Weight expertPart(int layer, int e, Part part) {
        if (!gguf) {
            return store.require("model.layers." + layer + "." + part.hf.formatted(e));
        }
        Weight merged = weight(layer, part);
        long[] shape = store.shape(name(layer, part));
        int rowsPerExpert = Math.toIntExact(merged.rows / shape[shape.length - 1]);
        return merged.rowSlice(e * rowsPerExpert, rowsPerExpert);
    }
}
