package baleine.chat;

import baleine.generation.JsonMatcher;
import baleine.generation.SchemaMatcher;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rest of a forced call after its header ({@link ToolCalls#FORCED_PREFIX}), byte by byte: the name of one of
 * the tools, the fence that opens its arguments, then arguments valid under that tool's schema. Complete when the
 * arguments are.
 */
public final class ToolCallMatcher implements JsonMatcher {
    private static final byte[] FENCE = ToolCalls.ARGUMENTS_FENCE.getBytes(StandardCharsets.UTF_8);

    private final Map<String, SchemaMatcher.Node> tools; // name -> its arguments' schema
    private byte[] name = new byte[16];
    private int nameLength;
    private int fence = -1; // bytes of the fence read, from the name's end (-1: still in the name)
    private SchemaMatcher arguments;

    /** {@code tools}: each candidate's name and the schema its arguments must follow. */
    public ToolCallMatcher(Map<String, SchemaMatcher.Node> tools) {
        this.tools = new LinkedHashMap<>(tools);
    }

    @Override
    public boolean accept(int b) {
        if (arguments != null) {
            return arguments.accept(b);
        }
        if (fence >= 0) {
            if (b != (FENCE[fence] & 0xFF)) {
                return false;
            }
            if (++fence == FENCE.length) {
                arguments = new SchemaMatcher(tools.get(new String(name, 0, nameLength, StandardCharsets.UTF_8)));
            }
            return true;
        }
        if (b == (FENCE[0] & 0xFF) && tools.containsKey(new String(name, 0, nameLength, StandardCharsets.UTF_8))) {
            fence = 1;
            return true;
        }
        if (nameLength == name.length) {
            name = Arrays.copyOf(name, 2 * nameLength);
        }
        name[nameLength++] = (byte) b;
        for (String candidate : tools.keySet()) {
            byte[] c = candidate.getBytes(StandardCharsets.UTF_8);
            if (c.length >= nameLength && Arrays.equals(c, 0, nameLength, name, 0, nameLength)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean complete() {
        return arguments != null && arguments.complete();
    }

    @Override
    public boolean insideString() {
        return arguments != null && arguments.insideString();
    }

    @Override
    public ToolCallMatcher copy() {
        ToolCallMatcher m = new ToolCallMatcher(tools);
        m.name = name.clone();
        m.nameLength = nameLength;
        m.fence = fence;
        m.arguments = arguments == null ? null : arguments.copy();
        return m;
    }
}
