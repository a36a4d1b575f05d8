package baleine.model;

import java.util.Map;

/**
 * What a user wants to know about a loaded model.
 *
 * @param tensorTypes       number of tensors per storage type
 * @param quantization      the file's quantization as llama.cpp names it ("Q4_K_M") where a GGUF file records it,
 *                          else its most common tensor type
 * @param decodeWeightBytes bytes of weights one generated token reads: attention, the selected experts,
 *                          dense and shared MLPs, the output head (the memory traffic that bounds decoding)
 * @param kvValuesPerToken  cached floats per token per layer (MLA: kv_lora_rank + qk_rope_head_dim)
 */
public record ModelInfo(String architecture, String source, String format, int layers, int hidden, int vocabSize,
                        int contextLength, long totalParameters, long activeParameters, Map<String, Integer> tensorTypes, String quantization,
                        long weightBytes, long decodeWeightBytes, int kvValuesPerToken, String details) {
    /** Bytes of KV cache per token over all layers, float32 storage. */
    public long kvBytesPerToken() {
        return 4L * kvValuesPerToken * layers;
    }
}
