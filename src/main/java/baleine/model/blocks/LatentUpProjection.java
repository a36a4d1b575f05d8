package baleine.model.blocks;

import baleine.tensor.MatMul;
import baleine.tensor.Weight;

import java.util.List;

/**
 * MLA's per-head up-projections from the latent, used in absorbed form: the key half W_UK folds into
 * the query ({@code q_abs = W_UK_h^T q_nope}), the value half W_UV expands the attended latent
 * ({@code o_h = W_UV_h o_lat}). Stored either as one {@code kv_b_proj} (Hugging Face, older GGUF
 * {@code attn_kv_b}) or split as {@code attn_k_b} (per head, transposed) and {@code attn_v_b}.
 */
public interface LatentUpProjection {
    /** {@code qAbs[t] = W_UK_h^T q[t][qOff .. qOff + nope)} for t in [0, n). */
    void absorbQuery(int head, float[][] q, int qOff, float[][] qAbs, int n);

    /** {@code out[t][outOff .. outOff + v) = W_UV_h oLat[t]} for t in [0, n). */
    void expandValue(int head, float[][] oLat, float[][] out, int outOff, int n);

    long parameters();

    List<Weight> matrices();

    /** {@code kv_b_proj}: per head, {@code nope} rows of W_UK then {@code v} rows of W_UV, each of kv_lora values. */
    record Merged(Weight kvB, int nope, int v) implements LatentUpProjection {
        public void absorbQuery(int h, float[][] q, int qOff, float[][] qAbs, int n) {
            int first = h * (nope + v);
            MatMul.rowsTransposed(kvB, first, first + nope, q, qOff, qAbs, 0, n);
        }

        public void expandValue(int h, float[][] oLat, float[][] out, int outOff, int n) {
            int first = h * (nope + v) + nope;
            MatMul.rows(kvB, first, first + v, oLat, 0, out, outOff, n);
        }

        public long parameters() {
            return kvB.elements();
        }

        public List<Weight> matrices() {
            return List.of(kvB);
        }
    }

    /** {@code attn_k_b}: per head kv_lora rows of nope values (W_UK transposed); {@code attn_v_b}: per head v rows of kv_lora. */
    record Split(Weight kB, Weight vB, int kvLora, int v) implements LatentUpProjection {
        public void absorbQuery(int h, float[][] q, int qOff, float[][] qAbs, int n) {
            MatMul.rows(kB, h * kvLora, (h + 1) * kvLora, q, qOff, qAbs, 0, n);
        }

        public void expandValue(int h, float[][] oLat, float[][] out, int outOff, int n) {
            MatMul.rows(vB, h * v, (h + 1) * v, oLat, 0, out, outOff, n);
        }

        public long parameters() {
            return kB.elements() + vB.elements();
        }

        public List<Weight> matrices() {
            return List.of(kB, vB);
        }
    }
}
