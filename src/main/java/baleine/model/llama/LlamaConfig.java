package baleine.model.llama;

import baleine.format.ModelFormatException;
import baleine.format.hf.HfStore;
import baleine.format.gguf.GgufMetadata;
import baleine.model.Architecture;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Hyper-parameters of the dense Llama / Qwen2 decoders (the R1-Distill models). {@code ropeScaling} is
 * Hugging Face's llama3 scaling; GGUF files carry it as a {@code rope_freqs} tensor instead.
 */
public record LlamaConfig(int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate, float eps,
                          double ropeTheta, Llama3Scaling ropeScaling, boolean qkvBias, int contextLength) {

    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
    }

    public static LlamaConfig fromHf(JsonNode c, boolean qwen2, String where) {
        Llama3Scaling scaling = null;
        JsonNode rs = c.path("rope_scaling");
        if (rs.isObject()) {
            String type = rs.path("rope_type").asText(rs.path("type").asText(""));
            if (!type.equals("llama3")) {
                throw new ModelFormatException(where + ": rope_scaling type '" + type + "' is not supported (only llama3)");
            }
            scaling = new Llama3Scaling(rs.path("factor").asDouble(), rs.path("low_freq_factor").asDouble(1),
                    rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        int hidden = HfStore.requiredInt(c, "hidden_size", where), heads = HfStore.requiredInt(c, "num_attention_heads", where);
        return new LlamaConfig(hidden, HfStore.requiredInt(c, "num_hidden_layers", where), heads,
                c.path("num_key_value_heads").asInt(heads), c.path("head_dim").asInt(hidden / heads),
                HfStore.requiredInt(c, "intermediate_size", where), (float) c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000), scaling, qwen2 || c.path("attention_bias").asBoolean(false),
                Architecture.contextLength(c));
    }

    public static LlamaConfig fromGguf(GgufMetadata m, String arch, boolean hasBias) {
        String a = arch + ".";
        String scaling = m.optString(a + "rope.scaling.type").orElse("none");
        if (!scaling.equals("none")) {
            throw new ModelFormatException(m.optString("general.name").orElse(arch) + ": rope scaling '" + scaling + "' is not supported for " + arch);
        }
        int hidden = (int) m.integer(a + "embedding_length"), heads = (int) m.integer(a + "attention.head_count");
        return new LlamaConfig(hidden, (int) m.integer(a + "block_count"), heads,
                (int) m.integer(a + "attention.head_count_kv", heads),
                (int) m.integer(a + "attention.key_length", m.integer(a + "rope.dimension_count", hidden / heads)),
                (int) m.integer(a + "feed_forward_length"), (float) m.real(a + "attention.layer_norm_rms_epsilon", 1e-5),
                m.real(a + "rope.freq_base", 10000), null, hasBias, Architecture.contextLength(m, arch));
    }
}
