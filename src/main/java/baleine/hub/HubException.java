package baleine.hub;

/** A hub or cache problem worth one clear line to the user (missing repository, gated model, no network...). */
public final class HubException extends RuntimeException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
