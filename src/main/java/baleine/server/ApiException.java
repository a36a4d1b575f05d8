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
}
