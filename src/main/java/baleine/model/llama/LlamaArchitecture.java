package baleine.model.llama;

import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;
import baleine.model.Architecture;
import baleine.model.DecoderModel;
import baleine.model.Layer;
import baleine.model.ModelInfos;
import baleine.model.ModelTensors;
import baleine.model.Part;
import baleine.model.blocks.GroupedQueryAttention;
import baleine.model.blocks.Rope;

import java.util.ArrayList;
import java.util.List;

/**
 * Llama 3 and Qwen2 (the R1-Distill models): GQA attention with RoPE (optional q/k/v biases, llama3
 * frequency scaling) and a SwiGLU MLP. llama.cpp permutes Llama's Q/K rows for adjacent-pair RoPE, so
 * Llama GGUF files rotate adjacent pairs; Hugging Face files and Qwen2 GGUF files rotate halves.
 */
public final class LlamaArchitecture implements Architecture {
    @Override
    public List<String> hfNames() {
        return List.of("LlamaForCausalLM", "Qwen2ForCausalLM");
    }

    @Override
    public List<String> ggufNames() {
        return List.of("llama", "qwen2");
    }

    @Override
    public DecoderModel fromGguf(GgufStore store) {
        String arch = store.metadata().string("general.architecture");
        ModelTensors t = new ModelTensors(store, true);
        LlamaConfig c = LlamaConfig.fromGguf(store.metadata(), arch, t.has(0, Part.Q_BIAS));
        Rope.Pairing pairing = arch.equals("llama") ? Rope.Pairing.INTERLEAVED : Rope.Pairing.HALVES;
        Rope rope = store.has("rope_freqs.weight")
                ? Rope.withFactors(c.headDim(), c.ropeTheta(), pairing, store.floats("rope_freqs.weight"))
                : Rope.standard(c.headDim(), c.ropeTheta(), pairing);
        return build(c, t, rope, arch, store.path().toString(), "GGUF v" + store.version());
    }

    @Override
    public DecoderModel fromHf(HfStore store, String hfName) {
        LlamaConfig c = LlamaConfig.fromHf(store.config(), hfName.startsWith("Qwen2"), store.directory().toString());
        LlamaConfig.Llama3Scaling s = c.ropeScaling();
        Rope rope = s == null ? Rope.standard(c.headDim(), c.ropeTheta(), Rope.Pairing.HALVES)
                : Rope.llama3(c.headDim(), c.ropeTheta(), Rope.Pairing.HALVES, s.factor(), s.lowFreqFactor(),
                s.highFreqFactor(), s.originalContext());
        return build(c, new ModelTensors(store, false), rope, hfName, store.directory().toString(), "Hugging Face safetensors");
    }

    private DecoderModel build(LlamaConfig c, ModelTensors t, Rope rope, String arch, String source, String format) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            GroupedQueryAttention attention = new GroupedQueryAttention(t.weight(i, Part.Q), t.weight(i, Part.K), t.weight(i, Part.V),
                    t.floats(i, Part.Q_BIAS), t.floats(i, Part.K_BIAS), t.floats(i, Part.V_BIAS), t.weight(i, Part.O),
                    c.heads(), c.kvHeads(), c.headDim(), rope);
            layers.add(new Layer(t.norm(i, Part.ATTN_NORM, c.eps()), attention, t.norm(i, Part.FFN_NORM, c.eps()),
                    t.mlp(i, Part.FFN_GATE, Part.FFN_UP, Part.FFN_DOWN)));
        }
        DecoderModel model = new DecoderModel(t.embedding(), layers, t.finalNorm(c.eps()), t.lmHead(), c.contextLength(), t.store);
        String details = "GQA: %d heads, %d KV heads, head dim %d%s; FFN %d; rope theta %.0f%s".formatted(c.heads(), c.kvHeads(),
                c.headDim(), c.qkvBias() ? ", q/k/v bias" : "", c.intermediate(), c.ropeTheta(),
                c.ropeScaling() != null ? ", llama3 scaling x" + c.ropeScaling().factor() : "");
        ModelInfos.attach(model, t.store, arch, source, format, c.hidden(), 2 * c.kvHeads() * c.headDim(), details);
        return model;
    }
}
