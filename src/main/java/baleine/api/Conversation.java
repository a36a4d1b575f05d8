package baleine.api;

import baleine.cache.KvCache;
import baleine.chat.ChatPrompt;
import baleine.chat.ChatTemplate;
import baleine.chat.ToolCallMatcher;
import baleine.chat.ToolCalls;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.JsonMatcher;
import baleine.generation.SamplingParams;
import baleine.generation.SchemaMatcher;
import baleine.generation.Sequence;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One multi-turn chat with its own KV cache. Each turn renders the whole history with the model's
 * template; the cache keeps the common prefix, so only new tokens are evaluated. Use from one thread at
 * a time; {@link #cancel()} may be called from any thread.
 *
 * <p>Tools: {@link #tools} offers functions to the model; an answer that calls some streams no call markup to the
 * listener, and its calls are in {@link #toolCalls()}. Add each call's result with {@link #toolResult}, then
 * {@link #reply} lets the model answer with them. {@link #toolChoice} makes the next answer a call.
 */
public final class Conversation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Baleine model;
    private final ChatTemplate template;
    private final List<Map<String, Object>> messages = new ArrayList<>();
    private final KvCache cache;
    private final List<Integer> cachedTokens = new ArrayList<>();
    private final AtomicBoolean cancel = new AtomicBoolean();
    private Boolean thinking;
    private List<ToolCalls.Tool> tools = List.of();
    private String toolChoice = AUTO;
    private List<ToolCall> toolCalls = List.of();

    /** {@link #toolChoice}: the model decides whether to call a tool. */
    public static final String AUTO = "auto";
    /** {@link #toolChoice}: the next answer calls one of the tools, the model's choice which. */
    public static final String REQUIRED = "required";

    /** A call the model made: {@code arguments} is JSON text; answer it with {@link #toolResult} under its id. */
    public record ToolCall(String id, String name, String arguments) {
    }

    Conversation(Baleine model, ChatTemplate template) {
        this.model = model;
        this.template = template;
        this.cache = model.model().newCache(model.contextLength());
    }

    public Conversation system(String content) {
        messages.add(message("system", content));
        return this;
    }

    /** null: the template's default; true/false: ask for or suppress the reasoning block. */
    public void setThinking(Boolean thinking) {
        this.thinking = thinking;
    }

    /**
     * Offers these functions from the next answer on (an empty list withdraws them); the model sees their names,
     * descriptions and parameter schemas.
     */
    public Conversation tools(List<ToolCalls.Tool> tools) {
        this.tools = List.copyOf(tools);
        return this;
    }

    /**
     * What the next answer may do with the tools: {@link #AUTO} (the default: call some or answer in text),
     * {@link #REQUIRED} (call one of them) or a tool's name (call that one). A required call is the whole answer
     * (no reasoning block before it), and its arguments are held to the tool's parameters schema; a schema with keywords {@link SchemaMatcher} does not support is
     * refused when the answer is asked for. Applies to one answer, then returns to {@link #AUTO}.
     */
    public Conversation toolChoice(String choice) {
        if (!choice.equals(AUTO) && !choice.equals(REQUIRED) && tools.stream().noneMatch(t -> t.name().equals(choice))) {
            throw new IllegalArgumentException("tool choice '" + choice + "' is neither auto, required nor the name of an offered tool");
        }
        this.toolChoice = choice;
        return this;
    }

    /** The calls the last answer made (empty when it made none). */
    public List<ToolCall> toolCalls() {
        return toolCalls;
    }

    /** The result of call {@code callId} (from {@link #toolCalls()}), for the model to read in its next answer. */
    public Conversation toolResult(String callId, String content) {
        if (toolCalls.stream().noneMatch(c -> c.id().equals(callId))) {
            throw new IllegalArgumentException("no call of the last answer has the id '" + callId + "'");
        }
        Map<String, Object> m = message("tool", content);
        m.put("tool_call_id", callId);
        messages.add(m);
        return this;
    }

    /** The model's next answer to the history as it stands (e.g. after {@link #toolResult}s), streamed. */
    public GenerationResult reply(SamplingParams params, GenerationListener listener) {
        return answer(params, null, listener, 0);
    }

    public List<Map<String, Object>> messages() {
        return List.copyOf(messages);
    }

    /** Forgets the history (the cache is reused as far as the new history allows). */
    public void clear() {
        messages.clear();
    }

    /** Stops the answer being generated (from any thread); the partial answer is kept. */
    public void cancel() {
        cancel.set(true);
    }

    public long cachedTokens() {
        return cache.length();
    }

    /** Sends a user message and streams the answer; the answer joins the history. */
    public GenerationResult send(String user, SamplingParams params, GenerationListener listener) {
        return send(user, params, null, listener);
    }

    /**
     * As {@link #send(String, SamplingParams, GenerationListener)}, the answer (after any reasoning) held to a JSON
     * schema, or with {@code jsonSchema} null to any JSON object; it ends as soon as the JSON is complete. The
     * schema's keywords are those {@link SchemaMatcher} names; others are refused with an
     * {@link IllegalArgumentException} that names them.
     */
    public GenerationResult sendJson(String user, String jsonSchema, SamplingParams params, GenerationListener listener) {
        SchemaMatcher.Node schema = SchemaMatcher.ANY_OBJECT;
        if (jsonSchema != null) {
            try {
                schema = SchemaMatcher.compile(JSON.readTree(jsonSchema));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("the JSON schema is not JSON: " + e.getOriginalMessage());
            }
        }
        return send(user, params, new SchemaMatcher(schema), listener);
    }

    private GenerationResult send(String user, SamplingParams params, JsonMatcher constraint, GenerationListener listener) {
        messages.add(message("user", user));
        return answer(params, constraint, listener, 1);
    }

    /** The next answer; on failure the history loses the {@code added} messages the caller had just added. */
    private GenerationResult answer(SamplingParams params, JsonMatcher constraint, GenerationListener listener, int added) {
        boolean offered = !tools.isEmpty(), forced = offered && !toolChoice.equals(AUTO);
        ChatPrompt prompt;
        try {
            if (forced) {
                if (constraint != null) {
                    throw new IllegalArgumentException("a required tool call cannot also be held to a JSON schema");
                }
                var schemas = ToolCalls.argumentSchemas(tools, toolChoice.equals(REQUIRED) ? null : toolChoice);
                if (schemas.isEmpty()) { // the tools changed after the choice
                    throw new IllegalArgumentException("tool choice '" + toolChoice + "' names none of the offered tools");
                }
                constraint = new ToolCallMatcher(schemas);
            }
            prompt = render(forced);
        } catch (RuntimeException e) {
            forget(added);
            throw e;
        }
        cancel.set(false);
        toolCalls = List.of();
        toolChoice = AUTO;
        ToolCalls parser = offered && !forced ? new ToolCalls() : null;
        StringBuilder visibleText = new StringBuilder();
        GenerationListener shown = !offered ? listener : new GenerationListener() { // no call markup reaches the listener
            @Override
            public void onReasoning(String text) {
                listener.onReasoning(text);
            }

            @Override
            public void onContent(String text) {
                String visible = parser == null ? "" : parser.accept(text);
                if (!visible.isEmpty()) {
                    visibleText.append(visible);
                    listener.onContent(visible);
                }
            }

            @Override
            public void onToken(int id) {
                listener.onToken(id);
            }

            @Override
            public void onLogprob(Sequence.TokenLogprob logprob) {
                listener.onLogprob(logprob);
            }
        };
        GenerationResult r;
        try {
            r = model.generator().generate(prompt.ids(), cache, cachedTokens, params,
                    prompt.insideThink() ? Sequence.Reasoning.OPEN : Sequence.Reasoning.AUTO, constraint, shown, cancel);
        } catch (RuntimeException e) {
            forget(added);
            throw e;
        }
        List<ToolCalls.Call> calls = List.of();
        String text = r.content();
        if (forced) {
            ToolCalls.Call call = ToolCalls.forcedCall(r.content());
            if (r.finishReason().equals("stop") && call != null) {
                calls = List.of(call);
                text = "";
            }
        } else if (parser != null) {
            ToolCalls.Parsed rest = parser.finish();
            if (!rest.text().isEmpty()) {
                listener.onContent(rest.text());
            }
            calls = rest.calls();
            text = visibleText + rest.text();
        }
        Map<String, Object> answer = message("assistant", text);
        if (!calls.isEmpty()) {
            toolCalls = calls.stream().map(c -> new ToolCall("call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), c.name(), c.arguments())).toList();
            answer.put("content", text.isEmpty() ? null : text); // DeepSeek's templates read a call turn as an assistant message without content
            answer.put("tool_calls", toolCalls.stream().map(Conversation::callMessage).toList());
            r = r.withContent(text);
        }
        if (!r.reasoning().isEmpty()) {
            answer.put("reasoning_content", r.reasoning());
        }
        messages.add(answer);
        return r;
    }

    private void forget(int added) {
        for (int i = 0; i < added; i++) {
            messages.removeLast();
        }
    }

    private static Map<String, Object> callMessage(ToolCall c) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", c.name());
        function.put("arguments", c.arguments());
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", c.id());
        call.put("type", "function");
        call.put("function", function);
        return call;
    }

    ChatPrompt render() {
        return render(false);
    }

    /** The history with the tools' description first (when tools are offered) and, for a forced call, its header. */
    private ChatPrompt render(boolean forcedCall) {
        List<Map<String, Object>> shown = messages;
        if (!tools.isEmpty()) {
            shown = new ArrayList<>(messages);
            shown.addFirst(message("system", ToolCalls.describe(tools)));
        }
        return ChatPrompt.build(template, model.tokenizer().tokenizer(), shown, forcedCall ? Boolean.FALSE : thinking,
                forcedCall ? ToolCalls.FORCED_PREFIX : null);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
