package baleine.server;

import baleine.api.Baleine;
import baleine.chat.ToolCalls;
import baleine.generation.GenerationResult;
import baleine.generation.Sequence;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** The JSON of OpenAI / DeepSeek responses: envelopes, chunks, usage, log-probabilities, tool calls. */
final class OpenAiResponses {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BaleineServer server;

    OpenAiResponses(BaleineServer server) {
        this.server = server;
    }

    /** The answer as text and tool calls. */
    record Answer(List<ToolCalls.Call> calls, String text) {
    }

    /**
     * A forced call's answer is its name and arguments (complete once the arguments' JSON closed); with tools offered,
     * the calls are parsed out of the text; otherwise the text is the answer.
     */
    static Answer answer(RequestParser.Parsed p, String content, GenerationResult r) {
        if (p.forcedCall()) {
            ToolCalls.Call call = ToolCalls.forcedCall(content);
            return r.finishReason().equals("stop") && call != null ? new Answer(List.of(call), "") : new Answer(List.of(), content);
        }
        if (p.tools()) {
            ToolCalls parser = new ToolCalls();
            String visible = parser.accept(content);
            Answer rest = fromParser(parser.finish());
            return new Answer(rest.calls(), visible + rest.text());
        }
        return new Answer(List.of(), content);
    }

    static Answer fromParser(ToolCalls.Parsed parsed) {
        return new Answer(parsed.calls(), parsed.text());
    }

    static ArrayNode toolCalls(List<ToolCalls.Call> calls, boolean streaming) {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 0; i < calls.size(); i++) {
            ObjectNode c = a.addObject();
            if (streaming) {
                c.put("index", i);
            }
            c.put("id", "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24)).put("type", "function");
            c.putObject("function").put("name", calls.get(i).name()).put("arguments", calls.get(i).arguments());
        }
        return a;
    }

    /** A chunk carrying {@code text} as {@code field} (chat) or {@code text} (completions) of choice {@code index}. */
    ObjectNode delta(String id, boolean includeUsage, boolean chat, int index, String field, String text) {
        ObjectNode c = chunk(id, includeUsage, chat);
        ObjectNode choice = c.withArray("choices").addObject().put("index", index);
        if (chat) {
            choice.putObject("delta").put(field, text);
        } else {
            choice.put("text", text);
        }
        choice.putNull("finish_reason");
        return c;
    }

    /** Attaches the log-probabilities of the tokens behind a chunk's text, if any were asked for. */
    ObjectNode withLogprobs(ObjectNode chunk, List<Sequence.TokenLogprob> pending, boolean chat) {
        if (!pending.isEmpty()) {
            ((ObjectNode) chunk.get("choices").get(0)).set("logprobs", chat ? chatLogprobs(pending) : completionLogprobs(pending));
            pending.clear();
        }
        return chunk;
    }

    ObjectNode chunk(String id, boolean includeUsage, boolean chat) {
        ObjectNode c = envelope(id, chat ? "chat.completion.chunk" : "text_completion");
        c.putArray("choices");
        if (includeUsage) {
            c.putNull("usage");
        }
        return c;
    }

    ObjectNode envelope(String id, String object) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("object", object).put("created", System.currentTimeMillis() / 1000).put("model", server.modelId())
                .put("system_fingerprint", "baleine-" + Baleine.VERSION);
        return o;
    }


    static String finishReason(GenerationResult r) {
        return r.finishReason().equals("cancelled") ? "stop" : r.finishReason();
    }

    /** A request's usage over its choices: the prompt once (as the first choice read it), every choice's tokens. */
    /** The usage of a request's choices, {@code perPrompt} per prompt (each prompt read once, whatever its choices). */
    ObjectNode usage(List<Event.Done> choices, int perPrompt) {
        int prompt = 0, cached = 0;
        for (int i = 0; i < choices.size(); i += perPrompt) {
            prompt += choices.get(i).result().promptTokens();
            cached += choices.get(i).result().cachedPromptTokens();
        }
        int completion = choices.stream().mapToInt(d -> d.result().tokens().size()).sum();
        int reasoning = choices.stream().mapToInt(Event.Done::reasoningTokens).sum();
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", cached);
        u.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
        u.put("prompt_cache_hit_tokens", cached).put("prompt_cache_miss_tokens", prompt - cached);
        return u;
    }

    ObjectNode chatLogprobs(List<Sequence.TokenLogprob> logprobs) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode content = lp.putArray("content");
        for (Sequence.TokenLogprob t : logprobs) {
            ObjectNode e = content.addObject();
            tokenEntry(e, t.token(), t.logprob());
            ArrayNode top = e.putArray("top_logprobs");
            for (int k = 0; k < t.topTokens().length; k++) {
                tokenEntry(top.addObject(), t.topTokens()[k], t.topLogprobs()[k]);
            }
        }
        return lp;
    }

    ObjectNode completionLogprobs(List<Sequence.TokenLogprob> logprobs) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode tokens = lp.putArray("tokens"), values = lp.putArray("token_logprobs"), tops = lp.putArray("top_logprobs");
        for (Sequence.TokenLogprob t : logprobs) {
            tokens.add(tokenText(t.token()));
            if (Float.isNaN(t.logprob())) { // a prompt's first token: nothing before it to predict it
                values.addNull();
                tops.addNull();
                continue;
            }
            values.add(t.logprob());
            ObjectNode top = tops.addObject();
            for (int k = 0; k < t.topTokens().length; k++) {
                top.put(tokenText(t.topTokens()[k]), t.topLogprobs()[k]);
            }
        }
        return lp;
    }

    void tokenEntry(ObjectNode e, int token, float logprob) {
        String text = tokenText(token);
        e.put("token", text).put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
    }

    String tokenText(int token) {
        return server.model().tokenizer().tokenizer().decode(new int[]{token});
    }
}
