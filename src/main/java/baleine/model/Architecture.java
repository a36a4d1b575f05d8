package baleine.model;

import baleine.format.gguf.GgufMetadata;
import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** One model family: how to read its hyper-parameters and assemble its layers from either format. */
public interface Architecture {
    /** Hugging Face {@code architectures} names this family loads. */
    List<String> hfNames();

    /** GGUF {@code general.architecture} values this family loads. */
    List<String> ggufNames();

    DecoderModel fromGguf(GgufStore store);

    DecoderModel fromHf(HfStore store, String hfName);

    /** The context length a GGUF file declares ({@code <arch>.context_length}; 4096 when absent), as every family reads it. */
    static int contextLength(GgufMetadata m, String arch) {
        return (int) m.integer(arch + ".context_length", 4096);
    }

    /** The context length a config.json declares ({@code max_position_embeddings}; 4096 when absent), as every family reads it. */
    static int contextLength(JsonNode config) {
        return config.path("max_position_embeddings").asInt(4096);
    }
}
