package baleine.generation;

import baleine.tokenizer.Tokenizer;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Constrained decoding for JSON mode: before each draw, every token whose bytes cannot continue a valid
 * JSON object is masked out, so the answer is valid JSON by construction; generation ends as soon as the
 * object closes. Special tokens are never allowed inside the answer.
 */
public final class JsonConstraint {
    private static final Map<Tokenizer, byte[][]> BYTES = new WeakHashMap<>();

    private final byte[][] tokenBytes;
    private final JsonPrefix state = new JsonPrefix(true);

    private JsonConstraint(byte[][] tokenBytes) {
        this.tokenBytes = tokenBytes;
    }

    public static JsonConstraint forObject(Tokenizer tokenizer) {
        byte[][] bytes;
        synchronized (BYTES) {
            bytes = BYTES.computeIfAbsent(tokenizer, JsonConstraint::table);
        }
        return new JsonConstraint(bytes);
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
