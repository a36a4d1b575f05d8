package baleine.generation;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Recognises prefixes of JSON texts valid under a JSON schema, byte by byte, for constrained decoding.
 * Supported: {@code type} object (properties, required, minProperties / maxProperties — a key that would leave too
 * few places for the required ones is not produced; other keys only where additionalProperties gives
 * their values a schema — producing just the declared ones is valid whatever else it says — and without
 * properties any object unless additionalProperties is false), array (items, minItems, maxItems), string
 * (minLength, maxLength), number and integer (minimum, maximum and the exclusive ones: {@link NumberRange}; for
 * integers without a range, multipleOf),
 * boolean, null, or a list of these (e.g. {@code ["string", "null"]}); {@code enum} / {@code const};
 * {@code anyOf}; {@code oneOf} (exactly one option: a value several options match is not produced);
 * {@code allOf} of one schema; {@code $ref} to the root ({@code #}) or to a schema under
 * {@code $defs} / {@code definitions} (recursion included), as Pydantic and OpenAI's strict mode write them.
 * Other keywords are refused when the schema is compiled. {@link #ANY_OBJECT} accepts any JSON object
 * (json_object mode). Strings are checked as UTF-8 a byte at a time ({@link Utf8}), so tokens may split characters
 * and the text is still valid.
 */
public final class SchemaMatcher implements JsonMatcher {
    /** A compiled schema node. */
    public sealed interface Node permits ObjectNode, ArrayNode, StringNode, NumberNode, LiteralNode, AnyNode, UnionNode, RefNode {
    }

    /** Any JSON value; {@code objectOnly} restricts it to objects (OpenAI's json_object mode). */
    public record AnyNode(boolean objectOnly) implements Node {
    }

    /** Any JSON object. */
    public static final Node ANY_OBJECT = new AnyNode(true);
    /** Any JSON value (the values of a free-form object's keys). */
    static final Node ANY_VALUE = new AnyNode(false);
    private static final NumberNode ANY_NUMBER = new NumberNode(false, NumberRange.ALL, 0);
    private static final LiteralNode LITERALS = new LiteralNode(List.of("true".getBytes(StandardCharsets.UTF_8),
            "false".getBytes(StandardCharsets.UTF_8), "null".getBytes(StandardCharsets.UTF_8)));

    /** Declared properties, and the schema of other keys' values ({@code additionalProperties} as a schema), or null. */
    record ObjectNode(List<String> names, List<byte[]> nameBytes, List<Node> values, BitSet required, Node extra,
                      int minProperties, int maxProperties) implements Node {
    }

    record ArrayNode(Node items, int min, int max) implements Node {
    }

    /** A string of {@code minLength} to {@code maxLength} characters (code points; an escape is one), with patterns to match. */
    record StringNode(int minLength, int maxLength, StringPatterns patterns) implements Node {
        static final StringNode ANY = new StringNode(0, Integer.MAX_VALUE, StringPatterns.NONE);
    }

    /** A number, or an integer (no fraction, no exponent), within a range; {@code multipleOf}: integers only, 0 for none. */
    record NumberNode(boolean integer, NumberRange range, long multipleOf) implements Node {
    }

    /** One of a few exact JSON texts (booleans, null, enum, const). */
    record LiteralNode(List<byte[]> options) implements Node {
    }

    /** A value valid under any of the options ({@code anyOf}, a list of types), or under exactly one ({@code oneOf}: exclusive). */
    record UnionNode(List<Node> options, boolean exclusive) implements Node {
    }

    /**
     * The schema at {@code ref}, looked up when a value starts (so that schemas may refer to themselves). Not a
     * record: equality, hash and text by value would go round a recursive schema forever.
     */
    static final class RefNode implements Node {
        final String ref;
        private final Map<String, Node> schemas;

        RefNode(String ref, Map<String, Node> schemas) {
            this.ref = ref;
            this.schemas = schemas;
        }

        Node target() {
            return schemas.get(ref);
        }

        @Override
        public String toString() {
            return "$ref " + ref;
        }
    }

    public static Node compile(JsonNode schema) {
        return new SchemaCompiler(schema).compileRoot();
    }

    // ---- matching ----

    private enum Step { MORE, REJECT, DONE, DONE_BEFORE }

    private abstract static class Frame {
        /** The child to push (and hand the same byte to), set by {@link #accept} when it returns MORE. */
        Frame child;

        abstract Step accept(int c);

        abstract Frame copy();

        /** The child value just finished. */
        void childDone() {
        }

        /** DONE when finishing the child also finishes this frame (a value that is just its child), else null. */
        Step childDoneStep() {
            return null;
        }

        /** Whether the text may end here (only numbers end without a closing character). */
        boolean mayEnd() {
            return false;
        }
    }

    private static boolean space(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    static Frame start(Node n) {
        return switch (n) {
            case ObjectNode o -> new ObjectFrame(o);
            case ArrayNode a -> new ArrayFrame(a);
            case StringNode s -> new StringFrame(s);
            case NumberNode number -> new NumberFrame(number);
            case LiteralNode l -> new LiteralFrame(l);
            case AnyNode a -> new AnyFrame(a.objectOnly());
            case UnionNode u -> new UnionFrame(u);
            case RefNode r -> start(r.target());
        };
    }

    /** Any value: its first character decides what it is; objects and arrays hold any values. */
    private static final class AnyFrame extends Frame {
        final boolean objectOnly;
        int state; // 0 value start, 1 '{' seen: key or '}', 2 after key ':', 3 after ':' value, 4 ',' or '}', 5 key after ','
                   // 11 '[' seen: value or ']', 13 ',' or ']', 14 value after ','
        AnyFrame(boolean objectOnly) {
            this.objectOnly = objectOnly;
        }

        Step accept(int c) {
            if (space(c)) return Step.MORE;
            switch (state) {
                case 0 -> {
                    if (c == '{') { state = 1; return Step.MORE; }
                    if (objectOnly) return Step.REJECT;
                    if (c == '[') { state = 11; return Step.MORE; }
                    child = c == '"' ? new StringFrame(StringNode.ANY) : c == '-' || (c >= '0' && c <= '9') ? new NumberFrame(ANY_NUMBER)
                            : c == 't' || c == 'f' || c == 'n' ? new LiteralFrame(LITERALS) : null;
                    if (child == null) return Step.REJECT;
                    state = 20; // the child is the whole value
                    return Step.MORE;
                }
                case 1, 5 -> {
                    if (c == '}' && state == 1) return Step.DONE;
                    if (c != '"') return Step.REJECT;
                    child = new StringFrame(StringNode.ANY);
                    return Step.MORE; // the key, then state 2
                }
                case 2 -> {
                    if (c != ':') return Step.REJECT;
                    state = 3;
                    return Step.MORE;
                }
                case 3, 14 -> {
                    child = new AnyFrame(false);
                    return Step.MORE;
                }
                case 4 -> {
                    if (c == '}') return Step.DONE;
                    if (c == ',') { state = 5; return Step.MORE; }
                    return Step.REJECT;
                }
                case 11 -> {
                    if (c == ']') return Step.DONE;
                    child = new AnyFrame(false);
                    return Step.MORE;
                }
                case 13 -> {
                    if (c == ']') return Step.DONE;
                    if (c == ',') { state = 14; return Step.MORE; }
                    return Step.REJECT;
                }
                default -> {
                    return Step.REJECT;
                }
            }
        }

        @Override
        Step childDoneStep() {
            return state == 20 ? Step.DONE : null;
        }

        @Override
        void childDone() {
            state = switch (state) {
                case 1, 5 -> 2;   // a key
                case 3 -> 4;      // a member value
                case 11, 14 -> 13; // an element
                default -> state;
            };
        }

        Frame copy() {
            AnyFrame f = new AnyFrame(objectOnly);
            f.state = state;
            return f;
        }
    }

    /**
     * A value under any of several schemas: each option follows the bytes in a matcher of its own, and those that
     * cannot continue drop out. The value ends with a byte after which every option left is done, or before a
     * byte none can take when one of them could end there (a number).
     */
    private static final class UnionFrame extends Frame {
        final UnionNode node;
        List<SchemaMatcher> alive; // null until the value's first character

        UnionFrame(UnionNode node) {
            this.node = node;
        }

        Step accept(int c) {
            if (alive == null) {
                if (space(c)) return Step.MORE;
                alive = new ArrayList<>();
                for (Node o : node.options()) {
                    alive.add(new SchemaMatcher(o));
                }
            }
            List<SchemaMatcher> next = new ArrayList<>();
            boolean allDone = true;
            int ended = 0; // options complete before this byte
            for (SchemaMatcher m : alive) {
                if (m.complete()) {
                    ended++;
                }
                if (m.accept(c)) {
                    next.add(m);
                    allDone &= m.done;
                }
            }
            if (next.isEmpty()) {
                return valid(ended) ? Step.DONE_BEFORE : Step.REJECT;
            }
            alive = next;
            return !allDone ? Step.MORE : valid(next.size()) ? Step.DONE : Step.REJECT;
        }

        /** Whether a value that {@code matching} options match is valid: oneOf wants exactly one. */
        private boolean valid(int matching) {
            return matching > 0 && (!node.exclusive() || matching == 1);
        }

        @Override
        boolean mayEnd() {
            return alive != null && valid((int) alive.stream().filter(SchemaMatcher::complete).count());
        }

        Frame copy() {
            UnionFrame f = new UnionFrame(node);
            f.alive = alive == null ? null : new ArrayList<>(alive.stream().map(SchemaMatcher::copy).toList());
            return f;
        }
    }

    private static final class ObjectFrame extends Frame {
        final ObjectNode node;
        BitSet seen = new BitSet();
        int state; // 0 '{', 1 key or '}', 2 in key, 3 ':', 4 value start, 5 ',' or '}', 6 next key
        byte[] key = new byte[16];
        int keyLen;
        Utf8 keyUtf8 = new Utf8();
        int current;
        int count; // keys taken so far

        ObjectFrame(ObjectNode node) {
            this.node = node;
        }

        boolean allRequired() {
            BitSet missing = (BitSet) node.required().clone();
            missing.andNot(seen);
            return missing.isEmpty();
        }

        /** Whether some key may still come: one not seen, within maxProperties after the required ones left. */
        boolean anyLeft() {
            if (node.extra() != null && mayTake(-1)) {
                return true;
            }
            for (int i = 0; i < node.names().size(); i++) {
                if (!seen.get(i) && mayTake(i)) {
                    return true;
                }
            }
            return false;
        }

        /** Whether key {@code i} (-1: another key) may come next without leaving too few places for the required ones. */
        boolean mayTake(int i) {
            BitSet missing = (BitSet) node.required().clone();
            missing.andNot(seen);
            if (i >= 0) {
                missing.clear(i);
            }
            return missing.cardinality() <= node.maxProperties() - count - 1;
        }

        Step accept(int c) {
            switch (state) {
                case 0 -> {
                    if (space(c)) return Step.MORE;
                    if (c != '{') return Step.REJECT;
                    state = 1;
                    return Step.MORE;
                }
                case 1, 5, 6 -> {
                    if (space(c)) return Step.MORE;
                    if (c == '}' && state != 6) return allRequired() && count >= node.minProperties() ? Step.DONE : Step.REJECT;
                    if (c == ',' && state == 5) {
                        if (!anyLeft()) return Step.REJECT;
                        state = 6;
                        return Step.MORE;
                    }
                    if (c == '"' && state != 5 && anyLeft()) {
                        state = 2;
                        keyLen = 0;
                        keyUtf8 = new Utf8();
                        return Step.MORE;
                    }
                    return Step.REJECT;
                }
                case 2 -> {
                    if (c == '"' && keyUtf8.left() == 0) {
                        for (int i = 0; i < node.names().size(); i++) {
                            if (Arrays.equals(node.nameBytes().get(i), 0, node.nameBytes().get(i).length, key, 0, keyLen)) {
                                if (seen.get(i) || !mayTake(i)) return Step.REJECT; // each property once
                                current = i;
                                count++;
                                state = 3;
                                return Step.MORE;
                            }
                        }
                        if (node.extra() == null || !mayTake(-1)) return Step.REJECT;
                        current = -1; // another key: its value follows the extra schema
                        count++;
                        state = 3;
                        return Step.MORE;
                    }
                    if (c == '\\' || c < 0x20) return Step.REJECT; // (other keys without escapes: names never have them)
                    if (!keyUtf8.accept(c)) return Step.REJECT;
                    if (keyLen == key.length) {
                        key = Arrays.copyOf(key, key.length * 2);
                    }
                    key[keyLen++] = (byte) c;
                    if (node.extra() != null && mayTake(-1)) return Step.MORE;
                    for (int i = 0; i < node.names().size(); i++) {
                        byte[] name = node.nameBytes().get(i);
                        if (!seen.get(i) && mayTake(i) && name.length >= keyLen && Arrays.equals(name, 0, keyLen, key, 0, keyLen)) {
                            return Step.MORE;
                        }
                    }
                    return Step.REJECT;
                }
                case 3 -> {
                    if (space(c)) return Step.MORE;
                    if (c != ':') return Step.REJECT;
                    state = 4;
                    return Step.MORE;
                }
                default -> { // 4: the value starts
                    if (space(c)) return Step.MORE;
                    child = start(current >= 0 ? node.values().get(current) : node.extra());
                    return Step.MORE;
                }
            }
        }

        @Override
        void childDone() {
            if (current >= 0) {
                seen.set(current);
            }
            state = 5;
        }

        Frame copy() {
            ObjectFrame f = new ObjectFrame(node);
            f.seen = (BitSet) seen.clone();
            f.count = count;
            f.state = state;
            f.key = key.clone();
            f.keyLen = keyLen;
            f.keyUtf8 = keyUtf8.copy();
            f.current = current;
            return f;
        }
    }

    private static final class ArrayFrame extends Frame {
        final ArrayNode node;
        int state; // 0 '[', 1 first value or ']', 2 ',' or ']', 3 value start after ','
        int count;

        ArrayFrame(ArrayNode node) {
            this.node = node;
        }

        Step accept(int c) {
            if (space(c)) return Step.MORE;
            switch (state) {
                case 0 -> {
                    if (c != '[') return Step.REJECT;
                    state = 1;
                    return Step.MORE;
                }
                case 2 -> {
                    if (c == ']') return count >= node.min() ? Step.DONE : Step.REJECT;
                    if (c == ',' && count < node.max()) {
                        state = 3;
                        return Step.MORE;
                    }
                    return Step.REJECT;
                }
                default -> {
                    if (state == 1 && c == ']') return node.min() == 0 ? Step.DONE : Step.REJECT;
                    if (node.max() == 0) return Step.REJECT;
                    child = start(node.items());
                    return Step.MORE;
                }
            }
        }

        @Override
        void childDone() {
            count++;
            state = 2;
        }

        Frame copy() {
            ArrayFrame f = new ArrayFrame(node);
            f.state = state;
            f.count = count;
            return f;
        }
    }

    /**
     * A string: its characters valid UTF-8 (a lead byte, then its continuation bytes), its length and, with
     * patterns, its decoded value checked at every character — and inside a character or an escape, against the
     * characters it can still become.
     */
    private static final class StringFrame extends Frame {
        private static final String SIMPLE_ESCAPES = "\"\\/\b\f\n\r\t"; // what \" \\ \/ \b \f \n \r \t stand for
        final StringNode node;
        int state; // 0 '"', 1 inside, 2 escape, 3.. unicode digits left + 2
        int length; // characters so far
        Utf8 utf8 = new Utf8();
        int utf8Length; // bytes of the current character
        int codePoint; // the current character's bits so far (a UTF-8 sequence's, or a u-escape's digits)
        StringBuilder value; // with patterns: the value so far, decoded

        StringFrame(StringNode node) {
            this.node = node;
            this.value = node.patterns().none() ? null : new StringBuilder();
        }

        /** Any complete characters may come next (no character half read, no maximum length or pattern to watch). */
        boolean open() {
            return state == 1 && utf8.left() == 0 && node.maxLength() == Integer.MAX_VALUE && value == null;
        }

        Step accept(int c) {
            int before = state;
            Step s = syntax(c);
            if (value == null || s == Step.REJECT || before == 0) {
                return s;
            }
            if (s == Step.DONE) {
                return node.patterns().satisfied(value) ? s : Step.REJECT;
            }
            return reachable(c, before) ? s : Step.REJECT;
        }

        private Step syntax(int c) {
            switch (state) {
                case 0 -> {
                    if (space(c)) return Step.MORE;
                    if (c != '"') return Step.REJECT;
                    state = 1;
                    return Step.MORE;
                }
                case 1 -> {
                    if (utf8.left() > 0) { // a continuation byte
                        if (!utf8.accept(c)) return Step.REJECT;
                        codePoint = codePoint << 6 | (c & 0x3F);
                        return Step.MORE;
                    }
                    if (c == '"') return length >= node.minLength() ? Step.DONE : Step.REJECT;
                    if (c < 0x20 || !utf8.accept(c)) return Step.REJECT; // controls, strays, invalid leads
                    if (length++ == node.maxLength()) return Step.REJECT; // a character starts
                    utf8Length = utf8.left() + 1;
                    codePoint = c & (utf8Length == 1 ? 0x7F : 0x3F >> utf8.left());
                    if (c == '\\') {
                        state = 2;
                    }
                    return Step.MORE;
                }
                case 2 -> {
                    if (c == 'u') {
                        state = 7; // four hex digits: states 7, 6, 5, 4
                        codePoint = 0;
                        return Step.MORE;
                    }
                    state = 1;
                    int at = "\"\\/bfnrt".indexOf(c);
                    codePoint = at < 0 ? 0 : SIMPLE_ESCAPES.charAt(at);
                    return at >= 0 ? Step.MORE : Step.REJECT;
                }
                default -> {
                    int digit = Character.digit(c, 16);
                    state = state == 4 ? 1 : state - 1;
                    codePoint = codePoint << 4 | Math.max(digit, 0);
                    return digit >= 0 ? Step.MORE : Step.REJECT;
                }
            }
        }

        /**
         * With patterns, after byte c (read in state {@code before}): a completed character joins the value, which
         * must stay able to match; a character or escape still open must be able to become one that keeps it so.
         */
        private boolean reachable(int c, int before) {
            StringPatterns patterns = node.patterns();
            if (before == 1 && c == '\\') { // an escape begins: a simple one, or a u-escape of any character
                for (int i = 0; i < SIMPLE_ESCAPES.length(); i++) {
                    if (patterns.reachableWithAny(value, SIMPLE_ESCAPES.charAt(i), SIMPLE_ESCAPES.charAt(i))) {
                        return true;
                    }
                }
                return patterns.reachableWithAny(value, 0, 0xFFFF);
            }
            int open = state >= 4 ? 4 * (state - 3) : 6 * utf8.left(); // bits of the character still to come
            if (open > 0) { // (the least character a UTF-8 sequence of its length may encode: shorter ones would be overlong)
                int least = state >= 4 ? 0 : utf8Length == 2 ? 0x80 : utf8Length == 3 ? 0x800 : 0x10000;
                return patterns.reachableWithAny(value, Math.max(least, codePoint << open), (codePoint << open) | ((1 << open) - 1));
            }
            value.appendCodePoint(codePoint); // a character completed
            return patterns.reachable(value);
        }

        Frame copy() {
            StringFrame f = new StringFrame(node);
            f.state = state;
            f.length = length;
            f.utf8 = utf8.copy();
            f.utf8Length = utf8Length;
            f.codePoint = codePoint;
            f.value = value == null ? null : new StringBuilder(value);
            return f;
        }
    }

    private static final class NumberFrame extends Frame {
        final NumberNode node;
        int state = -1; // -1 before, 0 '-', 1 '0', 2 int digits, 3 '.', 4 fraction, 5 'e', 6 exponent sign, 7 exponent
        StringBuilder text = new StringBuilder(); // what was typed, where the range is bounded
        long remainder; // of the digits so far, divided by multipleOf

        NumberFrame(NumberNode node) {
            this.node = node;
        }

        @Override
        boolean mayEnd() {
            return (state == 1 || state == 2 || state == 4 || state == 7) && remainder == 0
                    && (!node.range().bounded() || node.range().contains(new BigDecimal(text.toString())));
        }

        Step accept(int c) {
            boolean started = state >= 0;
            Step s = syntax(c);
            if (node.multipleOf() > 0) { // digits can always still make a multiple: only the end is checked
                if (s == Step.MORE && c >= '0' && c <= '9') {
                    remainder = (remainder * 10 + (c - '0')) % node.multipleOf();
                }
                if (s == Step.DONE_BEFORE && remainder != 0) {
                    return Step.REJECT;
                }
            }
            if (!node.range().bounded() || (!started && space(c))) {
                return s;
            }
            if (s == Step.DONE_BEFORE) {
                return node.range().contains(new BigDecimal(text.toString())) ? s : Step.REJECT;
            }
            if (s == Step.MORE) {
                if (c == 'e' || c == 'E') return Step.REJECT; // bounded numbers take no exponent
                text.append((char) c);
                return node.range().reachable(text.toString(), node.integer()) ? s : Step.REJECT;
            }
            return s;
        }

        private Step syntax(int c) {
            boolean integer = node.integer(), digit = c >= '0' && c <= '9';
            switch (state) {
                case -1 -> {
                    if (space(c)) return Step.MORE;
                    if (c == '-') { state = 0; return Step.MORE; }
                    if (digit) { state = c == '0' ? 1 : 2; return Step.MORE; }
                    return Step.REJECT;
                }
                case 0 -> { if (digit) { state = c == '0' ? 1 : 2; return Step.MORE; } return Step.REJECT; }
                case 1, 2 -> {
                    if (digit && state == 2) return Step.MORE;
                    if (!integer && c == '.') { state = 3; return Step.MORE; }
                    if (!integer && (c == 'e' || c == 'E')) { state = 5; return Step.MORE; }
                    return digit ? Step.REJECT : Step.DONE_BEFORE;
                }
                case 3 -> { if (digit) { state = 4; return Step.MORE; } return Step.REJECT; }
                case 4 -> {
                    if (digit) return Step.MORE;
                    if (c == 'e' || c == 'E') { state = 5; return Step.MORE; }
                    return Step.DONE_BEFORE;
                }
                case 5 -> {
                    if (digit) { state = 7; return Step.MORE; }
                    if (c == '+' || c == '-') { state = 6; return Step.MORE; }
                    return Step.REJECT;
                }
                case 6 -> { if (digit) { state = 7; return Step.MORE; } return Step.REJECT; }
                default -> { return digit ? Step.MORE : Step.DONE_BEFORE; }
            }
        }

        Frame copy() {
            NumberFrame f = new NumberFrame(node);
            f.state = state;
            f.remainder = remainder;
            f.text = new StringBuilder(text);
            return f;
        }
    }

    private static final class LiteralFrame extends Frame {
        final LiteralNode node;
        byte[] typed = new byte[8];
        int len;

        LiteralFrame(LiteralNode node) {
            this.node = node;
        }

        Step accept(int c) {
            if (len == 0 && space(c)) return Step.MORE;
            if (len == typed.length) {
                typed = Arrays.copyOf(typed, len * 2);
            }
            typed[len++] = (byte) c;
            boolean prefix = false;
            for (byte[] o : node.options()) {
                if (o.length >= len && Arrays.equals(o, 0, len, typed, 0, len)) {
                    if (o.length == len) {
                        return Step.DONE; // no option is a prefix of another
                    }
                    prefix = true;
                }
            }
            return prefix ? Step.MORE : Step.REJECT;
        }

        Frame copy() {
            LiteralFrame f = new LiteralFrame(node);
            f.typed = typed.clone();
            f.len = len;
            return f;
        }
    }

    private final ArrayDeque<Frame> stack = new ArrayDeque<>();
    private boolean done;
    /**
     * Whitespace between tokens of the JSON, at most {@link #MAX_BLANK} bytes in a row: enough for any indentation,
     * and a small model can no longer fill its answer with blanks (OpenAI warns of that in JSON mode).
     */
    static final int MAX_BLANK = 64;
    private int blank;

    public SchemaMatcher(Node root) {
        stack.push(start(root));
    }

    private SchemaMatcher() {
    }

    @Override
    public boolean accept(int c) {
        boolean between = space(c) && !(stack.peek() instanceof StringFrame f && f.state >= 1);
        blank = between ? blank + 1 : 0;
        if (blank > MAX_BLANK) {
            return false;
        }
        while (true) {
            if (done) {
                return space(c);
            }
            Frame top = stack.peek();
            Step s = top.accept(c);
            switch (s) {
                case REJECT -> {
                    return false;
                }
                case MORE -> {
                    if (top.child == null) {
                        return true;
                    }
                    Frame child = top.child;
                    top.child = null;
                    stack.push(child); // the child starts with this very byte
                }
                case DONE -> {
                    finish();
                    return true;
                }
                case DONE_BEFORE -> finish(); // the byte belongs to the enclosing value: offer it again
            }
        }
    }

    private void finish() {
        stack.pop();
        if (stack.isEmpty()) {
            done = true;
        } else if (stack.peek().childDoneStep() == Step.DONE) {
            finish(); // the parent was only a wrapper around this value
        } else {
            stack.peek().childDone();
        }
    }

    @Override
    public boolean complete() {
        if (done) {
            return true;
        }
        // a number may end the text: it is the only frame, or the only one inside wrappers of a single value
        Iterator<Frame> it = stack.iterator();
        if (!it.hasNext() || !it.next().mayEnd()) {
            return false;
        }
        while (it.hasNext()) {
            if (it.next().childDoneStep() != Step.DONE) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean insideString() {
        return !done && stack.peek() instanceof StringFrame f && f.open();
    }

    @Override
    public SchemaMatcher copy() {
        SchemaMatcher m = new SchemaMatcher();
        m.done = done;
        m.blank = blank;
        Iterator<Frame> it = stack.descendingIterator();
        while (it.hasNext()) {
            m.stack.push(it.next().copy());
        }
        return m;
    }
}
