package baleine.generation;

import java.util.Arrays;

/**
 * Recognises prefixes of one JSON object, byte by byte (RFC 8259): {@link #accept} refuses any byte that
 * could not continue valid JSON, {@link #complete} says when the object is closed. Inside strings every
 * byte of a multi-byte UTF-8 character is accepted, so tokens may split characters. Copies are cheap, for
 * trying a token's bytes without committing.
 */
public final class JsonPrefix implements JsonMatcher {
    // what is expected next
    private enum Mode { VALUE, OBJECT_KEY_OR_END, OBJECT_KEY, COLON, AFTER_VALUE, ARRAY_VALUE_OR_END, STRING, ESCAPE, UNICODE, NUMBER, LITERAL, DONE }

    private Mode mode;
    private byte[] stack = new byte[16]; // '{' or '[' per open container
    private int depth;
    private boolean key;        // the current string is an object key
    private int unicodeLeft;    // hex digits left in \\uXXXX
    private String literal;     // true / false / null being spelled
    private int literalPos;
    private int numberState;    // 0 '-', 1 int first digit seen '0', 2 int digits, 3 '.', 4 frac digits, 5 'e', 6 exp sign, 7 exp digits
    private final boolean objectOnly;

    /** @param objectOnly the top-level value must be an object (OpenAI's json_object mode) */
    public JsonPrefix(boolean objectOnly) {
        this.objectOnly = objectOnly;
        this.mode = Mode.VALUE;
    }

    private JsonPrefix(JsonPrefix o) {
        mode = o.mode;
        stack = Arrays.copyOf(o.stack, o.stack.length);
        depth = o.depth;
        key = o.key;
        unicodeLeft = o.unicodeLeft;
        literal = o.literal;
        literalPos = o.literalPos;
        numberState = o.numberState;
        objectOnly = o.objectOnly;
    }

    @Override
    public JsonPrefix copy() {
        return new JsonPrefix(this);
    }

    @Override
    public boolean complete() {
        return mode == Mode.DONE || (depth == 0 && mode == Mode.AFTER_VALUE);
    }

    private static boolean space(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    @Override
    public boolean accept(int c) {
        switch (mode) {
            case STRING -> {
                if (c == '"') {
                    mode = key ? Mode.COLON : Mode.AFTER_VALUE;
                    return true;
                }
                if (c == '\\') {
                    mode = Mode.ESCAPE;
                    return true;
                }
                return c >= 0x20; // control characters must be escaped; bytes >= 0x80 belong to UTF-8 characters
            }
            case ESCAPE -> {
                if (c == 'u') {
                    mode = Mode.UNICODE;
                    unicodeLeft = 4;
                    return true;
                }
                mode = Mode.STRING;
                return "\"\\/bfnrt".indexOf(c) >= 0;
            }
            case UNICODE -> {
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                    return false;
                }
                if (--unicodeLeft == 0) {
                    mode = Mode.STRING;
                }
                return true;
            }
            case NUMBER -> {
                if (number(c)) {
                    return true;
                }
                if (numberState == 0 || numberState == 3 || numberState == 5 || numberState == 6) {
                    return false; // the number is not finished
                }
                mode = Mode.AFTER_VALUE;
                return accept(c);
            }
            case LITERAL -> {
                if (c != literal.charAt(literalPos++)) {
                    return false;
                }
                if (literalPos == literal.length()) {
                    mode = Mode.AFTER_VALUE;
                }
                return true;
            }
            case DONE -> {
                return space(c);
            }
            default -> {
                return structural(c);
            }
        }
    }

    private boolean structural(int c) {
        if (space(c)) {
            return true;
        }
        switch (mode) {
            case VALUE, ARRAY_VALUE_OR_END -> {
                if (mode == Mode.ARRAY_VALUE_OR_END && c == ']') {
                    return close('[');
                }
                if (objectOnly && depth == 0 && c != '{') {
                    return false;
                }
                return value(c);
            }
            case OBJECT_KEY_OR_END, OBJECT_KEY -> {
                if (c == '}' && mode == Mode.OBJECT_KEY_OR_END) {
                    return close('{');
                }
                if (c != '"') {
                    return false;
                }
                key = true;
                mode = Mode.STRING;
                return true;
            }
            case COLON -> {
                if (c != ':') {
                    return false;
                }
                key = false;
                mode = Mode.VALUE;
                return true;
            }
            case AFTER_VALUE -> {
                if (depth == 0) {
                    return false;
                }
                byte open = stack[depth - 1];
                if (c == ',') {
                    mode = open == '{' ? Mode.OBJECT_KEY : Mode.VALUE;
                    return true;
                }
                return c == (open == '{' ? '}' : ']') && close(open);
            }
            default -> {
                return false;
            }
        }
    }

    private boolean value(int c) {
        switch (c) {
            case '{' -> {
                push('{');
                mode = Mode.OBJECT_KEY_OR_END;
            }
            case '[' -> {
                push('[');
                mode = Mode.ARRAY_VALUE_OR_END;
            }
            case '"' -> {
                key = false;
                mode = Mode.STRING;
            }
            case 't', 'f', 'n' -> {
                literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
                literalPos = 1;
                mode = Mode.LITERAL;
            }
            default -> {
                if (c != '-' && (c < '0' || c > '9')) {
                    return false;
                }
                mode = Mode.NUMBER;
                numberState = c == '-' ? 0 : c == '0' ? 1 : 2;
            }
        }
        return true;
    }

    private boolean number(int c) {
        boolean digit = c >= '0' && c <= '9';
        switch (numberState) {
            case 0 -> { if (digit) { numberState = c == '0' ? 1 : 2; return true; } return false; }
            case 1 -> { if (c == '.') { numberState = 3; return true; } if (c == 'e' || c == 'E') { numberState = 5; return true; } return false; }
            case 2 -> { if (digit) { return true; } if (c == '.') { numberState = 3; return true; } if (c == 'e' || c == 'E') { numberState = 5; return true; } return false; }
            case 3 -> { if (digit) { numberState = 4; return true; } return false; }
            case 4 -> { if (digit) { return true; } if (c == 'e' || c == 'E') { numberState = 5; return true; } return false; }
            case 5 -> { if (digit) { numberState = 7; return true; } if (c == '+' || c == '-') { numberState = 6; return true; } return false; }
            case 6 -> { if (digit) { numberState = 7; return true; } return false; }
            default -> { return digit; }
        }
    }

    private void push(char open) {
        if (depth == stack.length) {
            stack = Arrays.copyOf(stack, depth * 2);
        }
        stack[depth++] = (byte) open;
    }

    private boolean close(int open) {
        if (depth == 0 || stack[depth - 1] != open) {
            return false;
        }
        depth--;
        mode = depth == 0 ? Mode.DONE : Mode.AFTER_VALUE;
        return true;
    }
}
