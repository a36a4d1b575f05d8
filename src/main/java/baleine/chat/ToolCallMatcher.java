package baleine.chat;

import baleine.generation.JsonMatcher;
import baleine.generation.SchemaMatcher;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The rest of a forced call after its header ({@link ToolCalls#FORCED_PREFIX}), byte by byte: the name of one of
 * the tools, the fence that opens its arguments, then arguments valid under that tool's schema. Complete when the
 * arguments are.
 */
public final class ToolCallMatcher implements JsonMatcher {
    private static final byte[] FENCE = ToolCalls.ARGUMENTS_FENCE.getBytes(StandardCharsets.UTF_8);

    /** The tools' names, as bytes, and their arguments' schemas: made once, shared by every copy. */
    private record Candidates(List<byte[]> names, List<SchemaMatcher.Node> schemas) {
    }

    private final Candidates candidates;
    private byte[] name = new byte[16];
    private int nameLength;
    private int chosen = -1; // the candidate whose name was read, once its fence begins
    private int fence = -1; // bytes of the fence read, from the name's end (-1: still in the name)
    private SchemaMatcher arguments;

    /** {@code tools}: each candidate's name and the schema its arguments must follow. */
    public ToolCallMatcher(Map<String, SchemaMatcher.Node> tools) {
        this(new Candidates(tools.keySet().stream().map(n -> n.getBytes(StandardCharsets.UTF_8)).toList(), List.copyOf(tools.values())));
    }

    private ToolCallMatcher(Candidates candidates) {
        this.candidates = candidates;
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
                arguments = new SchemaMatcher(candidates.schemas().get(chosen));
            }
            return true;
        }
        if (b == (FENCE[0] & 0xFF)) { // (no name holds the fence's first byte, a line end)
            for (int i = 0; i < candidates.names().size(); i++) {
                if (Arrays.equals(candidates.names().get(i), 0, candidates.names().get(i).length, name, 0, nameLength)) {
                    chosen = i;
                    fence = 1;
                    return true;
                }
            }
            return false;
        }
        if (nameLength == name.length) {
            name = Arrays.copyOf(name, 2 * nameLength);
        }
        name[nameLength++] = (byte) b;
        for (byte[] candidate : candidates.names()) {
            if (candidate.length >= nameLength && Arrays.equals(candidate, 0, nameLength, name, 0, nameLength)) {
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
        ToolCallMatcher m = new ToolCallMatcher(candidates);
        m.name = name.clone();
        m.nameLength = nameLength;
        m.chosen = chosen;
        m.fence = fence;
        m.arguments = arguments == null ? null : arguments.copy();
        return m;
    }
}
