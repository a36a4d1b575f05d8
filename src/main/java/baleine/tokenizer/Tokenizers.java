package baleine.tokenizer;

import baleine.format.ModelFormatException;
import baleine.format.gguf.GgufMetadata;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Loads tokenizers from Hugging Face {@code tokenizer.json} (+ {@code tokenizer_config.json}) or GGUF metadata. */
public final class Tokenizers {
    /** GPT-2's own split, used by a ByteLevel pre-tokenizer with {@code use_regex: true}. */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private Tokenizers() {
    }

    // ---- Hugging Face ----

    /** Reads {@code dir/tokenizer.json}, {@code dir/tokenizer_config.json} (optional) and {@code dir/config.json} (optional). */
    public static TokenizerConfig fromHuggingFace(Path dir) {
        Path tj = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tj)) {
            throw new NoTokenizerException(dir + " has no tokenizer.json");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode config = Files.isRegularFile(dir.resolve("tokenizer_config.json")) ? read(json, dir.resolve("tokenizer_config.json")) : json.createObjectNode();
        JsonNode modelConfig = Files.isRegularFile(dir.resolve("config.json")) ? read(json, dir.resolve("config.json")) : json.createObjectNode();
        return fromHuggingFace(read(json, tj), config, modelConfig, tj.toString());
    }

    public static TokenizerConfig fromHuggingFace(Path tokenizerJson, Path tokenizerConfig) {
        ObjectMapper json = new ObjectMapper();
        return fromHuggingFace(read(json, tokenizerJson), read(json, tokenizerConfig), json.createObjectNode(), tokenizerJson.toString());
    }

    static JsonNode read(ObjectMapper json, Path p) {
        try {
            return json.readTree(p.toFile());
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + p + ": " + e.getMessage());
        }
    }

    static TokenizerConfig fromHuggingFace(JsonNode t, JsonNode config, JsonNode modelConfig, String where) {
        JsonNode model = t.path("model");
        if (!model.path("type").asText("BPE").equals("BPE") || !model.path("vocab").isObject()) {
            throw new ModelFormatException(where + ": only byte-level BPE tokenizers are supported, found model type " + model.path("type").asText());
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new ModelFormatException(where + ": BPE with byte_fallback (SentencePiece style) is not supported");
        }
        checkNormalizer(t.path("normalizer"), where);
        Map<String, Integer> vocab = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        List<String[]> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? new String[]{m.get(0).asText(), m.get(1).asText()} : splitMerge(m.asText(), where));
        }
        List<AddedToken> added = new ArrayList<>();
        for (JsonNode a : t.path("added_tokens")) {
            added.add(new AddedToken(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean()));
        }
        String[] tokens = tokenTable(vocab, added);
        PreTokenizer pre = new PreTokenizer(preTokenizerRegexes(t.path("pre_tokenizer"), where));
        Bpe bpe = new Bpe(vocab, merges, model.path("ignore_merges").asBoolean(false));
        String bosToken = tokenContent(config.path("bos_token"));
        String eosToken = tokenContent(config.path("eos_token"));
        Integer bos = idOf(bosToken, vocab, added, modelConfig.path("bos_token_id"));
        Integer eos = idOf(eosToken, vocab, added, modelConfig.path("eos_token_id"));
        boolean postBos = postProcessorAddsBos(t.path("post_processor"));
        Tokenizer tok = new Tokenizer(tokens, bpe, pre, added, bos, eos, postBos);
        Optional<String> template = config.path("chat_template").isTextual() ? Optional.of(config.path("chat_template").asText()) : Optional.empty();
        return new TokenizerConfig(tok, template, bosToken == null ? (bos == null ? "" : tokens[bos]) : bosToken,
                eosToken == null ? (eos == null ? "" : tokens[eos]) : eosToken,
                config.path("add_bos_token").asBoolean(postBos), endOfGeneration(tok, eos, modelConfig.path("eos_token_id")));
    }

    private static String[] splitMerge(String m, String where) {
        int sp = m.indexOf(' ', 1);
        if (sp < 0) {
            throw new ModelFormatException(where + ": malformed merge '" + m + "'");
        }
        return new String[]{m.substring(0, sp), m.substring(sp + 1)};
    }

    private static String[] tokenTable(Map<String, Integer> vocab, List<AddedToken> added) {
        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken a : added) {
            size = Math.max(size, a.id() + 1);
        }
        String[] tokens = new String[size];
        vocab.forEach((s, id) -> tokens[id] = s);
        for (AddedToken a : added) {
            tokens[a.id()] = a.content();
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "";
            }
        }
        return tokens;
    }

    private static void checkNormalizer(JsonNode n, String where) {
        if (n.isMissingNode() || n.isNull()) {
            return;
        }
        if (n.path("type").asText().equals("Sequence") && n.path("normalizers").isEmpty()) {
            return;
        }
        throw new ModelFormatException(where + ": normalizer " + n.path("type").asText() + " is not supported");
    }

    static List<String> preTokenizerRegexes(JsonNode n, String where) {
        List<String> out = new ArrayList<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        switch (n.path("type").asText()) {
            case "Sequence" -> {
                for (JsonNode p : n.path("pretokenizers")) {
                    out.addAll(preTokenizerRegexes(p, where));
                }
            }
            case "Split" -> {
                if (!n.path("behavior").asText().equals("Isolated") || n.path("invert").asBoolean(false)) {
                    throw new ModelFormatException(where + ": Split pre-tokenizer with behavior " + n.path("behavior").asText()
                            + (n.path("invert").asBoolean(false) ? " (inverted)" : "") + " is not supported (only Isolated)");
                }
                JsonNode p = n.path("pattern");
                out.add(p.has("Regex") ? p.path("Regex").asText() : java.util.regex.Pattern.quote(p.path("String").asText()));
            }
            case "ByteLevel" -> {
                if (n.path("add_prefix_space").asBoolean(false)) {
                    throw new ModelFormatException(where + ": ByteLevel pre-tokenizer with add_prefix_space is not supported");
                }
                if (n.path("use_regex").asBoolean(true)) {
                    out.add(GPT2_REGEX);
                }
            }
            case "Digits" -> out.add(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+");
            default -> throw new ModelFormatException(where + ": pre-tokenizer " + n.path("type").asText() + " is not supported");
        }
        return out;
    }

    private static boolean postProcessorAddsBos(JsonNode n) {
        if (n.path("type").asText().equals("Sequence")) {
            for (JsonNode p : n.path("processors")) {
                if (postProcessorAddsBos(p)) {
                    return true;
                }
            }
            return false;
        }
        if (n.path("type").asText().equals("TemplateProcessing")) {
            JsonNode first = n.path("single").path(0);
            return first.has("SpecialToken");
        }
        return false;
    }

    private static String tokenContent(JsonNode n) {
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.path("content").asText();
        }
        return null;
    }

    private static Integer idOf(String content, Map<String, Integer> vocab, List<AddedToken> added, JsonNode fallbackId) {
        if (content != null) {
            for (AddedToken a : added) {
                if (a.content().equals(content)) {
                    return a.id();
                }
            }
            if (vocab.containsKey(content)) {
                return vocab.get(content);
            }
        }
        return fallbackId.isInt() ? fallbackId.asInt() : null;
    }

    private static int[] endOfGeneration(Tokenizer tok, Integer eos, JsonNode eosIds) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (eos != null) {
            ids.add(eos);
        }
        if (eosIds.isArray()) {
            eosIds.forEach(i -> ids.add(i.asInt()));
        } else if (eosIds.isInt()) {
            ids.add(eosIds.asInt());
        }
        for (String eot : List.of("<|eot_id|>", "<|im_end|>", "<|end_of_text|>", "<|endoftext|>", "<｜end▁of▁sentence｜>")) {
            tok.idOf(eot).ifPresent(ids::add);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- GGUF ----

    public static TokenizerConfig fromGguf(GgufMetadata m, String where) {
        if (!m.has("tokenizer.ggml.tokens")) {
            throw new NoTokenizerException(where + " has no tokenizer (tokenizer.ggml.tokens is missing): `bench` can measure it, but nothing can be"
                    + " run with it (a model from `write-random` gets the demo tokenizer with --with-tokenizer)");
        }
        String kind = m.string("tokenizer.ggml.model");
        if (!kind.equals("gpt2")) {
            throw new ModelFormatException(where + ": tokenizer model '" + kind + "' is not supported (only byte-level BPE, 'gpt2')");
        }
        List<Object> list = m.array("tokenizer.ggml.tokens");
        List<Object> types = m.has("tokenizer.ggml.token_type") ? m.array("tokenizer.ggml.token_type") : List.of();
        String[] tokens = new String[list.size()];
        Map<String, Integer> vocab = new HashMap<>();
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (String) list.get(i);
            long type = i < types.size() ? ((Number) types.get(i)).longValue() : 1;
            if (type == 3 || type == 4) { // control, user-defined: matched verbatim
                added.add(new AddedToken(i, tokens[i], type == 3));
            } else {
                vocab.putIfAbsent(tokens[i], i);
            }
        }
        List<String[]> merges = new ArrayList<>();
        for (Object o : m.has("tokenizer.ggml.merges") ? m.array("tokenizer.ggml.merges") : List.of()) {
            merges.add(splitMerge((String) o, where));
        }
        List<String> regexes;
        try {
            regexes = PreTokenizer.forGgufPreType(m.optString("tokenizer.ggml.pre").orElse("default"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": " + e.getMessage());
        }
        Integer bos = m.has("tokenizer.ggml.bos_token_id") ? (int) m.integer("tokenizer.ggml.bos_token_id") : null;
        Integer eos = m.has("tokenizer.ggml.eos_token_id") ? (int) m.integer("tokenizer.ggml.eos_token_id") : null;
        boolean addBos = m.bool("tokenizer.ggml.add_bos_token", bos != null);
        Tokenizer tok = new Tokenizer(tokens, new Bpe(vocab, merges, false), new PreTokenizer(regexes), added, bos, eos, addBos);
        Set<Integer> eog = new LinkedHashSet<>();
        if (eos != null) {
            eog.add(eos);
        }
        if (m.has("tokenizer.ggml.eot_token_id")) {
            eog.add((int) m.integer("tokenizer.ggml.eot_token_id"));
        }
        return new TokenizerConfig(tok, m.optString("tokenizer.chat_template"), bos == null ? "" : tokens[bos],
                eos == null ? "" : tokens[eos], addBos, eog.stream().mapToInt(Integer::intValue).toArray());
    }
}
