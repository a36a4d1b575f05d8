package baleine.tokenizer;

/** A token matched verbatim in text before pre-tokenization; {@code special} ones are control tokens (BOS, EOS, roles). */
public record AddedToken(int id, String content, boolean special) {
}
