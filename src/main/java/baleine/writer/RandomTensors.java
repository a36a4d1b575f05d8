package baleine.writer;

import baleine.model.deepseek.DeepseekConfig;
import baleine.model.llama.LlamaConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The tensors of a random-weight model in Hugging Face naming and layout. Every tensor's values depend
 * only on the seed and its name, so files of one model written in different formats hold the same weights.
 * Matrices have standard deviation 1/sqrt(fan-in), norms are near 1, so activations stay well scaled.
 */
public final class RandomTensors {
    private RandomTensors() {
    }

    public static List<TensorData> of(ModelSpec spec, long seed) {
        return switch (spec) {
            case ModelSpec.Deepseek d -> deepseek(d.config(), d.vocab(), d.v3(), seed);
            case ModelSpec.Dense d -> dense(d.config(), d.vocab(), d.tiedEmbeddings(), seed);
        };
    }

    static TensorData matrix(long seed, String name, long rows, long cols) {
        return gaussian(seed, name, new long[]{rows, cols}, 0, 1 / Math.sqrt(cols));
    }

    static TensorData gaussian(long seed, String name, long[] shape, double mean, double std) {
        return new TensorData(name, shape, () -> {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            Random rnd = new Random(seed * 31 + name.hashCode());
            float[] v = new float[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (mean + std * rnd.nextGaussian());
            }
            return v;
        });
    }

    static TensorData norm(long seed, String name, long n) {
        return gaussian(seed, name, new long[]{n}, 1, 0.1);
    }

    private static void mlp(List<TensorData> out, long seed, String prefix, long hidden, long width) {
        out.add(matrix(seed, prefix + "gate_proj.weight", width, hidden));
        out.add(matrix(seed, prefix + "up_proj.weight", width, hidden));
        out.add(matrix(seed, prefix + "down_proj.weight", hidden, width));
    }

    static List<TensorData> deepseek(DeepseekConfig c, int vocab, boolean v3, long seed) {
        List<TensorData> out = new ArrayList<>();
        int h = c.hidden(), qk = c.nopeDim() + c.ropeDim();
        out.add(gaussian(seed, "model.embed_tokens.weight", new long[]{vocab, h}, 0, 1));
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            out.add(norm(seed, p + "input_layernorm.weight", h));
            if (c.qLoraRank() > 0) {
                out.add(matrix(seed, p + "self_attn.q_a_proj.weight", c.qLoraRank(), h));
                out.add(norm(seed, p + "self_attn.q_a_layernorm.weight", c.qLoraRank()));
                out.add(matrix(seed, p + "self_attn.q_b_proj.weight", (long) c.heads() * qk, c.qLoraRank()));
            } else {
                out.add(matrix(seed, p + "self_attn.q_proj.weight", (long) c.heads() * qk, h));
            }
            out.add(matrix(seed, p + "self_attn.kv_a_proj_with_mqa.weight", c.kvLoraRank() + c.ropeDim(), h));
            out.add(norm(seed, p + "self_attn.kv_a_layernorm.weight", c.kvLoraRank()));
            out.add(matrix(seed, p + "self_attn.kv_b_proj.weight", (long) c.heads() * (c.nopeDim() + c.vDim()), c.kvLoraRank()));
            out.add(matrix(seed, p + "self_attn.o_proj.weight", h, (long) c.heads() * c.vDim()));
            out.add(norm(seed, p + "post_attention_layernorm.weight", h));
            if (c.isMoeLayer(i)) {
                out.add(matrix(seed, p + "mlp.gate.weight", c.routedExperts(), h));
                if (v3) {
                    out.add(gaussian(seed, p + "mlp.gate.e_score_correction_bias", new long[]{c.routedExperts()}, 0, 0.1));
                }
                for (int e = 0; e < c.routedExperts(); e++) {
                    mlp(out, seed, p + "mlp.experts." + e + ".", h, c.moeIntermediate());
                }
                if (c.sharedExperts() > 0) {
                    mlp(out, seed, p + "mlp.shared_experts.", h, (long) c.sharedExperts() * c.moeIntermediate());
                }
            } else {
                mlp(out, seed, p + "mlp.", h, c.intermediate());
            }
        }
        out.add(norm(seed, "model.norm.weight", h));
        out.add(matrix(seed, "lm_head.weight", vocab, h));
        return out;
    }

    static List<TensorData> dense(LlamaConfig c, int vocab, boolean tied, long seed) {
        List<TensorData> out = new ArrayList<>();
        int h = c.hidden();
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        out.add(gaussian(seed, "model.embed_tokens.weight", new long[]{vocab, h}, 0, 1));
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            out.add(norm(seed, p + "input_layernorm.weight", h));
            out.add(matrix(seed, p + "self_attn.q_proj.weight", q, h));
            out.add(matrix(seed, p + "self_attn.k_proj.weight", kv, h));
            out.add(matrix(seed, p + "self_attn.v_proj.weight", kv, h));
            if (c.qkvBias()) {
                out.add(gaussian(seed, p + "self_attn.q_proj.bias", new long[]{q}, 0, 0.1));
                out.add(gaussian(seed, p + "self_attn.k_proj.bias", new long[]{kv}, 0, 0.1));
                out.add(gaussian(seed, p + "self_attn.v_proj.bias", new long[]{kv}, 0, 0.1));
            }
            out.add(matrix(seed, p + "self_attn.o_proj.weight", h, q));
            out.add(norm(seed, p + "post_attention_layernorm.weight", h));
            mlp(out, seed, p + "mlp.", h, c.intermediate());
        }
        out.add(norm(seed, "model.norm.weight", h));
        if (!tied) {
            out.add(matrix(seed, "lm_head.weight", vocab, h));
        }
        return out;
    }
}
