package baleine.writer;

import baleine.format.gguf.LlamaFileType;
import baleine.model.blocks.Rope;
import baleine.model.Part;
import baleine.model.blocks.Router;
import baleine.model.deepseek.DeepseekConfig;
import baleine.model.llama.LlamaConfig;
import baleine.tensor.GgmlType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes random-weight models of any supported architecture and shape, as a Hugging Face directory
 * (config.json + model.safetensors, BF16/F32/F16 or DeepSeek FP8) or as a GGUF file laid out the way
 * llama.cpp's converter lays it out (merged experts, split {@code attn_k_b}/{@code attn_v_b}, permuted
 * Llama Q/K rows). Tests, demos and benchmarks use it instead of downloads.
 */
public final class RandomModelWriter {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");
    private static final Pattern EXPERT = Pattern.compile("mlp\\.experts\\.(\\d+)\\.(gate|up|down)_proj\\.weight");

    /** Storage of the Hugging Face layout; FP8 applies to the attention/MLP/expert projections. */
    public enum HfType { BF16, F16, F32, FP8 }

    private RandomModelWriter() {
    }

    // ---- Hugging Face layout ----

    public static void writeHf(ModelSpec spec, HfType type, long seed, Path dir) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter st = new SafetensorsWriter(128);
        for (TensorData t : RandomTensors.of(spec, seed)) {
            st.add(t, hfDtype(t, type));
        }
        st.write(dir.resolve("model.safetensors"));
        ObjectNode config = hfConfig(spec, type);
        Files.writeString(dir.resolve("config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config));
    }

    private static SafetensorsWriter.Dtype hfDtype(TensorData t, HfType type) {
        if (t.shape().length == 1 && t.name().endsWith("e_score_correction_bias")) {
            return SafetensorsWriter.Dtype.F32;
        }
        boolean projection = t.name().endsWith("_proj.weight") || t.name().endsWith("_proj_with_mqa.weight");
        return switch (type) {
            case F32 -> SafetensorsWriter.Dtype.F32;
            case F16 -> SafetensorsWriter.Dtype.F16;
            case BF16 -> SafetensorsWriter.Dtype.BF16;
            case FP8 -> projection && !t.name().startsWith("lm_head") ? SafetensorsWriter.Dtype.F8_E4M3 : SafetensorsWriter.Dtype.BF16;
        };
    }

    static ObjectNode hfConfig(ModelSpec spec, HfType type) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        switch (spec) {
            case ModelSpec.Deepseek d -> {
                DeepseekConfig c = d.config();
                n.putArray("architectures").add(d.v3() ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM");
                n.put("model_type", d.v3() ? "deepseek_v3" : "deepseek_v2");
                n.put("hidden_size", c.hidden()).put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads())
                        .put("num_key_value_heads", c.heads()).put("kv_lora_rank", c.kvLoraRank())
                        .put("qk_nope_head_dim", c.nopeDim()).put("qk_rope_head_dim", c.ropeDim()).put("v_head_dim", c.vDim())
                        .put("intermediate_size", c.intermediate()).put("moe_intermediate_size", c.moeIntermediate())
                        .put("n_routed_experts", c.routedExperts()).put("n_shared_experts", c.sharedExperts())
                        .put("num_experts_per_tok", c.topK()).put("n_group", c.groups()).put("topk_group", c.topkGroup())
                        .put("scoring_func", c.scoring() == Router.Scoring.SIGMOID ? "sigmoid" : "softmax")
                        .put("topk_method", d.v3() ? "noaux_tc" : c.groups() > 1 ? "group_limited_greedy" : "greedy")
                        .put("norm_topk_prob", c.normTopK()).put("routed_scaling_factor", c.routedScale())
                        .put("first_k_dense_replace", c.firstDense()).put("moe_layer_freq", c.moeLayerFreq())
                        .put("rms_norm_eps", c.eps()).put("rope_theta", c.ropeTheta())
                        .put("max_position_embeddings", c.contextLength()).put("vocab_size", d.vocab())
                        .put("tie_word_embeddings", false).put("bos_token_id", 0).put("eos_token_id", 1)
                        .put("hidden_act", "silu").put("torch_dtype", "bfloat16");
                if (c.qLoraRank() > 0) {
                    n.put("q_lora_rank", c.qLoraRank());
                } else {
                    n.putNull("q_lora_rank");
                }
                if (c.yarn() != null) {
                    DeepseekConfig.Yarn y = c.yarn();
                    n.putObject("rope_scaling").put("type", "yarn").put("factor", y.factor())
                            .put("original_max_position_embeddings", y.originalContext()).put("beta_fast", y.betaFast())
                            .put("beta_slow", y.betaSlow()).put("mscale", y.mscale()).put("mscale_all_dim", y.mscaleAllDim());
                }
            }
            case ModelSpec.Dense d -> {
                LlamaConfig c = d.config();
                n.putArray("architectures").add(d.qwen2() ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
                n.put("model_type", d.qwen2() ? "qwen2" : "llama");
                n.put("hidden_size", c.hidden()).put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads())
                        .put("num_key_value_heads", c.kvHeads()).put("intermediate_size", c.intermediate())
                        .put("rms_norm_eps", c.eps()).put("rope_theta", c.ropeTheta())
                        .put("max_position_embeddings", c.contextLength()).put("vocab_size", d.vocab())
                        .put("tie_word_embeddings", d.tiedEmbeddings()).put("attention_bias", c.qkvBias())
                        .put("bos_token_id", 0).put("eos_token_id", 1).put("hidden_act", "silu").put("torch_dtype", "bfloat16");
                if (c.ropeScaling() != null) {
                    LlamaConfig.Llama3Scaling s = c.ropeScaling();
                    n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", s.factor())
                            .put("low_freq_factor", s.lowFreqFactor()).put("high_freq_factor", s.highFreqFactor())
                            .put("original_max_position_embeddings", s.originalContext());
                }
            }
        }
        if (type == HfType.FP8) {
            ObjectNode q = n.putObject("quantization_config");
            q.put("quant_method", "fp8").put("fmt", "e4m3").put("activation_scheme", "dynamic");
            q.putArray("weight_block_size").add(128).add(128);
        }
        return n;
    }

