package baleine.writer;

import baleine.format.gguf.LlamaFileType;
import baleine.tensor.GgmlType;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF file type as {@code llama-quantize} names it: one weight type for every matrix ({@code q8_0}, {@code q4_k},
 * ...) or a k-quant mix ({@code q4_k_m}, {@code q5_k_m}: the most downloaded files). A mix keeps its base type
 * except where llama.cpp gives more bits: the output head, and {@code attn_v} and every {@code ffn_down} in the
 * layers {@link #usesMoreBits} picks, in Q6_K. The writer then applies its usual fallback where a row does not
 * fill whole blocks.
 */
public record GgufFileType(GgmlType base, boolean mix) {
    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\..*");

    public static GgufFileType uniform(GgmlType type) {
        return new GgufFileType(type, false);
    }

    /** {@code q4_k_m}, {@code q5_k_m} or a single weight type's name; an error names the choices. */
    public static GgufFileType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "q4_k_m" -> new GgufFileType(GgmlType.Q4_K, true);
            case "q5_k_m" -> new GgufFileType(GgmlType.Q5_K, true);
            default -> uniform(weightType(name));
        };
    }

    private static GgmlType weightType(String name) {
        GgmlType type;
        try {
            type = GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown GGUF type '" + name + "' (f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k, or the mixes q4_k_m q5_k_m)");
        }
        if (!type.supported()) {
            throw new IllegalArgumentException("the writer cannot encode " + type);
        }
        return type;
    }

    /** The type this file type asks for the tensor {@code tensorName} of a model with {@code layers} layers. */
    public GgmlType requested(String tensorName, int layers) {
        if (!mix) {
            return base;
        }
        if (tensorName.equals("output.weight")) {
            return GgmlType.Q6_K;
        }
        Matcher m = LAYER.matcher(tensorName);
        boolean moreBitsHere = m.matches() && usesMoreBits(Integer.parseInt(m.group(1)), layers);
        if (moreBitsHere && (tensorName.endsWith(".attn_v.weight") || tensorName.contains(".ffn_down"))) {
            return GgmlType.Q6_K;
        }
        return base;
    }

    /**
     * What the file records as {@code general.file_type}, as llama-quantize would: a uniform k-quant file is
     * "mostly" that type (Q4_K, Q5_K as their small variants).
     */
    public LlamaFileType llamaFileType() {
        return switch (base) {
            case F32 -> LlamaFileType.F32;
            case F16 -> LlamaFileType.F16;
            case BF16 -> LlamaFileType.BF16;
            case Q8_0 -> LlamaFileType.Q8_0;
            case Q4_0 -> LlamaFileType.Q4_0;
            case Q4_1 -> LlamaFileType.Q4_1;
            case Q5_0 -> LlamaFileType.Q5_0;
            case Q5_1 -> LlamaFileType.Q5_1;
            case Q4_K -> mix ? LlamaFileType.Q4_K_M : LlamaFileType.Q4_K_S;
            case Q5_K -> mix ? LlamaFileType.Q5_K_M : LlamaFileType.Q5_K_S;
            case Q6_K -> LlamaFileType.Q6_K;
            default -> throw new IllegalStateException("no llama.cpp file type for " + base);
        };
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third in between. */
    static boolean usesMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }
}
