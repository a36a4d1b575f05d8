package baleine.format;

/** A model file or directory that cannot be read: the message names the file, the part and what is wrong. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
