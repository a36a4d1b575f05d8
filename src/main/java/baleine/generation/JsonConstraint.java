package baleine.generation;

import baleine.tokenizer.Tokenizer;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Constrained decoding for JSON mode and JSON schemas: before each draw, every token whose bytes cannot
 * continue an allowed text is masked out, so the answer is valid by construction; generation ends as soon
 * as the text is complete. Special tokens are never allowed inside the answer.
 */
public final class JsonConstraint {
    private static final Map<Tokenizer, byte[][]> BYTES = new WeakHashMap<>();

    private final byte[][] tokenBytes;
    private final JsonMatcher state;

    private JsonConstraint(byte[][] tokenBytes, JsonMatcher state) {
        this.tokenBytes = tokenBytes;
        this.state = state;
    }

    /** Any JSON object ({@code response_format: json_object}). */
    public static JsonConstraint forObject(Tokenizer tokenizer) {
        return new JsonConstraint(bytes(tokenizer), new SchemaMatcher(SchemaMatcher.ANY_OBJECT));
    }

    /** A JSON text valid under a compiled schema ({@code response_format: json_schema}). */
    public static JsonConstraint forSchema(Tokenizer tokenizer, SchemaMatcher.Node schema) {
        return new JsonConstraint(bytes(tokenizer), new SchemaMatcher(schema));
    }

    private static byte[][] bytes(Tokenizer tokenizer) {
        synchronized (BYTES) {
            return BYTES.computeIfAbsent(tokenizer, JsonConstraint::table);
        }
    }

    private static byte[][] table(Tokenizer t) {
        byte[][] out = new byte[t.vocabSize()][];
        for (int id = 0; id < out.length; id++) {
            out[id] = t.isSpecial(id) ? null : t.bytes(id);
        }
        return out;
    }

    public boolean complete() {
        return state.complete();
    }

    /** Sets the logit of every token that would break the JSON to minus infinity. */
    public void mask(float[] logits) {
        for (int id = 0; id < logits.length; id++) {
            if (logits[id] != Float.NEGATIVE_INFINITY && !allowed(id)) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    boolean allowed(int id) {
        byte[] b = id < tokenBytes.length ? tokenBytes[id] : null;
        return b != null && b.length > 0 && state.copy().accept(b);
    }

    /** Commits a sampled token. */
    public void advance(int id) {
        if (!allowed(id) || !state.accept(tokenBytes[id])) {
            throw new IllegalStateException("token " + id + " does not continue the JSON answer");
        }
    }
}
