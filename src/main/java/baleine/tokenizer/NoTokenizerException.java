package baleine.tokenizer;

import baleine.format.ModelFormatException;

/** A model file or directory without a tokenizer: it can be measured ({@code bench}) and described, not run. */
public final class NoTokenizerException extends ModelFormatException {
    public NoTokenizerException(String message) {
        super(message);
    }
}
