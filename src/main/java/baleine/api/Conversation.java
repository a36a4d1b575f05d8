package baleine.api;

import baleine.cache.KvCache;
import baleine.chat.ChatPrompt;
import baleine.chat.ChatTemplate;
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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One multi-turn chat with its own KV cache. Each turn renders the whole history with the model's
 * template; the cache keeps the common prefix, so only new tokens are evaluated. Use from one thread at
 * a time; {@link #cancel()} may be called from any thread.
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
        ChatPrompt prompt;
        try {
            prompt = render();
        } catch (RuntimeException e) {
            messages.removeLast();
            throw e;
        }
        cancel.set(false);
        GenerationResult r;
        try {
            r = model.generator().generate(prompt.ids(), cache, cachedTokens, params,
                    prompt.insideThink() ? Sequence.Reasoning.OPEN : Sequence.Reasoning.AUTO, constraint, listener, cancel);
        } catch (RuntimeException e) {
            messages.removeLast();
            throw e;
        }
        Map<String, Object> answer = message("assistant", r.content());
        if (!r.reasoning().isEmpty()) {
            answer.put("reasoning_content", r.reasoning());
        }
        messages.add(answer);
        return r;
    }

    ChatPrompt render() {
        return ChatPrompt.build(template, model.tokenizer().tokenizer(), messages, thinking, null);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
