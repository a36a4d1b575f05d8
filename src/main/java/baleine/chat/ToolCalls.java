package baleine.chat;

import baleine.generation.Markers;
import baleine.generation.SchemaMatcher;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DeepSeek's tool-call format: the model answers with
 * {@code <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>}.
 * This class describes tools to a model, and finds the calls in streamed output: text before the calls
 * passes through at once, the calls are held until the end and then parsed (text that does not parse is
 * given back as text, never lost).
 */
public final class ToolCalls {
    public static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    public static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    public static final String SEP = "<｜tool▁sep｜>";
    public static final String CALL_END = "<｜tool▁call▁end｜>";
    public static final String CALLS_END = "<｜tool▁calls▁end｜>";
    /** What opens a call's arguments, after its name. */
    public static final String ARGUMENTS_FENCE = "\n```json\n";
    /** The answer's start that forces a call: the model continues with a name and the arguments ({@link ToolCallMatcher}). */
    public static final String FORCED_PREFIX = CALLS_BEGIN + CALL_BEGIN + "function" + SEP;
    /** A call; the text may end in place of its end marker (an answer stopped there: one call at most). */
    private static final Pattern CALL = Pattern.compile(
            Pattern.quote(CALL_BEGIN) + "(\\w+)" + Pattern.quote(SEP) + "([^\\n]+)\\n```(?:json)?\\n(.*?)\\n```(?:" + Pattern.quote(CALL_END) + "|\\z)",
            Pattern.DOTALL);

    /** A function the model may call; {@code parametersJson} is its JSON schema, as JSON text. */
    public record Tool(String name, String description, String parametersJson) {
    }

    public record Call(String name, String arguments) {
    }

    /** The calls found, and any text that was not part of a call. */
    public record Parsed(List<Call> calls, String text) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringBuilder held = new StringBuilder();
    private boolean inCalls;

    /** A system-prompt paragraph listing the tools and the format to call them in. */
    public static String describe(List<Tool> tools) {
        StringBuilder sb = new StringBuilder("You can call the following functions. To call one or more, answer with\n")
                .append(FORCED_PREFIX).append("NAME").append(ARGUMENTS_FENCE).append("ARGUMENTS\n```")
                .append(CALL_END).append(CALLS_END).append("\nwhere ARGUMENTS is a JSON object following the function's parameters.\n\n");
        for (Tool t : tools) {
            sb.append("- ").append(t.name()).append(t.description().isEmpty() ? "" : ": " + t.description()).append('\n')
                    .append("  parameters: ").append(t.parametersJson()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The tools a forced call may name ({@code only}: that one, or null for any) with the schema each one's arguments
     * are held to (any JSON object where a tool has no parameters schema); a schema with keywords that
     * {@link SchemaMatcher} does not support is refused with an {@link IllegalArgumentException} naming them.
     */
    public static Map<String, SchemaMatcher.Node> argumentSchemas(List<Tool> tools, String only) {
        Map<String, SchemaMatcher.Node> out = new LinkedHashMap<>();
        for (Tool t : tools) {
            if (only != null && !only.equals(t.name())) {
                continue;
            }
            SchemaMatcher.Node arguments = SchemaMatcher.ANY_OBJECT;
            if (t.parametersJson() != null && !t.parametersJson().isBlank()) {
                try {
                    arguments = SchemaMatcher.compile(JSON.readTree(t.parametersJson()));
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("tool " + t.name() + ": its parameters schema is not JSON: " + e.getOriginalMessage());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("tool " + t.name() + ": " + e.getMessage());
                }
            }
            out.put(t.name(), arguments);
        }
        return out;
    }

    /** A forced call's answer, {@code NAME ARGUMENTS_FENCE ARGUMENTS}, as a call; null when it stopped short of the arguments. */
    public static Call forcedCall(String answer) {
        int fence = answer.indexOf(ARGUMENTS_FENCE);
        return fence < 0 ? null : new Call(answer.substring(0, fence), answer.substring(fence + ARGUMENTS_FENCE.length()));
    }

    /** Takes streamed answer text; returns what can be shown as text now. */
    public String accept(String text) {
        if (inCalls) {
            held.append(text);
            return "";
        }
        held.append(text);
        int at = held.indexOf(CALLS_BEGIN);
        if (at >= 0) {
            String before = held.substring(0, at);
            held.delete(0, at);
            inCalls = true;
            return before;
        }
        int keep = Markers.partialSuffix(held, CALLS_BEGIN);
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** At the end: the calls in the held text, or the held text itself when it holds none. */
    public Parsed finish() {
        String rest = held.toString();
        held.setLength(0);
        List<Call> calls = new ArrayList<>();
        Matcher m = CALL.matcher(rest);
        while (m.find()) {
            calls.add(new Call(m.group(2).strip(), m.group(3).strip()));
        }
        return calls.isEmpty() ? new Parsed(List.of(), rest) : new Parsed(calls, "");
    }
}
