package baleine.cache;

/** More tokens than the context holds. */
public final class ContextOverflowException extends RuntimeException {
    public ContextOverflowException(int cached, int added, int contextLength) {
        super((cached == 0 ? "the prompt has " + added + " tokens"
                : cached + " cached tokens plus " + added + " new ones make " + (cached + added) + " tokens")
                + ", which does not fit in the context length of " + contextLength
                + "; shorten the input or raise the context size");
    }
}
