package baleine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model's own Jinja chat template, rendered the way Hugging Face renders it (trim_blocks and
 * lstrip_blocks on, {@code bos_token}/{@code eos_token} from the tokenizer config, {@code raise_exception}).
 */
public final class ChatTemplate {
    private static final Jinjava JINJA = jinjava();

    private final String source;
    private final String bosToken;
    private final String eosToken;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    private static Jinjava jinjava() {
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raise", String.class));
        return j;
    }

    /**
     * Renders a one-message conversation with {@code source}, so that a template that cannot be rendered at all (a
     * syntax error) fails before a model is loaded rather than at its first message. A template that refuses that
     * conversation ({@code raise_exception}) passes: it may accept others.
     */
    public static void checkRenders(String source) {
        try {
            new ChatTemplate(source, "", "").render(List.of(Map.of("role", "user", "content", "Hello")), true, Map.of());
        } catch (Refusal ignored) { // refusing this conversation is not being broken
        }
    }

    /** Called by templates: {@code {{ raise_exception('...') }}}. */
    public static String raise(String message) {
        throw new Refusal("the chat template refused the conversation: " + message);
    }

    public String source() {
        return source;
    }

    /**
     * Renders {@code messages} (maps with role, content, and optionally tool_calls etc.).
     *
     * @param extra further variables (tools, thinking flags), may be empty
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> ctx = new HashMap<>(extra);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r;
        try {
            r = JINJA.renderForResult(source, ctx);
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            rethrowRefusal(e);
            throw new TemplateException("the chat template failed: " + e.getMessage());
        }
        List<TemplateError> fatal = r.getErrors().stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        fatal.forEach(e -> rethrowRefusal(e.getException()));
        if (!fatal.isEmpty()) {
            throw new TemplateException("the chat template failed: " + fatal.stream().map(TemplateError::getMessage).collect(Collectors.joining("; ")));
        }
        return r.getOutput();
    }

    /** Throws the template's refusal ({@code raise_exception}) found among {@code t}'s causes: Jinjava wraps it as its call failing. */
    private static void rethrowRefusal(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof Refusal refusal) {
                throw new Refusal(refusal.getMessage());
            }
        }
    }

    /** A template that cannot be rendered, or that rejected the conversation ({@link Refusal}). */
    public static class TemplateException extends RuntimeException {
        public TemplateException(String message) {
            super(message);
        }
    }

    /** The template rejected the conversation ({@code raise_exception}): it may accept another. */
    public static final class Refusal extends TemplateException {
        Refusal(String message) {
            super(message);
        }
    }
}
