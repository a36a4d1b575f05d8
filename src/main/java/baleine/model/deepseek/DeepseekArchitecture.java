package baleine.model.deepseek;

import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;
import baleine.model.Architecture;
import baleine.model.DecoderModel;
import baleine.model.Layer;
import baleine.model.ModelTensors;
import baleine.model.Part;
import baleine.model.blocks.AttentionBlock;
import baleine.model.blocks.FeedForward;
import baleine.model.blocks.LatentAttention;
import baleine.model.blocks.LatentUpProjection;
import baleine.model.blocks.Mlp;
import baleine.model.blocks.Moe;
import baleine.model.blocks.Rope;
import baleine.model.blocks.Router;
import baleine.model.ModelInfos;

import java.util.ArrayList;
import java.util.List;

/**
 * DeepSeek-V2 / V2-Lite / V3 / R1: Multi-head Latent Attention and DeepSeekMoE (shared experts,
 * softmax or sigmoid routing with optional correction bias and group limits), leading dense layers, YaRN.
 * The multi-token-prediction layer of V3 checkpoints is not part of the forward pass and is skipped.
 */
public final class DeepseekArchitecture implements Architecture {
    @Override
    public List<String> hfNames() {
        return List.of("DeepseekV3ForCausalLM", "DeepseekV2ForCausalLM");
    }

    @Override
    public List<String> ggufNames() {
        return List.of("deepseek2");
    }

    @Override
    public DecoderModel fromGguf(GgufStore store) {
        ModelTensors t = new ModelTensors(store, true);
        DeepseekConfig c = DeepseekConfig.fromGguf(store.metadata(), t.embedding().rows);
        return build(c, t, "deepseek2", store.path().toString(), "GGUF v" + store.version());
    }

    @Override
    public DecoderModel fromHf(HfStore store, String hfName) {
        DeepseekConfig c = DeepseekConfig.fromHf(store.config(), store.directory().toString());
        return build(c, new ModelTensors(store, false), hfName, store.directory().toString(), "Hugging Face safetensors");
    }

    private DecoderModel build(DeepseekConfig c, ModelTensors t, String archName, String source, String format) {
        Rope rope = rope(c, t.gguf);
        float scale = softmaxScale(c);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            FeedForward ffn = c.isMoeLayer(i) ? moe(c, t, i) : t.mlp(i, Part.FFN_GATE, Part.FFN_UP, Part.FFN_DOWN);
            layers.add(new Layer(t.norm(i, Part.ATTN_NORM, c.eps()), attention(c, t, i, rope, scale),
                    t.norm(i, Part.FFN_NORM, c.eps()), ffn));
        }
        DecoderModel model = new DecoderModel(t.embedding(), layers, t.finalNorm(c.eps()), t.lmHead(), c.contextLength(), t.store);
        String details = "MLA: heads %d, q_lora %s, kv_lora %d, qk_nope/rope/v %d/%d/%d; MoE: %d routed (top %d, groups %d/%d, %s%s), %d shared, scale %.3g, first %d layer(s) dense%s"
                .formatted(c.heads(), c.qLoraRank() == 0 ? "none" : String.valueOf(c.qLoraRank()), c.kvLoraRank(), c.nopeDim(),
                        c.ropeDim(), c.vDim(), c.routedExperts(), c.topK(), c.groups(), c.topkGroup(),
                        c.scoring().name().toLowerCase(), c.normTopK() ? ", normalised" : "", c.sharedExperts(), c.routedScale(),
                        c.firstDense(), c.yarn() != null ? "; YaRN x" + c.yarn().factor() + " from " + c.yarn().originalContext() : "");
        ModelInfos.attach(model, t.store, archName, source, format, c.hidden(), c.kvLoraRank() + c.ropeDim(), details);
        return model;
    }

    static Rope rope(DeepseekConfig c, boolean gguf) {
        if (c.yarn() == null) {
            return Rope.standard(c.ropeDim(), c.ropeTheta(), Rope.Pairing.INTERLEAVED);
        }
        DeepseekConfig.Yarn y = c.yarn();
        // GGUF files carry only mscale_all_dim, and llama.cpp leaves cos/sin unscaled
        double magnitude = gguf ? 1.0 : Rope.yarnMscale(y.factor(), y.mscale()) / Rope.yarnMscale(y.factor(), y.mscaleAllDim());
        return Rope.yarn(c.ropeDim(), c.ropeTheta(), Rope.Pairing.INTERLEAVED, y.factor(), y.originalContext(),
                y.betaFast(), y.betaSlow(), magnitude);
    }

    /** {@code (qk_nope + qk_rope)^-0.5}, times {@code mscale^2} under YaRN. */
    static float softmaxScale(DeepseekConfig c) {
        double scale = 1.0 / Math.sqrt(c.nopeDim() + c.ropeDim());
        if (c.yarn() != null) {
            double m = Rope.yarnMscale(c.yarn().factor(), c.yarn().mscaleAllDim());
            scale *= m * m;
        }
        return (float) scale;
    }

    private static AttentionBlock attention(DeepseekConfig c, ModelTensors t, int i, Rope rope, float scale) {
        LatentUpProjection up = t.has(i, Part.K_B)
                ? new LatentUpProjection.Split(t.weight(i, Part.K_B), t.weight(i, Part.V_B), c.kvLoraRank(), c.vDim())
                : new LatentUpProjection.Merged(t.weight(i, Part.KV_B), c.nopeDim(), c.vDim());
        boolean qLora = c.qLoraRank() > 0;
        return new LatentAttention(
                qLora ? t.weight(i, Part.Q_A) : null, qLora ? t.norm(i, Part.Q_A_NORM, c.eps()) : null,
                qLora ? t.weight(i, Part.Q_B) : t.weight(i, Part.Q),
                t.weight(i, Part.KV_A), t.norm(i, Part.KV_A_NORM, c.eps()), up, t.weight(i, Part.O),
                c.heads(), c.nopeDim(), c.ropeDim(), c.vDim(), c.kvLoraRank(), scale, rope);
    }

    private static Moe moe(DeepseekConfig c, ModelTensors t, int i) {
        Router router = new Router(c.scoring(), t.floats(i, Part.ROUTER_BIAS), c.groups(), c.topkGroup(), c.topK(),
                c.normTopK(), c.routedScale());
        List<Mlp> experts = new ArrayList<>();
        for (int e = 0; e < c.routedExperts(); e++) {
            experts.add(t.expert(i, e));
        }
        Mlp shared = c.sharedExperts() > 0 ? t.mlp(i, Part.SHARED_GATE, Part.SHARED_UP, Part.SHARED_DOWN) : null;
        return new Moe(t.weight(i, Part.ROUTER), router, experts, shared);
    }
}