    // ---- GGUF layout ----

    public static void writeGguf(ModelSpec spec, GgmlType type, long seed, Path file) throws IOException {
        writeGguf(spec, type, seed, file, true);
    }

    /**
     * @param splitKvB write MLA's {@code kv_b_proj} as {@code attn_k_b}/{@code attn_v_b} (current llama.cpp)
     *                 or whole as {@code attn_kv_b} (older conversions)
     */
    public static void writeGguf(ModelSpec spec, GgmlType type, long seed, Path file, boolean splitKvB) throws IOException {
        writeGguf(spec, type, seed, file, splitKvB, w -> {
        });
    }

    /** As above, with extra metadata (e.g. a tokenizer) added by {@code extra}. */
    public static void writeGguf(ModelSpec spec, GgmlType type, long seed, Path file, boolean splitKvB,
                                 java.util.function.Consumer<GgufWriter> extra) throws IOException {
        writeGguf(spec, GgufFileType.uniform(type), seed, file, splitKvB, extra);
    }

    /** As above, each tensor in the type {@code fileType} asks for it (a k-quant mix such as Q4_K_M). */
    public static void writeGguf(ModelSpec spec, GgufFileType fileType, long seed, Path file, boolean splitKvB,
                                 java.util.function.Consumer<GgufWriter> extra) throws IOException {
        GgufWriter w = new GgufWriter();
        metadata(spec, w);
        w.putUint32(LlamaFileType.KEY, fileType.llamaFileType().id);
        extra.accept(w);
        List<TensorData> tensors = new ArrayList<>(ropeFreqs(spec));
        tensors.addAll(ggufTensors(spec, RandomTensors.of(spec, seed), splitKvB));
        for (TensorData t : tensors) {
            w.tensor(t, ggufType(t, fileType.requested(t.name(), spec.layers())));
        }
        w.write(file);
    }

    /**
     * llama.cpp keeps vectors and router weights in F32; rows that do not fill whole blocks fall back as in
     * llama.cpp's quantizer (Q4_K to Q5_0, Q5_K to Q5_1, other quants to Q8_0: e.g. DeepSeek-V2-Lite's
     * 1408-wide expert down projections in a Q4_K_M file are Q5_0).
     */
    static GgmlType ggufType(TensorData t, GgmlType requested) {
        if (t.shape().length == 1 || t.name().endsWith("ffn_gate_inp.weight")) {
            return GgmlType.F32;
        }
        if (t.cols() % requested.blockSize == 0) {
            return requested;
        }
        if (t.cols() % 32 != 0 || requested.blockSize == 1) {
            return GgmlType.F16;
        }
        return switch (requested) {
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            default -> GgmlType.Q8_0;
        };
    }

