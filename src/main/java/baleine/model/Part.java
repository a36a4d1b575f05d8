package baleine.model;

/** Per-layer tensors by role, with their names in llama.cpp's GGUF files and in Hugging Face checkpoints. */
public enum Part {
    ATTN_NORM("attn_norm.weight", "input_layernorm.weight"),
    FFN_NORM("ffn_norm.weight", "post_attention_layernorm.weight"),
    Q("attn_q.weight", "self_attn.q_proj.weight"),
    Q_BIAS("attn_q.bias", "self_attn.q_proj.bias"),
    K("attn_k.weight", "self_attn.k_proj.weight"),
    K_BIAS("attn_k.bias", "self_attn.k_proj.bias"),
    V("attn_v.weight", "self_attn.v_proj.weight"),
    V_BIAS("attn_v.bias", "self_attn.v_proj.bias"),
    O("attn_output.weight", "self_attn.o_proj.weight"),
    Q_A("attn_q_a.weight", "self_attn.q_a_proj.weight"),
    Q_A_NORM("attn_q_a_norm.weight", "self_attn.q_a_layernorm.weight"),
    Q_B("attn_q_b.weight", "self_attn.q_b_proj.weight"),
    KV_A("attn_kv_a_mqa.weight", "self_attn.kv_a_proj_with_mqa.weight"),
    KV_A_NORM("attn_kv_a_norm.weight", "self_attn.kv_a_layernorm.weight"),
    KV_B("attn_kv_b.weight", "self_attn.kv_b_proj.weight"),
    K_B("attn_k_b.weight", null),
    V_B("attn_v_b.weight", null),
    FFN_GATE("ffn_gate.weight", "mlp.gate_proj.weight"),
    FFN_UP("ffn_up.weight", "mlp.up_proj.weight"),
    FFN_DOWN("ffn_down.weight", "mlp.down_proj.weight"),
    ROUTER("ffn_gate_inp.weight", "mlp.gate.weight"),
    ROUTER_BIAS("exp_probs_b.bias", "mlp.gate.e_score_correction_bias"),
    SHARED_GATE("ffn_gate_shexp.weight", "mlp.shared_experts.gate_proj.weight"),
    SHARED_UP("ffn_up_shexp.weight", "mlp.shared_experts.up_proj.weight"),
    SHARED_DOWN("ffn_down_shexp.weight", "mlp.shared_experts.down_proj.weight"),
    EXPERTS_GATE("ffn_gate_exps.weight", "mlp.experts.%d.gate_proj.weight"),
    EXPERTS_UP("ffn_up_exps.weight", "mlp.experts.%d.up_proj.weight"),
    EXPERTS_DOWN("ffn_down_exps.weight", "mlp.experts.%d.down_proj.weight");

    public final String gguf;
    public final String hf;

    Part(String gguf, String hf) {
        this.gguf = gguf;
        this.hf = hf;
    }
}
