package baleine.model;

import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;

import java.util.List;

/** One model family: how to read its hyper-parameters and assemble its layers from either format. */
public interface Architecture {
    /** Hugging Face {@code architectures} names this family loads. */
    List<String> hfNames();

    /** GGUF {@code general.architecture} values this family loads. */
    List<String> ggufNames();

    DecoderModel fromGguf(GgufStore store);

    DecoderModel fromHf(HfStore store, String hfName);
}
