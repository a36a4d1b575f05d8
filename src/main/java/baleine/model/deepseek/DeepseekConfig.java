package baleine.model.deepseek;

import baleine.format.ModelFormatException;
import baleine.format.hf.HfStore;
import baleine.format.gguf.GgufMetadata;
import baleine.model.Architecture;
import baleine.model.blocks.Router;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Hyper-parameters of DeepSeek-V2/V3 (MLA + DeepSeekMoE), read from a Hugging Face config.json or from
 * the {@code deepseek2.*} GGUF metadata. {@code qLoraRank == 0} means a plain q projection.
 */
public record DeepseekConfig(int hidden, int layers, int heads, int qLoraRank, int kvLoraRank, int nopeDim, int ropeDim,
                             int vDim, int intermediate, int moeIntermediate, int routedExperts, int sharedExperts,
                             int topK, int groups, int topkGroup, Router.Scoring scoring, boolean normTopK,
                             float routedScale, int firstDense, int moeLayerFreq, float eps, double ropeTheta,
                             Yarn yarn, int contextLength) {

    /** YaRN rope scaling; {@code mscale} scales cos/sin relative to {@code mscaleAllDim}, which scales attention. */
    public record Yarn(double factor, int originalContext, double betaFast, double betaSlow, double mscale, double mscaleAllDim) {
    }

    public boolean isMoeLayer(int layer) {
        return routedExperts > 0 && layer >= firstDense && layer % moeLayerFreq == 0;
    }

    public static DeepseekConfig fromHf(JsonNode c, String where) {
        Yarn yarn = null;
        JsonNode rs = c.path("rope_scaling");
        if (rs.isObject()) {
            String type = rs.path("type").asText(rs.path("rope_type").asText(""));
            if (!type.equals("yarn")) {
                throw new ModelFormatException(where + ": rope_scaling type '" + type + "' is not supported for DeepSeek models (only yarn)");
            }
            yarn = new Yarn(rs.path("factor").asDouble(1), rs.path("original_max_position_embeddings").asInt(4096),
                    rs.path("beta_fast").asDouble(32), rs.path("beta_slow").asDouble(1),
                    rs.path("mscale").asDouble(1), rs.path("mscale_all_dim").asDouble(0));
        }
        String scoring = c.path("scoring_func").asText("softmax");
        return new DeepseekConfig(
                HfStore.requiredInt(c, "hidden_size", where), HfStore.requiredInt(c, "num_hidden_layers", where),
                HfStore.requiredInt(c, "num_attention_heads", where), c.path("q_lora_rank").asInt(0),
                HfStore.requiredInt(c, "kv_lora_rank", where), HfStore.requiredInt(c, "qk_nope_head_dim", where),
                HfStore.requiredInt(c, "qk_rope_head_dim", where), HfStore.requiredInt(c, "v_head_dim", where),
                HfStore.requiredInt(c, "intermediate_size", where), c.path("moe_intermediate_size").asInt(0),
                c.path("n_routed_experts").asInt(0), c.path("n_shared_experts").asInt(0),
                c.path("num_experts_per_tok").asInt(0), c.path("n_group").asInt(1), c.path("topk_group").asInt(1),
                scoring(scoring, where), c.path("norm_topk_prob").asBoolean(false),
                (float) c.path("routed_scaling_factor").asDouble(1.0), c.path("first_k_dense_replace").asInt(0),
                Math.max(1, c.path("moe_layer_freq").asInt(1)), (float) c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000), yarn, Architecture.contextLength(c));
    }

    public static DeepseekConfig fromGguf(GgufMetadata m, int vocabSize) {
        String a = "deepseek2.";
        int rope = (int) m.integer(a + "rope.dimension_count");
        int keyLength = (int) m.integer(a + "attention.key_length_mla", m.integer(a + "attention.key_length"));
        int valueLength = (int) m.integer(a + "attention.value_length_mla", m.integer(a + "attention.value_length"));
        Yarn yarn = null;
        if (m.optString(a + "rope.scaling.type").orElse("none").equals("yarn")) {
            double logMul = m.real(a + "rope.scaling.yarn_log_multiplier", 0);
            yarn = new Yarn(m.real(a + "rope.scaling.factor"), (int) m.integer(a + "rope.scaling.original_context_length"),
                    m.real(a + "rope.scaling.yarn_beta_fast", 32), m.real(a + "rope.scaling.yarn_beta_slow", 1),
                    logMul / 0.1, logMul / 0.1);
        }
        long gating = m.integer(a + "expert_gating_func", 1);
        return new DeepseekConfig(
                (int) m.integer(a + "embedding_length"), (int) m.integer(a + "block_count"),
                (int) m.integer(a + "attention.head_count"), (int) m.integer(a + "attention.q_lora_rank", 0),
                (int) m.integer(a + "attention.kv_lora_rank"), keyLength - rope, rope, valueLength,
                (int) m.integer(a + "feed_forward_length"), (int) m.integer(a + "expert_feed_forward_length", 0),
                (int) m.integer(a + "expert_count", 0), (int) m.integer(a + "expert_shared_count", 0),
                (int) m.integer(a + "expert_used_count", 0), (int) m.integer(a + "expert_group_count", 1),
                (int) m.integer(a + "expert_group_used_count", 1),
                gating == 2 ? Router.Scoring.SIGMOID : Router.Scoring.SOFTMAX, m.bool(a + "expert_weights_norm", false),
                (float) m.real(a + "expert_weights_scale", 1.0), (int) m.integer(a + "leading_dense_block_count", 0), 1,
                (float) m.real(a + "attention.layer_norm_rms_epsilon", 1e-6), m.real(a + "rope.freq_base", 10000), yarn,
                Architecture.contextLength(m, "deepseek2"));
    }

    private static Router.Scoring scoring(String name, String where) {
        return switch (name) {
            case "softmax" -> Router.Scoring.SOFTMAX;
            case "sigmoid" -> Router.Scoring.SIGMOID;
            default -> throw new ModelFormatException(where + ": scoring_func '" + name + "' is not supported (softmax or sigmoid)");
        };
    }
}
