package baleine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A byte-level BPE tokenizer (DeepSeek-V3/R1, DeepSeek-V2, Qwen2, Llama 3): added tokens are matched
 * first, the text between them is pre-tokenized by regex, spelled in byte-level characters and merged
 * by BPE. Load one with {@link Tokenizers}.
 */
public final class Tokenizer {
    private final String[] tokens;
    private final Bpe bpe;
    private final PreTokenizer preTokenizer;
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final Map<Character, List<AddedToken>> addedByFirstChar = new HashMap<>();
    private final Integer bos;
    private final Integer eos;
    private final boolean prependBos;

    /**
     * @param tokens     token strings by id (byte-level spelling; added tokens as their content)
     * @param prependBos whether {@code encode(text, true)} starts with BOS (the post-processor's choice)
     */
    public Tokenizer(String[] tokens, Bpe bpe, PreTokenizer preTokenizer, List<AddedToken> added, Integer bos, Integer eos,
                     boolean prependBos) {
        this.tokens = tokens;
        this.bpe = bpe;
        this.preTokenizer = preTokenizer;
        this.bos = bos;
        this.eos = eos;
        this.prependBos = prependBos && bos != null;
        for (AddedToken a : added) {
            if (a.content().isEmpty()) {
                continue;
            }
            addedById.put(a.id(), a);
            addedByFirstChar.computeIfAbsent(a.content().charAt(0), k -> new ArrayList<>()).add(a);
        }
        addedByFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken a) -> a.content().length()).reversed()));
    }

    public int vocabSize() {
        return tokens.length;
    }

    public OptionalInt bos() {
        return bos == null ? OptionalInt.empty() : OptionalInt.of(bos);
    }

    public OptionalInt eos() {
        return eos == null ? OptionalInt.empty() : OptionalInt.of(eos);
    }

    /** The token's text as the vocabulary spells it (added tokens: their content). */
    public String token(int id) {
        return tokens[id];
    }

    public OptionalInt idOf(String content) {
        for (AddedToken a : addedById.values()) {
            if (a.content().equals(content)) {
                return OptionalInt.of(a.id());
            }
        }
        return OptionalInt.empty();
    }

    public boolean isSpecial(int id) {
        AddedToken a = addedById.get(id);
        return a != null && a.special();
    }

    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens}, what the tokenizer's post-processor adds (BOS or nothing). */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>(text.length() / 3 + 4);
        if (addSpecialTokens && prependBos) {
            ids.add(bos);
        }
        int start = 0;
        for (int i = 0; i < text.length(); ) {
            AddedToken match = addedAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            encodePlain(text.substring(start, i), ids);
            ids.add(match.id());
            i += match.content().length();
            start = i;
        }
        encodePlain(text.substring(start), ids);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private AddedToken addedAt(String text, int i) {
        List<AddedToken> candidates = addedByFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (AddedToken a : candidates) {
                if (text.startsWith(a.content(), i)) {
                    return a;
                }
            }
        }
        return null;
    }

    private void encodePlain(String text, List<Integer> ids) {
        if (text.isEmpty()) {
            return;
        }
        for (String piece : preTokenizer.split(text)) {
            bpe.encode(ByteLevel.encode(piece), ids);
        }
    }

    /** The bytes token {@code id} stands for (part of a UTF-8 character, possibly). */
    public byte[] bytes(int id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        appendBytes(id, out);
        return out.toByteArray();
    }

    /** Appends the bytes token {@code id} stands for. */
    void appendBytes(int id, ByteArrayOutputStream out) {
        AddedToken a = addedById.get(id);
        if (a != null) {
            out.writeBytes(a.content().getBytes(StandardCharsets.UTF_8));
        } else if (!ByteLevel.decode(tokens[id], out)) {
            out.writeBytes(tokens[id].getBytes(StandardCharsets.UTF_8));
        }
    }

    public String decode(int[] ids) {
        return decode(ids, false);
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (!(skipSpecialTokens && isSpecial(id))) {
                appendBytes(id, out);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A decoder fed one token at a time that never returns half a UTF-8 character. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }
}
