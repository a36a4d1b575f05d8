package baleine.server;

/** An error for the client, sent as {@code {"error": {"message", "type", "param", "code"}}} with its HTTP status. */
public final class ApiException extends RuntimeException {
    public final int status;
    public final String type;
    public final String param;
    public final String code;

    public ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request_error", null, "invalid_request", message);
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(422, "invalid_request_error", param, "invalid_value", message);
    }

    public static ApiException unsupported(String param, String message) {
        return new ApiException(422, "invalid_request_error", param, "unsupported_parameter", message);
    }

    /**
     * A 500 for a failure of ours: {@code what} ("generation failed: ") then the cause's message, or for running
     * out of memory what to change.
     */
    static ApiException internal(String what, Throwable cause) {
        String reason = cause instanceof OutOfMemoryError ? "out of memory (" + cause.getMessage() + "); give the server more"
                + " heap (BALEINE_JVM_OPTS=-Xmx...), fewer --parallel slots or shorter requests"
                : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new ApiException(500, "server_error", null, "internal_error", what + reason);
    }
}