    static List<TensorData> ggufTensors(ModelSpec spec, List<TensorData> hf, boolean splitKvB) {
        Map<String, List<TensorData>> experts = new LinkedHashMap<>();
        List<TensorData> out = new ArrayList<>();
        for (TensorData t : hf) {
            String n = t.name();
            switch (n) {
                case "model.embed_tokens.weight" -> out.add(rename(t, "token_embd.weight"));
                case "model.norm.weight" -> out.add(rename(t, "output_norm.weight"));
                case "lm_head.weight" -> out.add(rename(t, "output.weight"));
                default -> {
                    Matcher m = LAYER.matcher(n);
                    if (!m.matches()) {
                        throw new IllegalStateException("unexpected tensor " + n);
                    }
                    String blk = "blk." + m.group(1) + ".";
                    Matcher e = EXPERT.matcher(m.group(2));
                    if (e.matches()) {
                        String merged = blk + "ffn_" + e.group(2) + "_exps.weight";
                        if (!experts.containsKey(merged)) {
                            out.add(new TensorData(merged, null, null)); // placeholder, filled below
                        }
                        experts.computeIfAbsent(merged, k -> new ArrayList<>()).add(t);
                    } else if (splitKvB && m.group(2).equals("self_attn.kv_b_proj.weight")) {
                        out.addAll(splitKvB((ModelSpec.Deepseek) spec, t, blk));
                    } else {
                        out.add(layerTensor(spec, t, blk, m.group(2)));
                    }
                }
            }
        }
        out.replaceAll(t -> t.shape() == null ? mergeExperts(t.name(), experts.get(t.name())) : t);
        return out;
    }

    private static TensorData rename(TensorData t, String name) {
        return new TensorData(name, t.shape(), t.values());
    }

    private static TensorData layerTensor(ModelSpec spec, TensorData t, String blk, String suffix) {
        for (Part p : Part.values()) {
            if (suffix.equals(p.hf)) {
                TensorData renamed = rename(t, blk + p.gguf);
                boolean llama = spec instanceof ModelSpec.Dense d && !d.qwen2();
                if (llama && (p == Part.Q || p == Part.K)) {
                    int heads = p == Part.Q ? d(spec).heads() : d(spec).kvHeads();
                    return permuteForInterleavedRope(renamed, heads);
                }
                return renamed;
            }
        }
        throw new IllegalStateException("no GGUF name for " + t.name());
    }

    private static LlamaConfig d(ModelSpec spec) {
        return ((ModelSpec.Dense) spec).config();
    }

    /** llama.cpp's converter reorders each head's rows from (half, i) to (i, half) for adjacent-pair RoPE. */
    static TensorData permuteForInterleavedRope(TensorData t, int heads) {
        int rows = Math.toIntExact(t.rows()), cols = Math.toIntExact(t.cols());
        int headDim = rows / heads, half = headDim / 2;
        return new TensorData(t.name(), t.shape(), () -> {
            float[] src = t.values().get(), dst = new float[src.length];
            for (int h = 0; h < heads; h++) {
                for (int part = 0; part < 2; part++) {
                    for (int i = 0; i < half; i++) {
                        int from = h * headDim + part * half + i, to = h * headDim + 2 * i + part;
                        System.arraycopy(src, from * cols, dst, to * cols, cols);
                    }
                }
            }
            return dst;
        });
    }

    /** {@code kv_b_proj} [H*(nope+v), kv_lora] into {@code attn_k_b} [H, kv_lora, nope] (transposed) and {@code attn_v_b} [H, v, kv_lora]. */
    static List<TensorData> splitKvB(ModelSpec.Deepseek spec, TensorData t, String blk) {
        DeepseekConfig c = spec.config();
        int heads = c.heads(), nope = c.nopeDim(), v = c.vDim(), lora = c.kvLoraRank();
        TensorData kB = new TensorData(blk + "attn_k_b.weight", new long[]{heads, lora, nope}, () -> {
            float[] src = t.values().get(), dst = new float[heads * lora * nope];
            for (int h = 0; h < heads; h++) {
                for (int d = 0; d < nope; d++) {
                    for (int l = 0; l < lora; l++) {
                        dst[(h * lora + l) * nope + d] = src[(h * (nope + v) + d) * lora + l];
                    }
                }
            }
            return dst;
        });
        TensorData vB = new TensorData(blk + "attn_v_b.weight", new long[]{heads, v, lora}, () -> {
            float[] src = t.values().get(), dst = new float[heads * v * lora];
            for (int h = 0; h < heads; h++) {
                System.arraycopy(src, (h * (nope + v) + nope) * lora, dst, h * v * lora, v * lora);
            }
            return dst;
        });
        return List.of(kB, vB);
    }

