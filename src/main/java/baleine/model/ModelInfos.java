package baleine.model;

import baleine.format.TensorStore;

import java.util.Map;
import java.util.TreeMap;

/** Computes the {@link ModelInfo} of an assembled model. */
public final class ModelInfos {
    private ModelInfos() {
    }

    public static void attach(DecoderModel model, TensorStore store, String architecture, String source, String format,
                       int hidden, int kvValuesPerToken, String details) {
        long total = 0, active = 0, decodeBytes = model.headBytes();
        for (Layer l : model.layers()) {
            long norms = 2L * hidden;
            total += norms + l.attention().parameters() + l.ffn().totalParameters();
            active += norms + l.attention().parameters() + l.ffn().activeParameters();
            decodeBytes += l.attention().weightBytes() + l.ffn().activeWeightBytes();
        }
        long outer = model.embeddingParameters() + model.headParameters() + hidden;
        Map<String, Integer> types = new TreeMap<>();
        long bytes = 0;
        for (String name : store.names()) {
            if (!name.endsWith("_scale_inv")) {
                types.merge(store.typeName(name), 1, Integer::sum);
                bytes += store.bytes(name);
            }
        }
        String quantization = store.fileType().orElseGet(() -> types.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(""));
        model.setInfo(new ModelInfo(architecture, source, format, model.layers().size(), hidden, model.vocabSize(),
                model.contextLength(), total + outer, active + outer, types, quantization, bytes, decodeBytes, kvValuesPerToken, details));
    }
}