    private static TensorData mergeExperts(String name, List<TensorData> parts) {
        TensorData first = parts.getFirst();
        long[] shape = {parts.size(), first.rows(), first.cols()};
        return new TensorData(name, shape, () -> {
            int each = Math.toIntExact(first.elements());
            float[] all = new float[each * parts.size()];
            for (int e = 0; e < parts.size(); e++) {
                System.arraycopy(parts.get(e).values().get(), 0, all, e * each, each);
            }
            return all;
        });
    }

    static void metadata(ModelSpec spec, GgufWriter w) {
        switch (spec) {
            case ModelSpec.Deepseek d -> {
                DeepseekConfig c = d.config();
                String a = "deepseek2.";
                w.put("general.architecture", "deepseek2").put("general.name", "baleine-random");
                w.putUint32(a + "block_count", c.layers()).putUint32(a + "context_length", c.contextLength())
                        .putUint32(a + "embedding_length", c.hidden()).putUint32(a + "feed_forward_length", c.intermediate())
                        .putUint32(a + "attention.head_count", c.heads()).putUint32(a + "attention.head_count_kv", 1)
                        .putFloat32(a + "rope.freq_base", c.ropeTheta()).putFloat32(a + "attention.layer_norm_rms_epsilon", c.eps())
                        .putUint32(a + "expert_count", c.routedExperts()).putUint32(a + "expert_used_count", c.topK())
                        .putUint32(a + "expert_group_count", c.groups()).putUint32(a + "expert_group_used_count", c.topkGroup())
                        .putUint32(a + "expert_gating_func", c.scoring() == Router.Scoring.SIGMOID ? 2 : 1)
                        .putUint32(a + "leading_dense_block_count", c.firstDense()).putUint32(a + "vocab_size", d.vocab())
                        .putUint32(a + "attention.q_lora_rank", c.qLoraRank()).putUint32(a + "attention.kv_lora_rank", c.kvLoraRank())
                        .putUint32(a + "attention.key_length", c.kvLoraRank() + c.ropeDim())
                        .putUint32(a + "attention.value_length", c.kvLoraRank())
                        .putUint32(a + "attention.key_length_mla", c.nopeDim() + c.ropeDim())
                        .putUint32(a + "attention.value_length_mla", c.vDim())
                        .putUint32(a + "expert_feed_forward_length", c.moeIntermediate())
                        .putUint32(a + "expert_shared_count", c.sharedExperts())
                        .putFloat32(a + "expert_weights_scale", c.routedScale()).putBool(a + "expert_weights_norm", c.normTopK())
                        .putUint32(a + "rope.dimension_count", c.ropeDim());
                if (c.yarn() != null) {
                    DeepseekConfig.Yarn y = c.yarn();
                    w.put(a + "rope.scaling.type", "yarn").putFloat32(a + "rope.scaling.factor", y.factor())
                            .putUint32(a + "rope.scaling.original_context_length", y.originalContext())
                            .putFloat32(a + "rope.scaling.yarn_beta_fast", y.betaFast())
                            .putFloat32(a + "rope.scaling.yarn_beta_slow", y.betaSlow())
                            .putFloat32(a + "rope.scaling.yarn_log_multiplier", 0.1 * y.mscaleAllDim());
                }
            }
            case ModelSpec.Dense d -> {
                LlamaConfig c = d.config();
                String arch = d.qwen2() ? "qwen2" : "llama", a = arch + ".";
                w.put("general.architecture", arch).put("general.name", "baleine-random");
                w.putUint32(a + "block_count", c.layers()).putUint32(a + "context_length", c.contextLength())
                        .putUint32(a + "embedding_length", c.hidden()).putUint32(a + "feed_forward_length", c.intermediate())
                        .putUint32(a + "attention.head_count", c.heads()).putUint32(a + "attention.head_count_kv", c.kvHeads())
                        .putFloat32(a + "rope.freq_base", c.ropeTheta()).putFloat32(a + "attention.layer_norm_rms_epsilon", c.eps())
                        .putUint32(a + "rope.dimension_count", c.headDim()).putUint32(a + "vocab_size", d.vocab());
            }
        }
    }

    /** llama.cpp stores llama3 rope scaling as per-pair frequency divisors, {@code rope_freqs.weight}. */
    private static List<TensorData> ropeFreqs(ModelSpec spec) {
        if (!(spec instanceof ModelSpec.Dense d) || d.config().ropeScaling() == null) {
            return List.of();
        }
        LlamaConfig c = d.config();
        LlamaConfig.Llama3Scaling s = c.ropeScaling();
        float[] factors = Rope.llama3Factors(c.headDim(), c.ropeTheta(), s.factor(), s.lowFreqFactor(), s.highFreqFactor(), s.originalContext());
        return List.of(new TensorData("rope_freqs.weight", new long[]{factors.length}, () -> factors));
    }
}
